// cmp-gateway-sim: many simulated CMP residential gateways in one process.
// Each gateway is a sim::GatewayModel (pure, advanced by a clock); this file
// only wires them to HTTP: one listener serving /cmp/<rgId>, and one sender
// that registers each gateway with the bridge and delivers its outbox.
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <yaml-cpp/yaml.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/net/http_server.hpp"
#include "examples/cmp-gateway-sim/gateway_model.hpp"

namespace asio = boost::asio;
using namespace std::chrono;

namespace {

struct Options {
    std::string listen = "127.0.0.1:7700";
    std::string port_file;
    unsigned gateways = 3;
    unsigned first_id = 1;
    std::string bridge;  // CMP listener URL of the bridge; empty = no registration
    std::string secret;
    double fail_rate = 0;
    unsigned latency_ms = 0;
    std::vector<std::string> offline;
    std::string seed_file;
    std::string identities_out;
};

std::int64_t unix_now() { return duration_cast<seconds>(system_clock::now().time_since_epoch()).count(); }

class Simulator {
public:
    Simulator(asio::io_context& ioc, Options opt) : ioc_(ioc), opt_(std::move(opt)), tick_(ioc), sender_(ioc.get_executor(), {}) {}

    core::Status init() {
        sim::Seed seed;
        if (!opt_.seed_file.empty()) {
            auto s = sim::GatewayModel::load_seed(opt_.seed_file);
            if (!s) return s.error();
            seed = *s;
        }
        auto now = steady_clock::now();
        for (unsigned i = 0; i < opt_.gateways; ++i) {
            char id[32];
            std::snprintf(id, sizeof id, "GW-%04u", opt_.first_id + i);
            sim::ModelOptions mo;
            mo.secret = opt_.secret;
            mo.wall_start = system_clock::now();
            auto m = std::make_unique<sim::GatewayModel>(id, now, mo, seed);
            models_.emplace(id, std::move(m));
        }
        if (!opt_.identities_out.empty()) write_identities();
        for (auto& [id, m] : models_) {
            m->set_fail_rate(opt_.fail_rate);
            if (std::find(opt_.offline.begin(), opt_.offline.end(), id) != opt_.offline.end()) m->set_offline(true);
        }
        if (!opt_.bridge.empty()) {
            auto u = http::Url::parse(opt_.bridge);
            if (!u) return core::make_error("sim.bridge", "--bridge: " + u.error().message);
            bridge_url_ = *u;
            for (auto& [id, m] : models_)
                if (m->online()) outbox_.push_back({id, m->make_registration()});
        }
        return core::Ok{};
    }

    asio::awaitable<http::Response> handle(http::Request req, net::PeerInfo) {
        http::Response res;
        res.headers.push_back({"Content-Type", std::string(cmp::kContentType)});
        std::string_view target = req.target;
        constexpr std::string_view prefix = "/cmp/";
        auto it = target.rfind(prefix, 0) == 0 ? models_.find(std::string(target.substr(prefix.size()))) : models_.end();
        if (it == models_.end()) {
            res.status = 404;
            res.body = "no such gateway\n";
            co_return res;
        }
        auto& model = *it->second;
        model.advance_to(steady_clock::now());
        if (!model.online()) {
            // Unreachable: a real gateway would not answer at all; 503 keeps tests fast.
            res.status = 503;
            res.body = "gateway offline\n";
            co_return res;
        }
        if (!opt_.secret.empty()) {
            const std::string* h = req.find(cmp::kAuthHeader);
            auto v = verifier_.verify(h ? std::string_view(*h) : std::string_view{}, req.method, req.target, req.body,
                                      unix_now(), [&](std::string_view rg) -> std::optional<std::string> {
                                          if (rg == model.id()) return opt_.secret;
                                          return std::nullopt;
                                      });
            if (v != cmp::Verdict::ok) {
                core::log::warn(model.id(), "refused unauthenticated CMP request: " + std::string(cmp::to_string(v)));
                res.status = 401;
                res.body = "CMP message authentication failed\n";
                co_return res;
            }
        }
        auto decoded = cmp::decode_request(req.body, {}, &cmp::Catalogue::builtin());
        if (!decoded) {
            res.status = 500;
            res.body = cmp::encode(cmp::fault_for(decoded.error()));
            co_return res;
        }
        if (opt_.latency_ms) {
            asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(opt_.latency_ms));
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        auto answer = model.handle(*decoded);
        core::log::info(model.id(), decoded->function + " -> resultCode " + std::to_string(answer.result_code));
        res.status = 200;
        res.body = cmp::encode(answer);
        co_return res;
    }

    // Advances every gateway once a second and queues what they want to send.
    asio::awaitable<void> ticker() {
        for (;;) {
            tick_.expires_after(seconds(1));
            co_await tick_.async_wait(asio::as_tuple(asio::use_awaitable));
            auto now = steady_clock::now();
            for (auto& [id, m] : models_) {
                m->advance_to(now);
                for (auto& msg : m->take_outbox()) outbox_.push_back({id, std::move(msg)});
            }
        }
    }

