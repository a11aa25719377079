#include "bridge/app/bridge.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/http/encoding.hpp"
#include "bridge/mapping/table_device.hpp"
#include "bridge/state/migrate.hpp"
#include "bridge/state/pg_store.hpp"
#include "bridge/state/store.hpp"

namespace app {
namespace asio = boost::asio;

Bridge::Bridge(asio::io_context& ioc, Config config) : ioc_(ioc), config_(std::move(config)) {}

Bridge::~Bridge() {
    stop();
    std::lock_guard lock(workers_mutex_);
    for (auto& t : workers_) t.join();
}

core::Result<std::shared_ptr<const mapping::Table>> Bridge::table_for(const std::string& path) {
    std::lock_guard lock(tables_mutex_);
    if (auto it = tables_.find(path); it != tables_.end()) return it->second;
    auto t = mapping::Table::load_file(path);
    if (!t) return t.error();
    tables_[path] = *t;
    return *t;
}

core::Status Bridge::add_gateway(const GatewayConfig& g) {
    auto table = table_for(g.mapping);
    if (!table) return table.error();
    if (recorder_) recorder_->set_mapping(g.id, (*table)->name(), (*table)->hash());
    auto url = http::Url::parse(g.url);
    if (!url) return core::make_error("config.gateway", "gateway " + g.id + ": bad url: " + url.error().message);
    cpe::CpeState st;
    auto loaded = store_->load(g.id);
    if (!loaded) return loaded.error();
    if (*loaded) {
        auto parsed = cpe::parse_state(**loaded);
        if (!parsed) return core::make_error("state.invalid", "gateway " + g.id + ": " + parsed.error().message);
        st = std::move(*parsed);
    } else {
        st.gateway_id = g.id;
        st.periodic_enable = config_.periodic_inform.enable;
        st.periodic_interval = config_.periodic_inform.interval_s;
    }
    // Credentials and the CR path are created once and then persisted: the
    // ACS learns them from the Inform and must be able to rely on them.
    if (st.cr_path.empty()) st.cr_path = http::random_token(18);
    if (st.cr_username.empty()) st.cr_username = g.id;
    if (st.cr_password.empty()) st.cr_password = http::random_token(18);
    if (cluster_) {
        // Any node must find the gateway of a Connection Request path, before the ACS can learn it.
        if (auto r = cluster_->remember_cr_path("/" + st.cr_path, g.id); !r) return r;
    }
    auto cpe = std::make_shared<VirtualCpe>(ioc_, *env_, g, *url, std::make_unique<mapping::TableDevice>(*table),
                                            std::move(st));
    std::lock_guard lock(mutex_);
    by_id_[g.id] = cpe;
    by_cr_path_["/" + cpe->cr_path()] = cpe;
    return core::Ok{};
}

std::shared_ptr<VirtualCpe> Bridge::find_by_id(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

core::Status Bridge::start() {
    if (config_.reverse) {
        reverse_ = std::make_unique<ReverseBridge>(ioc_, *config_.reverse, config_.state_dir);
        reverse_->record(reverse_recorder_);
        if (auto st = reverse_->start(); !st) return st;
    }
    if (config_.forward()) return start_forward();
    ready_ = true;
    return core::Ok{};
}

core::Status Bridge::start_forward() {
    // state_backend (docs/configuration.md): one database, importing the
    // files an older bridge left, or one file per gateway.
    const std::filesystem::path db = std::filesystem::path(config_.state_dir) / state::kStateDbName;
    if (config_.state_backend == StateBackend::postgresql) {
        // Shared by several bridges (docs/operations.md): each gateway is
        // served by the node holding its lease (ClusterNode).
        state::PgStoreOptions options{config_.state_postgres.dsn, config_.state_postgres.commit_timeout};
        auto store = state::PgStore::open(std::move(options));
        if (!store) return store.error();
        core::log::info("state", "CPE state in PostgreSQL " + (*store)->name() + ", node " +
                                     config_.state_postgres.node_id);
        auto cluster = ClusterNode::open(config_, **store);
        if (!cluster) return cluster.error();
        store_ = std::move(*store);
        cluster_ = std::move(*cluster);
    } else if (config_.state_backend == StateBackend::sqlite) {
        auto store = state::open_sqlite_state_dir(config_.state_dir);
        if (!store) return store.error();
        store_ = std::move(*store);
    } else {
        // Starting on files would make every CPE in the database bootstrap
        // again with new Connection Request credentials: refuse, loudly.
        std::error_code ec;
        if (std::filesystem::exists(db, ec))
            return core::make_error("state.backend", db.string() + " holds the CPE state (state_backend: sqlite); "
                                                         "state_backend: files would start every CPE afresh. "
                                                         "Keep sqlite, or move the file away to start over");
        auto store = state::FileStore::open(config_.state_dir);
        if (!store) return store.error();
        store_ = std::move(*store);
    }

    cr_server_ = std::make_unique<ConnectionRequestServer>(
        ioc_, config_.connection_request, [this](std::string_view path) -> std::shared_ptr<VirtualCpe> {
            std::lock_guard lock(mutex_);
            auto it = by_cr_path_.find(path);
            return it == by_cr_path_.end() ? nullptr : it->second;
        },
        cluster_ ? ConnectionRequestServer::Forward([this](http::Request req, std::string path) {
            return cluster_->route_cr(std::move(req), std::move(path));
        })
                 : ConnectionRequestServer::Forward{});
    if (auto st = cr_server_->start(); !st) return st;
    gateway_events_ = std::make_unique<GatewayEvents>(
        ioc_, config_,
        GatewayEvents::Hooks{[this](std::string_view id) { return find_by_id(id); },
                             [this](const GatewayConfig& g) -> core::Status {
                                 // A gateway that registered itself, served at once.
                                 if (cluster_) return cluster_enroll(g);
                                 if (auto st = add_gateway(g); !st) return st;
                                 find_by_id(g.id)->start();
                                 return core::Ok{};
                             },
                             [this](http::Request req, std::string rg) -> asio::awaitable<std::optional<http::Response>> {
                                 if (!cluster_) co_return std::nullopt;
                                 const bool running = find_by_id(rg) != nullptr;
                                 std::optional<http::Response> r =
                                     co_await cluster_->route_cmp(std::move(req), rg, running, in_fleet(rg));
                                 co_return r;
                             },
                             [this](const GatewayConfig& g) { rekey_gateway(g); }});
    if (cluster_) {
        auto registry = cluster_->registry_store();
        if (!registry) return registry.error();
        gateway_events_->use_registry_store(std::move(*registry));
        auto replay = cluster_->replay_window();
        if (!replay) return replay.error();
        gateway_events_->use_shared_replay_window(std::move(*replay));
        auto secrets = cluster_->shared_secrets();
        if (!secrets) return secrets.error();
        gateway_events_->use_shared_secrets(std::move(*secrets));
    }
    auto remembered = gateway_events_->open();
    if (!remembered) return remembered.error();
    const std::string base = cr_server_->url_base();
    env_ = std::make_unique<CpeEnvironment>(
        CpeEnvironment{config_, cluster_ ? cluster_->store() : *store_, base, recorder_});
    if (config_.acs.max_concurrent_sessions > 0)
        env_->sessions = std::make_shared<SessionSlots>(config_.acs.max_concurrent_sessions);

    {
        std::lock_guard lock(mutex_);
        gateways_ = config_.gateways;
    }
    if (cluster_) remembered->clear();  // the lease keeper starts this node's share
    if (!cluster_)
        for (const auto& g : config_.gateways)
            if (auto st = add_gateway(g); !st) return st;
    for (const auto& g : *remembered)
        if (auto st = add_gateway(g); !st) core::log::error(g.id, "self-registered gateway not served: " + st.error().message);
    // Gateways may talk once every CPE they could address exists.
    if (auto st = gateway_events_->listen(); !st) return st;
    if (cluster_)  // its first round before start() returns: the URLs it advertises are bound now
        cluster_->start(ClusterNode::describe_self(config_, gateway_events_->port(), cr_server_->port()),
                        cluster_hooks());
    core::log::info("bridge", "connection requests on " + base + ", CMP listener on " + config_.cmp.listen + " (port " +
                                  std::to_string(gateway_events_->port()) + "), " + std::to_string(by_id_.size()) +
                                  " gateways");
    std::lock_guard lock(mutex_);
    // The first sessions are spread so that at most about kStartsPerSecond
    // begin per second, within the configured window: a few CPEs start at
    // once, 100,000 over the window instead of in the same second.
    constexpr std::size_t kStartsPerSecond = 100;
    const auto needed = std::chrono::milliseconds(by_id_.size() * 1000 / kStartsPerSecond);
    const auto spread = std::min<std::chrono::milliseconds>(
        needed, std::chrono::seconds(config_.periodic_inform.start_spread_s));
    if (spread.count() > 0)
        core::log::info("bridge", "first Informs spread over " + std::to_string(spread.count() / 1000.0) + " s");
    if (!cluster_)  // the keeper started its own, spread over its rounds
        for (auto& [id, cpe] : by_id_) cpe->start(spread);
    if (config_.admin.enabled()) {
        admin_ = std::make_unique<AdminServer>(
            ioc_, config_.admin,
            AdminHooks{[this] { return gateway_views(); }, [this] { return ready_.load(); },
                       [this](const std::string& id) {
                           auto cpe = find_by_id(id);
                           if (cpe) cpe->request_session("2 PERIODIC");
                           return cpe != nullptr;
                       },
                       [this](const std::string& id, std::function<void(int, std::string)> done) {
                           drop_gateway(id, std::move(done));
                       },
                       [this] {
                           return std::vector<std::pair<std::string, net::ServerStats>>{
                               {"cr", cr_server_->stats()}, {"cmp", gateway_events_->stats()}};
                       },
                       [this] { reload(); },
                       [this]() -> std::shared_ptr<const ClusterView> { return cluster_ ? cluster_->view() : nullptr; }});
        if (auto st = admin_->start(); !st) return st;
    }
    ready_ = true;
    return core::Ok{};
}

void Bridge::stop() {
    ready_ = false;
    if (cluster_) cluster_drain();  // no CPE starts or moves from here on; leases released as CPEs hand over
    if (reverse_) reverse_->stop();
    if (admin_) admin_->stop();
    if (cr_server_) cr_server_->stop();
    if (gateway_events_) gateway_events_->stop();
    std::lock_guard lock(mutex_);
    for (auto& [id, cpe] : by_id_) cpe->stop();
}

std::size_t Bridge::sessions_in_progress() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (auto& [id, cpe] : by_id_) n += cpe->in_session() ? 1 : 0;
    if (reverse_) n += reverse_->open_sessions();
    if (cluster_) n += cluster_->draining();  // CPEs handing over, their leases not released yet
    return n;
}

unsigned short Bridge::cr_port() const { return cr_server_ ? cr_server_->port() : 0; }
unsigned short Bridge::cmp_port() const { return gateway_events_ ? gateway_events_->port() : 0; }
unsigned short Bridge::admin_port() const { return admin_ ? admin_->port() : 0; }

std::vector<GatewayView> Bridge::gateway_views() const {
    std::vector<std::shared_ptr<VirtualCpe>> cpes;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, cpe] : by_id_) cpes.push_back(cpe);
    }
    std::vector<GatewayView> out;
    out.reserve(cpes.size());
    for (auto& cpe : cpes) {
        // Whatever is not in the configuration file registered itself (remembered or new).
        bool configured;
        {
            std::lock_guard lock(mutex_);
            configured = is_configured(cpe->id());
        }
        out.push_back(GatewayView{cpe->status(), !configured});
    }
    return out;
}

