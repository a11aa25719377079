#include "bridge/app/gateway_events.hpp"
#include "bridge/app/async_callback.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <yaml-cpp/yaml.h>

#include <future>

#include "bridge/cmp/message_auth.hpp"
#include "bridge/cmp/seed_cipher.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"

namespace app {
namespace asio = boost::asio;
using namespace std::chrono;

namespace {

// The first registration of a gateway this soon after the bridge started is
// the boot the virtual CPE already reported: its own start queues 1 BOOT.
constexpr auto kStartupGrace = seconds(60);

cmp::ListenerOptions listener_options(const Config& c) {
    cmp::ListenerOptions o;
    o.require_auth = c.cmp.require_auth;
    o.sessions.keepalive_s = c.cmp.keepalive_s;
    return o;
}

// Gateway-supplied text for one log line: no control characters (a forged
// newline would fake log entries), bounded length.
std::string printable(std::string_view s, std::size_t max = 200) {
    std::string out;
    for (char c : s.substr(0, max)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? '?' : c;
    if (s.size() > max) out += "...";
    return out;
}

}  // namespace

GatewayEvents::GatewayEvents(asio::io_context& ioc, const Config& config, Hooks hooks)
    : ioc_(ioc), config_(config), hooks_(std::move(hooks)), listener_(*this, listener_options(config)), expiry_(ioc) {
    for (const auto& g : config_.gateways) configured_[g.id] = g;
}

GatewayEvents::~GatewayEvents() { stop(); }

core::Result<std::vector<GatewayConfig>> GatewayEvents::open() {
    for (const auto& g : config_.gateways)
        if (g.legacy_seed && !cmp::seed_available())
            return core::make_error("config.legacy_seed", "gateway " + g.id +
                                                              ": legacy_seed needs SEED-CBC (OpenSSL legacy provider), "
                                                              "which this OpenSSL does not provide");
    if (auto st = open_secrets(); !st) return st.error();
    if (auto st = open_replay_window(); !st) return st.error();
    if (registry_store_) {
        registry_ = std::make_unique<GatewayRegistry>(std::move(registry_store_));
    } else {
        auto store = state::FileStore::open(std::filesystem::path(config_.state_dir) / "registry");
        if (!store) return store.error();
        registry_ = std::make_unique<GatewayRegistry>(std::move(*store));
    }
    auto all = registry_->load_all();
    if (!all) return all.error();
    std::vector<GatewayConfig> out;
    std::vector<std::string> unserved;
    for (auto& g : *all) {
        if (configured_.count(g.id)) continue;  // now in the configuration file: that wins (before listen(): no lock needed)
        auto secret = secret_for(g.id);
        if (!secret) {
            unserved.push_back(g.id);
            continue;
        }
        out.push_back(dynamic_config(g, *secret));
        registered_[g.id] = std::move(g);
    }
    // One line, not one per gateway: a secret source removed from the
    // configuration leaves every self-registered gateway without one at once.
    if (!unserved.empty()) {
        std::string ids;
        for (std::size_t i = 0; i < unserved.size() && i < 5; ++i) ids += (i ? ", " : "") + unserved[i];
        if (unserved.size() > 5) ids += " and " + std::to_string(unserved.size() - 5) + " more";
        core::log::error("cmp", std::to_string(unserved.size()) +
                                    " self-registered gateway(s) not served: no secret for them any more "
                                    "(cmp.registration_secret / cmp.secrets_file / shared secrets): " + ids);
    }
    return out;
}

core::Status GatewayEvents::open_secrets() {
    auto changed = [this](const std::vector<std::string>& ids) { secrets_changed(ids); };
    if (shared_secrets_) {
        // The file (if this node has one) only feeds the shared table; every node looks secrets up there.
        if (!config_.cmp.secrets_file.empty()) {
            SecretsFile::Hooks hooks;
            hooks.import = [dir = &shared_secrets_->directory()](const SecretsFile::Secrets& file) -> core::Status {
                auto done = dir->import_file(file);
                if (!done) return done.error();
                core::log::info("cmp", "secrets file imported into the shared secrets: " + std::to_string(done->written) +
                                           " written, " + std::to_string(done->deleted) + " deleted");
                return core::Ok{};
            };
            auto file = SecretsFile::open(config_.cmp.secrets_file, std::chrono::seconds(1), std::move(hooks));
            if (!file) return file.error();
            secrets_ = std::move(*file);
        }
        shared_secrets_->on_change(changed);
        if (auto st = shared_secrets_->start(); !st) return st;
        core::log::info("cmp", "shared gateway secrets: " + std::to_string(shared_secrets_->size()));
        return core::Ok{};
    }
    if (!config_.cmp.secrets_file.empty()) {
        SecretsFile::Hooks hooks;
        hooks.changed = changed;
        auto file = SecretsFile::open(config_.cmp.secrets_file, std::chrono::seconds(1), std::move(hooks));
        if (!file) return file.error();
        secrets_ = std::move(*file);
    }
    return core::Ok{};
}

void GatewayEvents::secrets_changed(const std::vector<std::string>& ids) {
    if (!hooks_.rekey) return;
    for (const auto& id : ids) {
        RegisteredGateway g;
        {
            std::lock_guard lock(registered_mutex_);
            // A configured gateway's secret is the configuration file's, not these.
            if (configured_.count(id)) continue;
            auto it = registered_.find(id);
            if (it == registered_.end()) continue;
            g = it->second;
        }
        auto secret = secret_for(id);
        if (!secret) {
            core::log::warn(id, "its secret was removed: its messages are refused from now on");
            continue;
        }
        hooks_.rekey(dynamic_config(g, std::move(*secret)));
    }
}

core::Status GatewayEvents::listen() {
    auto addr = net::split_host_port(config_.cmp.listen);
    if (!addr) return core::make_error("config.invalid", "cmp.listen: " + addr.error().message);
    net::ServerOptions so;
    so.body_limit = 512 * 1024;  // the profile's message bound; larger bodies get 413
    so.tls = config_.cmp.listen_tls;
    so.log_name = "cmp";
    so.max_connections = config_.cmp.limits.max_connections;
    so.max_connections_per_source = config_.cmp.limits.max_connections_per_source;
    // No body is read for a peer that cannot name a gateway of ours (issue 10); the MAC is checked after it.
    so.pre_body = [this](const http::Request& head, const net::PeerInfo& peer) {
        return net::PreBodyDecision{listener_.precheck(head, peer.address, cmp::unix_now()), std::nullopt};
    };
    server_ = std::make_unique<net::HttpServer>(
        ioc_, so, [this](http::Request r, net::PeerInfo p) { return serve(std::move(r), std::move(p)); });
    if (auto st = server_->listen(addr->first, addr->second); !st) return st;
    started_ = steady_clock::now();
    schedule_expiry();
    return core::Ok{};
}

core::Status GatewayEvents::open_replay_window() {
    if (shared_nonces_) {
        // Nothing restored here: the lease keeper restores each gateway's nonces as it takes it (restore_replay_window).
        shared_nonces_->attach(listener_);
        return core::Ok{};
    }
    std::error_code ec;
    std::filesystem::create_directories(config_.state_dir, ec);
    if (ec) return core::make_error("state.io", "cannot create state_dir " + config_.state_dir + ": " + ec.message());
    auto log = state::AppendLog::open(std::filesystem::path(config_.state_dir) / "cmp-replay.log", [] { return cmp::unix_now(); });
    if (!log) return log.error();
    nonces_ = std::move(*log);
    // Record: "<ts> <nonce> <rgId>" (the rgId may hold spaces, so it comes last).
    std::size_t restored = 0;
    for (const auto& r : nonces_->loaded()) {
        std::string_view t = r.text;
        auto a = t.find(' ');
        auto b = a == std::string_view::npos ? a : t.find(' ', a + 1);
        if (b == std::string_view::npos) continue;
        std::int64_t ts = 0;
        try {
            ts = std::stoll(std::string(t.substr(0, a)));
        } catch (...) {
            continue;
        }
        listener_.restore_nonce(t.substr(b + 1), t.substr(a + 1, b - a - 1), ts);
        ++restored;
    }
    if (restored) core::log::info("cmp", "replay window restored: " + std::to_string(restored) + " recent nonces");
    const std::int64_t window = duration_cast<seconds>(listener_options(config_).auth_window).count();
    listener_.on_accepted_nonce([log = nonces_.get(), window](std::string_view rg, std::string_view nonce, std::int64_t ts) {
        // A nonce matters until its timestamp leaves the window on either side.
        log->append({ts + window, std::to_string(ts) + " " + std::string(nonce) + " " + std::string(rg)});
    });
    return core::Ok{};
}

core::Status GatewayEvents::restore_replay_window(std::string_view rg_id) {
    if (!shared_nonces_) return core::Ok{};
    auto n = shared_nonces_->restore(listener_, rg_id);
    if (!n) return n.error();
    if (*n) core::log::debug(std::string(rg_id), "replay window: " + std::to_string(*n) + " recent nonces restored");
    return core::Ok{};
}

std::uint64_t GatewayEvents::replay_appended() const {
    if (shared_nonces_) return shared_nonces_->last_appended();
    return nonces_ ? nonces_->last_appended() : 0;
}

std::vector<GatewayConfig> GatewayEvents::shared_registered() {
    auto all = registry_->load_all();
    if (!all) {
        core::log::warn("registry", "cannot re-read the shared registry: " + all.error().message);
        all = std::vector<RegisteredGateway>{};
        std::lock_guard lock(registered_mutex_);
        for (const auto& [id, g] : registered_) all->push_back(g);
    }
    std::vector<GatewayConfig> out;
    for (auto& g : *all) {
        {
            std::lock_guard lock(registered_mutex_);
            if (configured_.count(g.id)) continue;
        }
        auto secret = secret_for(g.id);
        if (!secret) continue;
        out.push_back(dynamic_config(g, *secret));
        std::lock_guard lock(registered_mutex_);
        registered_[g.id] = std::move(g);
    }
    return out;
}

asio::awaitable<http::Response> GatewayEvents::serve(http::Request req, net::PeerInfo peer) {
    if (hooks_.forward) {
        // The rgId X-CMP-Auth names (checked by precheck, verified by whichever node serves it).
        const std::string* auth = req.find(cmp::kAuthHeader);
        if (auto params = auth ? cmp::parse_auth_header(*auth) : std::nullopt) {
            std::optional<http::Response> relayed = co_await hooks_.forward(req, params->rg_id);
            if (relayed) co_return std::move(*relayed);
        }
    }
    const std::uint64_t before = replay_appended();
    cmp::Listener::Outcome out = listener_.process(req, peer.address, cmp::unix_now());
    http::Response res = std::move(out.response);
    if (out.pending) {
        // A new gateway proved its secret: enrolled without the listener's lock held.
        const bool enrolled = co_await enroll_unlocked(out.pending->registration);
        res = listener_.finish(*out.pending, enrolled, cmp::unix_now());
    }
    if (const std::uint64_t seq = replay_appended(); seq != before) {
        // The answer acknowledges the message: its nonce must be durable first (on disk, or committed).
        auto wait = [log = nonces_.get(), shared = shared_nonces_.get(), seq](auto done) {
            if (shared) shared->when_durable(seq, std::move(done));
            else log->when_durable(seq, std::move(done));
        };
        bool ok = co_await async_from_callback<bool>(std::move(wait), asio::use_awaitable);
        if (!ok) {
            core::log::error("cmp", "the replay window could not be stored: answering 503");
            http::Response busy;
            busy.status = 503;
            busy.headers.push_back({"Retry-After", "10"});
            co_return busy;
        }
    }
    co_return res;
}

void GatewayEvents::schedule_expiry() {
    if (stopped_) return;
    expiry_.expires_after(seconds(5));
    expiry_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_) return;
        listener_.expire(cmp::unix_now());
        schedule_expiry();
    });
}

