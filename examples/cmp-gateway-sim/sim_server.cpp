// Simulator: the gateways' CMP agents (serve_cmp), their clock (ticker) and
// their messages to the bridge (sender). The /control endpoint is in
// sim_control.cpp.
#include "examples/cmp-gateway-sim/sim_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"

namespace sim {
namespace asio = boost::asio;
using namespace std::chrono;

Simulator::Simulator(asio::io_context& ioc, SimOptions opt)
    : ioc_(ioc),
      opt_(std::move(opt)),
      tick_(ioc),
      sender_(ioc.get_executor(), [&] {
          net::ClientOptions co;
          co.connect_timeout = co.io_timeout = seconds(10);
          co.tls.ca_file = opt_.ca_file;
          co.tls.cert_file = opt_.client_cert;
          co.tls.key_file = opt_.client_key;
          co.user_agent = "cmp-gateway-sim/0.1";
          return co;
      }()) {}

core::Status Simulator::init(unsigned short port) {
    Seed seed;
    if (!opt_.seed_file.empty()) {
        auto s = GatewayModel::load_seed(opt_.seed_file);
        if (!s) return s.error();
        seed = *s;
    }
    std::string host = opt_.advertise_host;
    if (host.empty()) {
        auto hp = net::split_host_port(opt_.listen);
        host = hp ? hp->first : "127.0.0.1";
        if (host == "0.0.0.0") host = "127.0.0.1";
    }
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const std::string base = (opt_.tls_cert.empty() ? "http://" : "https://") + host + ":" + std::to_string(port);
    const bool all_legacy = std::find(opt_.legacy_seed.begin(), opt_.legacy_seed.end(), "all") != opt_.legacy_seed.end();
    auto now = steady_clock::now();
    for (unsigned i = 0; i < opt_.gateways; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "GW-%04u", opt_.first_id + i);
        cmp::PeerKeys keys{id, opt_.secret, false};
        if (!opt_.derive_secrets.empty()) keys.secret = cmp::derive_gateway_secret(opt_.derive_secrets, id);
        keys.legacy_seed = all_legacy || std::find(opt_.legacy_seed.begin(), opt_.legacy_seed.end(), id) !=
                                             opt_.legacy_seed.end();
        if (keys.legacy_seed && keys.secret.empty())
            return core::make_error("sim.legacy", std::string(id) + ": legacy SEED mode needs --secret or --derive-secrets");
        ModelOptions mo;
        mo.secret = keys.secret;
        mo.wall_start = system_clock::now();
        mo.ctrl_url = base + "/cmp/" + id;
        mo.reboot_duration = seconds(opt_.reboot_s);
        mo.upgrade_duration = seconds(opt_.upgrade_s);
        auto m = std::make_unique<GatewayModel>(id, now, mo, seed);
        keys_[id] = keys;
        models_.emplace(id, std::move(m));
    }
    for (const auto& id : opt_.offline) {
        if (!models_.count(id)) return core::make_error("sim.offline", "--offline " + id + ": no such gateway");
        offline_.insert(id);
        models_[id]->set_offline(true);
    }
    if (!opt_.identities_out.empty()) write_identities();
    // Injected failures only after the identities were read.
    for (auto& [id, m] : models_) m->set_fail_rate(opt_.fail_rate);
    if (!opt_.bridge.empty()) {
        auto u = http::Url::parse(opt_.bridge);
        if (!u) return core::make_error("sim.bridge", "--bridge: " + u.error().message);
        bridge_url_ = *u;
        for (auto& [id, m] : models_)
            if (m->online()) outbox_.push_back({id, m->make_registration()});
    }
    return core::Ok{};
}

cmp::PeerKeys Simulator::keys_of(const std::string& id) const {
    auto it = keys_.find(id);
    return it == keys_.end() ? cmp::PeerKeys{id, "", false} : it->second;
}

asio::awaitable<http::Response> Simulator::handle(http::Request req, net::PeerInfo peer) {
    const std::string path = req.target.substr(0, req.target.find('?'));
    if (path.rfind("/control/", 0) == 0) co_return control(req, peer);
    constexpr std::string_view prefix = "/cmp/";
    auto it = path.rfind(prefix, 0) == 0 ? models_.find(path.substr(prefix.size())) : models_.end();
    if (it == models_.end()) {
        http::Response r;
        r.status = 404;
        r.body = "no such gateway\n";
        co_return r;
    }
    GatewayModel& model = *it->second;
    model.advance_to(steady_clock::now());
    // Rebooting or cut off: a real gateway does not answer at all.
    if (!model.online()) co_return http::Response{};
    if (opt_.latency_ms) {
        asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(opt_.latency_ms));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return serve_cmp(model, req);
}