    // Delivers queued gateway->bridge messages in order, retrying while the bridge is away.
    asio::awaitable<void> sender() {
        asio::steady_timer wait(ioc_);
        for (;;) {
            if (outbox_.empty() || bridge_url_.host.empty()) {
                wait.expires_after(milliseconds(100));
                co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;
            }
            auto [id, msg] = outbox_.front();
            msg.header.rg_id = id;
            msg.header.transaction_id = std::to_string(++transactions_);
            msg.header.time_stamp = core::now_utc();
            http::Request req;
            req.method = "POST";
            req.target = bridge_url_.target;
            req.body = cmp::encode(msg);
            req.headers.push_back({"Content-Type", std::string(cmp::kContentType)});
            req.headers.push_back({"SOAPAction", cmp::soap_action(msg.function)});
            if (!opt_.secret.empty())
                req.headers.push_back({std::string(cmp::kAuthHeader),
                                       cmp::sign(opt_.secret, id, "POST", bridge_url_.target, req.body, unix_now(),
                                                 cmp::make_nonce())});
            auto res = co_await sender_.send(bridge_url_, std::move(req));
            if (!res || res->status != 200) {
                if (!res) core::log::debug("sim", "bridge unreachable: " + res.error().message);
                else core::log::warn(id, msg.function + " refused by the bridge: HTTP " + std::to_string(res->status));
                wait.expires_after(seconds(1));
                co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;  // keep order: retry the same message
            }
            outbox_.pop_front();
            auto decoded = cmp::decode_response(res->body, {}, &cmp::Catalogue::builtin(), msg.function);
            if (decoded) {
                core::log::info(id, msg.function + " sent, bridge answered resultCode " +
                                        std::to_string(decoded->result_code));
                models_[id]->on_response(*decoded);
            }
        }
    }

private:
    void write_identities() {
        YAML::Emitter out;
        out << YAML::BeginMap;
        for (auto& [id, m] : models_) {
            cmp::Request r;
            r.header = {id, "0", core::now_utc()};
            r.function = "getRgInfo";
            auto res = m->handle(r);
            if (res.result_code != 0) core::log::error(id, "getRgInfo for --identities-out failed: " + res.result_msg);
            out << YAML::Key << id << YAML::Value << YAML::BeginMap;
            for (auto& f : res.fields.fields)
                if (!f.is_list()) out << YAML::Key << f.name << YAML::Value << std::get<std::string>(f.value);
            out << YAML::EndMap;
        }
        out << YAML::EndMap;
        std::ofstream(opt_.identities_out) << out.c_str() << "\n";
    }

    asio::io_context& ioc_;
    Options opt_;
    asio::steady_timer tick_;
    net::HttpClient sender_;
    std::map<std::string, std::unique_ptr<sim::GatewayModel>> models_;
    std::deque<std::pair<std::string, cmp::Request>> outbox_;
    http::Url bridge_url_;
    cmp::Verifier verifier_;
    std::uint64_t transactions_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"cmp-gateway-sim: simulated CMP residential gateways"};
    Options o;
    std::string log_level = "info";
    cli.add_option("--listen", o.listen, "host:port to serve /cmp/<rgId> (port 0 = ephemeral)")->capture_default_str();
    cli.add_option("--port-file", o.port_file, "write the bound port here");
    cli.add_option("--gateways", o.gateways, "number of gateways")->capture_default_str();
    cli.add_option("--first-id", o.first_id, "number of the first gateway id (GW-0001)")->capture_default_str();
    cli.add_option("--bridge", o.bridge, "the bridge's CMP listener URL (registers every gateway)");
    cli.add_option("--secret", o.secret, "CMP shared secret (X-CMP-Auth both ways)");
    cli.add_option("--fail-rate", o.fail_rate, "fraction of calls answered with a failure")->check(CLI::Range(0.0, 1.0));
    cli.add_option("--latency", o.latency_ms, "added answer latency, ms");
    cli.add_option("--offline", o.offline, "gateway ids that do not answer");
    cli.add_option("--seed", o.seed_file, "initial values from a genieacs-sim dump (JSON/CSV)");
    cli.add_option("--identities-out", o.identities_out, "write each gateway's getRgInfo answer here (YAML)");
    cli.add_option("--log-level", log_level)->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    core::log::Level lvl;
    if (core::log::parse_level(log_level, lvl)) core::log::set_level(lvl);

    asio::io_context ioc(1);
    Simulator sim(ioc, o);
    if (auto st = sim.init(); !st) {
        std::cerr << "error: " << st.error().message << "\n";
        return 1;
    }
    net::HttpServer server(ioc, net::ServerOptions{},
                           [&](http::Request r, net::PeerInfo p) { return sim.handle(std::move(r), std::move(p)); });
    auto hp = net::split_host_port(o.listen);
    if (!hp) {
        std::cerr << "error: " << hp.error().message << "\n";
        return 1;
    }
    if (auto st = server.listen(hp->first, hp->second); !st) {
        std::cerr << "error: " << st.error().message << "\n";
        return 1;
    }
    core::log::info("sim", std::to_string(o.gateways) + " gateways on " + hp->first + ":" + std::to_string(server.port()));
    if (!o.port_file.empty()) {
        std::ofstream(o.port_file + ".tmp") << server.port() << "\n";
        std::filesystem::rename(o.port_file + ".tmp", o.port_file);
    }
    asio::co_spawn(ioc, sim.ticker(), asio::detached);
    asio::co_spawn(ioc, sim.sender(), asio::detached);
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) {
        server.stop();
        ioc.stop();
    });
    ioc.run();
    return 0;
}