void GatewayEvents::stop() {
    if (stopped_) return;
    stopped_ = true;
    // No re-keying after this (the watchers keep their last secrets for lookups).
    if (shared_secrets_) shared_secrets_->stop();
    if (secrets_) secrets_->stop();
    expiry_.cancel();
    if (server_) server_->stop();
    blocking_.join();  // registry writes under way complete (the gateways were not answered yet)
    blocking_joined_ = true;
}

asio::awaitable<bool> GatewayEvents::enroll_unlocked(cmp::Registration reg) {
    auto work = [this, reg = std::move(reg)]() -> asio::awaitable<bool> { co_return enroll(reg); };
    // Resumes on the connection's executor once the blocking thread is done.
    bool ok = co_await asio::co_spawn(blocking_, std::move(work), asio::use_awaitable);
    co_return ok;
}

unsigned short GatewayEvents::port() const { return server_ ? server_->port() : 0; }

net::ServerStats GatewayEvents::stats() const { return server_ ? server_->stats() : net::ServerStats{}; }

std::optional<std::string> GatewayEvents::secret_for(const std::string& rg_id) {
    if (shared_secrets_) {
        if (auto s = shared_secrets_->find(rg_id)) return s;
    } else if (secrets_) {
        if (auto s = secrets_->find(rg_id)) return s;
    }
    if (!config_.cmp.registration_secret.empty())
        return cmp::derive_gateway_secret(config_.cmp.registration_secret, rg_id);
    return std::nullopt;
}

