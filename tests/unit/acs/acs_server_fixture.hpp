#pragma once
// The fixture of the app::AcsServer tests: a fake TR-098 device played by the
// forward CPE engine (cwmp::CpeSession over net::HttpClient), its Digest
// Connection Request listener, an Observer that records, a fake clock.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

#include "bridge/app/acs_credentials.hpp"
#include "bridge/app/acs_server.hpp"
#include "bridge/cwmp/cpe_session.hpp"
#include "bridge/net/http_client.hpp"
#include "bridge/net/http_server.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace acs_server_test {

inline constexpr const char* kCredentials = R"(
default:
  username: cpe
  password: cpe-secret
  connection_request: {username: acs, password: cr-secret}
cpes:
  00D09E-RG1-OWN:
    username: own
    password: own-secret
)";

// A TR-098 device behind the CPE engine.
struct FakeDevice {
    std::string serial = "SN0001";
    std::string cr_url;
    std::map<std::string, std::string> values{{"InternetGatewayDevice.DeviceInfo.SoftwareVersion", "1.2.3"}};
    std::vector<std::string> rpcs;  // what the ACS asked, in order

    cwmp::Inform inform(std::vector<cwmp::EventStruct> events) const {
        cwmp::Inform i;
        i.device_id = {"Example", "00D09E", "RG1", serial};
        i.events = std::move(events);
        i.current_time = "2026-01-01T00:00:00Z";
        i.parameters = {{"InternetGatewayDevice.DeviceInfo.SoftwareVersion", values.at("InternetGatewayDevice.DeviceInfo.SoftwareVersion"), "xsd:string"},
                        {"InternetGatewayDevice.ManagementServer.ConnectionRequestURL", cr_url, "xsd:string"},
                        {"InternetGatewayDevice.ManagementServer.PeriodicInformInterval", "300", "xsd:unsignedInt"}};
        return i;
    }

    cwmp::Body answer(const cwmp::Body& rpc) {
        rpcs.emplace_back(cwmp::rpc_name(rpc));
        if (std::holds_alternative<cwmp::GetParameterNames>(rpc))
            return cwmp::GetParameterNamesResponse{{{"InternetGatewayDevice.", false},
                                                    {"InternetGatewayDevice.DeviceInfo.SoftwareVersion", false},
                                                    {"InternetGatewayDevice.LANDevice.1.Hosts.Host.1.Active", false},
                                                    {"InternetGatewayDevice.LANDevice.1.Hosts.Host.2.Active", false}}};
        if (std::holds_alternative<cwmp::SetParameterAttributes>(rpc)) return cwmp::SetParameterAttributesResponse{};
        if (auto* gpv = std::get_if<cwmp::GetParameterValues>(&rpc)) {
            cwmp::GetParameterValuesResponse out;
            for (const auto& n : gpv->names) {
                auto it = values.find(n);
                if (it == values.end()) return cwmp::Fault{9005, "Invalid parameter name", {}};
                out.parameters.push_back({n, it->second, "xsd:string"});
            }
            return out;
        }
        if (std::holds_alternative<cwmp::Reboot>(rpc)) return cwmp::RebootResponse{};
        return cwmp::Fault{9000, "Method not supported", {}};
    }
};

struct Env;
// `events`: "0 BOOTSTRAP,1 BOOT" (text, not a braced list: GCC 12 destroys
// braced temporaries inside a co_await twice).
asio::awaitable<std::string> play_session(Env& env, std::string events, std::vector<cwmp::Body> requests = {});

struct Recorder : app::AcsServer::Observer {
    std::vector<std::string> informs;  // "id: first event"
    std::vector<cwmp::TransferComplete> transfers;
    std::vector<std::string> gone;
    std::vector<bool> came_back;  // per Inform: did it end a gone period
    void on_inform(const acs::CpeRecord& r, const cwmp::Inform& i) override {
        informs.push_back(r.id + ": " + (i.events.empty() ? "" : i.events[0].event_code));
        came_back.push_back(r.came_back);
    }
    void on_transfer_complete(const acs::CpeRecord&, const cwmp::TransferComplete& tc) override {
        transfers.push_back(tc);
    }
    void on_gone(const acs::CpeRecord& r) override { gone.push_back(r.id); }
};

enum class CrMode { open_session, answer_only };

struct Env {
    asio::io_context ioc;
    acs::TimePoint clock = acs::TimePoint{} + std::chrono::hours(24 * 365 * 56);
    Recorder observer;
    std::unique_ptr<app::AcsServer> acs;
    FakeDevice device;
    std::string cpe_user = "cpe", cpe_password = "cpe-secret";
    // The CPE's Connection Request listener.
    http::DigestVerifier cr_verifier{{"cpe-cr", "k", 300, 64}};
    std::unique_ptr<net::HttpServer> cr_server;
    CrMode cr_mode = CrMode::open_session;
    int cr_challenged = 0, cr_accepted = 0, cr_rejected = 0;
    int cr_busy = 0;  // this many authenticated Connection Requests are answered 503 first
    std::vector<std::string> woken_sessions;  // outcomes of the sessions Connection Requests opened