http::Response Simulator::serve_cmp(GatewayModel& model, const http::Request& req) {
    const cmp::PeerKeys keys = keys_of(model.id());
    const std::int64_t now = cmp::unix_now();
    cmp::Incoming in = cmp::open_request(req, verifier_, !keys.secret.empty(), now,
                                         [&](std::string_view rg) -> std::optional<cmp::PeerKeys> {
                                             if (rg != model.id()) return std::nullopt;
                                             return keys;
                                         });
    if (!in.ok()) {
        core::log::warn(model.id(), "refused CMP request: HTTP " + std::to_string(in.refuse_status) + ", " + in.reason);
        return cmp::make_refusal(in.refuse_status);
    }
    auto decoded = cmp::decode_request(in.xml, {}, &cmp::Catalogue::builtin());
    if (!decoded) return cmp::make_http_response(500, cmp::encode(cmp::fault_for(decoded.error())), in, now);
    cmp::Response answer = model.handle(*decoded);
    core::log::info(model.id(), decoded->function + " -> resultCode " + std::to_string(answer.result_code));
    http::Response res = cmp::make_http_response(200, cmp::encode(answer), in, cmp::unix_now());
    if (!opt_.exchange_sizes_out.empty()) {
        auto t = std::find_if(tallies_.begin(), tallies_.end(), [&](const Tally& x) { return x.function == decoded->function; });
        if (t == tallies_.end()) t = tallies_.insert(tallies_.end(), Tally{decoded->function});
        ++t->calls;
        t->request_bytes += req.body.size();
        t->answer_bytes += res.body.size();
    }
    return res;
}

void Simulator::write_exchange_sizes(const std::string& path) const {
    std::ofstream out(path + ".tmp");
    out << "cmp_exchanges:\n";
    for (const auto& t : tallies_)
        out << "  - { function: " << t.function << ", calls: " << t.calls << ", request_bytes: "
            << t.request_bytes / t.calls << ", answer_bytes: " << t.answer_bytes / t.calls << " }\n";
    out.close();
    std::filesystem::rename(path + ".tmp", path);
}

void Simulator::drain(const std::string& id) {
    if (offline_.count(id)) return;  // cut off: messages wait in the model
    auto it = models_.find(id);
    if (it == models_.end()) return;
    for (auto& msg : it->second->take_outbox()) outbox_.push_back({id, std::move(msg)});
}

asio::awaitable<void> Simulator::ticker() {
    for (;;) {
        tick_.expires_after(seconds(1));
        co_await tick_.async_wait(asio::as_tuple(asio::use_awaitable));
        auto now = steady_clock::now();
        for (auto& [id, m] : models_) {
            m->advance_to(now);
            drain(id);
        }
    }
}

void Simulator::deliver(const std::string& id, const cmp::Response& answer) {
    auto it = models_.find(id);
    if (it == models_.end()) return;
    it->second->on_response(answer);
    drain(id);  // authRg right after regRg, not a tick later
}

// Delivers queued gateway -> bridge messages in order. A transport failure
// keeps the message at the head (the bridge may be restarting); a refusal
// is handed to the model as resultCode 4, which makes it register again.
asio::awaitable<void> Simulator::sender() {
    asio::steady_timer wait(ioc_);
    int failures = 0;
    for (;;) {
        if (outbox_.empty() || bridge_url_.host.empty()) {
            wait.expires_after(milliseconds(50));
            co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        auto [id, msg] = outbox_.front();
        msg.header.rg_id = id;
        msg.header.transaction_id = std::to_string(++transactions_);
        msg.header.time_stamp = core::now_utc();
        const cmp::PeerKeys keys = keys_of(id);
        auto out = cmp::make_http_request(msg, bridge_url_.target, keys, cmp::unix_now());
        if (!out) {
            core::log::error(id, "cannot send " + msg.function + ": " + out.error().message);
            outbox_.pop_front();
            continue;
        }
        // Resent with a fresh nonce by this loop, never by the HTTP client
        // (the bridge's replay cache would refuse an identical copy).
        auto res = co_await sender_.send(bridge_url_, std::move(out->http), false);
        if (!res || res->status == 503) {
            if (!res) core::log::debug("sim", "bridge unreachable: " + res.error().message);
            // The first failure may be a keep-alive connection the bridge closed: retry at once.
            if (++failures > 1) {
                wait.expires_after(seconds(1));
                co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            continue;
        }
        failures = 0;
        outbox_.pop_front();
        auto decoded = cmp::read_http_response(*res, bridge_url_.target, keys, out->nonce, cmp::unix_now(),
                                               msg.function);
        if (!decoded) {
            core::log::warn(id, msg.function + ": " + decoded.error().message);
            if (decoded.error().code == "cmp.unauthorized")
                deliver(id, cmp::make_response(msg, cmp::result_code::unauthorized, "refused by the bridge"));
            continue;
        }
        core::log::info(id, msg.function + " sent, bridge answered resultCode " + std::to_string(decoded->result_code));
        deliver(id, *decoded);
    }
}

void Simulator::write_identities() {
    YAML::Emitter out;
    out << YAML::BeginMap;
    for (auto& [id, m] : models_) {
        cmp::Request r;
        r.header = {id, "0", core::now_utc()};
        r.function = "getRgInfo";
        bool forced = offline_.count(id) > 0;
        if (forced) m->set_offline(false);
        auto res = m->handle(r);
        if (forced) m->set_offline(true);
        if (res.result_code != 0) core::log::error(id, "getRgInfo for --identities-out failed: " + res.result_msg);
        out << YAML::Key << id << YAML::Value << YAML::BeginMap;
        for (auto& f : res.fields.fields)
            if (!f.is_list()) out << YAML::Key << f.name << YAML::Value << std::get<std::string>(f.value);
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
    std::ofstream(opt_.identities_out) << out.c_str() << "\n";
}

}  // namespace sim