GatewayConfig GatewayEvents::dynamic_config(const RegisteredGateway& g, std::string secret) const {
    GatewayConfig c;
    c.id = g.id;
    c.url = g.url;
    c.mapping = config_.default_mapping;
    c.secret = std::move(secret);
    return c;
}

void GatewayEvents::set_configured(const std::vector<GatewayConfig>& gateways) {
    std::lock_guard lock(registered_mutex_);
    configured_.clear();
    for (const auto& g : gateways) configured_[g.id] = g;
}

std::optional<cmp::GatewayAccess> GatewayEvents::access(std::string_view rg_id) {
    const std::string id(rg_id);
    std::unique_lock lock(registered_mutex_);
    if (auto it = configured_.find(rg_id); it != configured_.end()) {
        const GatewayConfig& g = it->second;
        return cmp::GatewayAccess{{g.id, g.secret, g.legacy_seed}, true};
    }
    if (registered_.count(rg_id)) {
        lock.unlock();
        auto secret = secret_for(id);
        if (!secret) return std::nullopt;
        return cmp::GatewayAccess{{id, *secret, false}, true};
    }
    // Ids become file names (state store keys) and header values: the stricter rule of the two.
    if (!config_.cmp.accept_registrations || !state::validate_key(id) || id.size() > 64) return std::nullopt;
    const std::size_t count = registered_.size();
    lock.unlock();
    if (count >= config_.cmp.max_registered) {
        if (warned_.insert("#full").second)
            core::log::warn("cmp", "cmp.max_registered (" + std::to_string(config_.cmp.max_registered) +
                                       ") reached: further self-registrations refused");
        return std::nullopt;
    }
    auto secret = secret_for(id);
    if (!secret) return std::nullopt;
    return cmp::GatewayAccess{{id, *secret, false}, false};
}