void Bridge::drop_gateway(const std::string& id, std::function<void(int, std::string)> done) {
    std::shared_ptr<VirtualCpe> cpe;
    {
        std::lock_guard lock(mutex_);
        if (is_configured(id)) return done(409, id + " is in the configuration file: remove it there and reload");
        auto it = by_id_.find(id);
        if (it == by_id_.end()) return done(404, "no gateway " + id);
        cpe = it->second;
        by_id_.erase(it);
        by_cr_path_.erase("/" + cpe->cr_path());  // Connection Requests for it now get 404
    }
    core::log::info(id, "admin: dropping the self-registered gateway");
    // Once the CPE writes nothing more, its registry entry and state go, off
    // the event loop (both wait for the disk).
    cpe->retire([this, id, done = std::move(done)]() mutable {
        std::lock_guard lock(workers_mutex_);
        workers_.emplace_back([this, id, done = std::move(done)] {
            const bool was_registered = gateway_events_->forget(id);
            if (cluster_) cluster_->forget_cr_paths(id);
            auto st = store_->remove(id);
            if (!st) {
                core::log::error(id, "dropped, but its state could not be removed: " + st.error().message);
                return done(500, id + " dropped, but its state could not be removed: " + st.error().message);
            }
            core::log::info(id, "admin: dropped (registry entry " + std::string(was_registered ? "removed" : "absent") +
                                    ", state removed)");
            done(200, id + " dropped");
        });
    });
}

}  // namespace app