    explicit Env(std::chrono::milliseconds session_timeout = 30'000ms, std::size_t max_cpes = 100) {
        app::AcsServerConfig c;
        c.listen = "127.0.0.1:0";
        auto table = app::parse_acs_credentials(kCredentials, "test.yaml");
        REQUIRE(table);
        c.credentials = *table;
        c.watch = {"LANDevice.{i}.Hosts.Host.{i}.Active"};
        c.session_timeout = session_timeout;
        c.max_cpes = max_cpes;
        c.connection_request_timeout = 2000ms;
        c.now = [this] { return clock; };
        acs = std::make_unique<app::AcsServer>(ioc, std::move(c), &observer);
        REQUIRE(acs->start());

        net::ServerOptions so;
        so.body_limit = 0;
        cr_server = std::make_unique<net::HttpServer>(ioc, so, [this](http::Request r, net::PeerInfo) {
            return on_connection_request(std::move(r));
        });
        REQUIRE(cr_server->listen("127.0.0.1", "0"));
        device.cr_url = "http://127.0.0.1:" + std::to_string(cr_server->port()) + "/cr/abc";
    }
    ~Env() {
        acs->stop();
        cr_server->stop();
    }

    std::string acs_url() const { return "http://127.0.0.1:" + std::to_string(acs->port()) + "/acs"; }
    std::string cpe_id() const { return "00D09E-RG1-" + device.serial; }

    asio::awaitable<http::Response> on_connection_request(http::Request req) {
        http::Response r;
        const std::string* authz = req.find("Authorization");
        auto lookup = [](std::string_view u) -> std::optional<std::string> {
            return u == "acs" ? std::optional<std::string>("cr-secret") : std::nullopt;
        };
        if (!authz) {
            ++cr_challenged;
            r.status = 401;
            r.headers.push_back({"WWW-Authenticate", cr_verifier.challenge()});
            co_return r;
        }
        if (cr_verifier.verify(*authz, req.method, req.target, lookup, std::time(nullptr)) != http::Verdict::ok) {
            ++cr_rejected;
            r.status = 401;
            r.headers.push_back({"WWW-Authenticate", cr_verifier.challenge()});
            co_return r;
        }
        if (cr_busy > 0) {
            --cr_busy;
            r.status = 503;  // in a session, or limiting Connection Requests
            co_return r;
        }
        ++cr_accepted;
        if (cr_mode == CrMode::open_session) {
            // Like a real CPE: answer first, then open the session.
            asio::co_spawn(ioc, [this]() -> asio::awaitable<void> {
                auto outcome = co_await play_session(*this, "6 CONNECTION REQUEST");
                woken_sessions.push_back(outcome);
            }, asio::detached);
        }
        r.status = 200;
        co_return r;
    }

    // Runs `test` to completion on the io_context.
    template <class F>
    void run(F test) {
        bool finished = false;
        asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
            co_await test();
            finished = true;
            ioc.stop();
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
        ioc.run_for(20s);
        REQUIRE(finished);
    }
};

// One CWMP session of the fake CPE, driven by the forward CPE engine.
inline asio::awaitable<std::string> play_session(Env& env, std::string events, std::vector<cwmp::Body> requests) {
    std::vector<cwmp::EventStruct> list;
    for (std::size_t start = 0; start < events.size();) {
        auto comma = events.find(',', start);
        if (comma == std::string::npos) comma = events.size();
        std::string code = events.substr(start, comma - start);
        list.push_back({code, code == "M Download" ? "dl-1" : ""});
        start = comma + 1;
    }
    auto ex = co_await asio::this_coro::executor;
    net::HttpClient client(ex, {});
    cwmp::SessionConfig config;
    config.acs_url = *http::Url::parse(env.acs_url());
    config.username = env.cpe_user;
    config.password = env.cpe_password;
    cwmp::CpeSession session(config, env.device.inform(std::move(list)), std::move(requests));
    cwmp::Action a = session.start();
    for (;;) {
        switch (a.kind) {
            case cwmp::Action::Kind::send: {
                auto r = co_await client.send(a.url, a.request);
                a = r ? session.on_response(*r) : session.on_transport_error(r.error().message);
                break;
            }
            case cwmp::Action::Kind::call_device: a = session.on_device_answer(env.device.answer(a.acs_request.body)); break;
            case cwmp::Action::Kind::done: co_return "done";
            case cwmp::Action::Kind::failed: co_return "failed: " + a.error;
        }
    }
}

inline asio::awaitable<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
}

// Polls (the observer hears on the CPE's strand, after the answer went out).
template <class Pred>
asio::awaitable<bool> eventually(Pred pred) {
    for (int i = 0; i < 200 && !pred(); ++i) co_await pause(5ms);
    co_return pred();
}

}  // namespace acs_server_test