bool GatewayEvents::enroll(const cmp::Registration& reg) {
    {
        std::lock_guard lock(registered_mutex_);
        // Two authRg of one new id in flight, or enrolled since access() was asked: one CPE per gateway.
        if (registered_.count(reg.rg_id) || !enrolling_.insert(reg.rg_id).second) return false;
    }
    struct Done {
        GatewayEvents* self;
        std::string id;
        ~Done() {
            std::lock_guard lock(self->registered_mutex_);
            self->enrolling_.erase(id);
        }
    } done{this, reg.rg_id};
    RegisteredGateway g;
    g.id = reg.rg_id;
    g.url = reg.info.get("rgCtrlUrl");
    g.registered_at = core::now_utc();
    g.manufacturer = reg.info.get("manufacturer");
    g.oui = reg.info.get("oui");
    g.product_class = reg.info.get("productClass");
    g.serial_number = reg.info.get("serialNumber");
    auto secret = secret_for(g.id);
    if (!secret) return false;
    // Remembered first: a crash right after serving it must not forget it.
    if (auto st = registry_->save(g); !st) {
        core::log::error(g.id, "cannot remember the self-registered gateway: " + st.error().message);
        return false;
    }
    if (auto st = hooks_.add(dynamic_config(g, *secret)); !st) {
        core::log::error(g.id, "cannot serve the self-registered gateway: " + st.error().message);
        registry_->remove(g.id);
        return false;
    }
    core::log::info(g.id, "new gateway registered itself: " + printable(g.manufacturer) + " " +
                              printable(g.product_class) + ", serial " + printable(g.serial_number) + ", agent " +
                              printable(g.url));
    std::lock_guard lock(registered_mutex_);
    registered_[g.id] = std::move(g);
    seen_.insert(reg.rg_id);
    return true;
}

bool GatewayEvents::registered(const cmp::Registration& reg) {
    if (!reg.enrolled) return enroll(reg);
    auto cpe = hooks_.find(reg.rg_id);
    if (!cpe) return false;
    const std::string ctrl = reg.info.get("rgCtrlUrl");
    std::unique_lock lock(registered_mutex_);
    if (auto it = registered_.find(reg.rg_id); it != registered_.end() && it->second.url != ctrl) {
        // Remembered at once (written by the blocking thread, in order with
        // other registry writes); the running CPE keeps its client until the bridge restarts.
        it->second.url = ctrl;
        asio::post(blocking_, [this, g = it->second] {
            if (auto st = registry_->save(g); !st) core::log::error(g.id, st.error().message);
        });
        core::log::warn(reg.rg_id, "announces a new control URL " + printable(ctrl) +
                                       " (used from the next bridge start)");
    }
    const bool first = seen_.insert(reg.rg_id).second;
    lock.unlock();
    cpe->set_online(true);
    if (first && steady_clock::now() - started_ < kStartupGrace) {
        core::log::debug(reg.rg_id, "registered right after the bridge started: its BOOT is already queued");
    } else if (reg.rebooted) {
        cpe->request_session("1 BOOT");
    }
    return true;
}

bool GatewayEvents::forget(std::string_view rg_id) {
    {
        std::lock_guard lock(registered_mutex_);
        auto it = registered_.find(rg_id);
        if (it == registered_.end()) return false;
        registered_.erase(it);
    }
    // Through the blocking thread, after any registry write queued before it (a
    // control URL change must not bring the entry back). The caller is off the event loop.
    core::Status result = core::Ok{};
    if (blocking_joined_) {
        result = registry_->remove(rg_id);  // stopped: nothing else writes any more
    } else {
        std::promise<core::Status> removed;
        asio::post(blocking_, [&] { removed.set_value(registry_->remove(rg_id)); });
        result = removed.get_future().get();
    }
    if (auto& st = result; !st)
        core::log::error(std::string(rg_id), "dropped, but its registry entry could not be removed: " + st.error().message);
    return true;
}

void GatewayEvents::alive(std::string_view rg_id) {
    if (auto cpe = hooks_.find(rg_id)) cpe->set_online(true);
}

void GatewayEvents::gone(std::string_view rg_id, std::string_view reason) {
    core::log::info(std::string(rg_id), "gateway offline (" + printable(reason) + ")");
    if (auto cpe = hooks_.find(rg_id)) cpe->set_online(false);
}

int GatewayEvents::notification(const cmp::Request& msg) {
    const std::string& rg = msg.header.rg_id;
    auto cpe = hooks_.find(rg);
    if (!cpe) return cmp::result_code::general_failure;
    const cmp::Record& a = msg.args;
    if (msg.function == "notifyRgSecAlert") {
        core::log::warn(rg, "security alert " + printable(a.get("alertType")) + " (" + printable(a.get("severity")) +
                                ") from " + printable(a.get("source")) + ": " + printable(a.get("text")));
    } else if (msg.function == "notifyRgRscAlert") {
        core::log::warn(rg, "resource alert: " + printable(a.get("rscType")) + " at " + printable(a.get("value")) +
                                "% (threshold " + printable(a.get("threshold")) + "%)");
    } else if (msg.function == "notifyRgUpgradeResult") {
        core::log::info(rg, "firmware upgrade result " + printable(a.get("resultCode")) + ", running " +
                                printable(a.get("fwVersion")));
    } else {
        core::log::debug(rg, msg.function + " " + printable(a.get("devId")));
    }
    cpe->gateway_message(msg);
    return cmp::result_code::success;
}

}  // namespace app
