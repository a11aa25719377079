// app::CmpAgents + app::CmpAgentServer on 127.0.0.1 against a HOMS made of
// the forward side's pieces: cmp::Listener (regRg/authRg/keepAliveRg/
// notify*/deregRg) behind a net::HttpServer, and cmp::GatewayClient calling
// the agent at its rgCtrlUrl. Registration, keep-alives, a notification
// delivered once, HOMS calls answered through the handler (and refused when
// they must be), a HOMS restart, deregistration.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <functional>
#include <stdexcept>

#include "bridge/app/cmp_agent_clients.hpp"
#include "bridge/app/cmp_agent_server.hpp"
#include "bridge/cmp/gateway_client.hpp"
#include "bridge/cmp/listener.hpp"
#include "bridge/net/http_server.hpp"
#include "tests/unit/cmp/listener_test_util.hpp"
#include "tests/unit/cmp/pki_util.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

const std::string kRg = "00D09E-IGD-SN/0001";  // a '/' in the serial: the control URL escapes it
const std::string kSecret = "agent-io-secret-0123456789abcdef";

// What the HOMS saw.
struct HomsHost : cmp::ListenerHost {
    std::vector<cmp::Registration> registrations;
    std::vector<std::string> alive_calls, gone_calls;
    std::vector<cmp::Request> notifications;
    std::optional<cmp::GatewayAccess> access(std::string_view rg) override {
        if (rg != kRg) return std::nullopt;
        return cmp::GatewayAccess{{kRg, kSecret, false}, true};
    }
    bool registered(const cmp::Registration& r) override {
        registrations.push_back(r);
        return true;
    }
    void alive(std::string_view rg) override { alive_calls.emplace_back(rg); }
    void gone(std::string_view rg, std::string_view reason) override {
        gone_calls.push_back(std::string(rg) + ":" + std::string(reason));
    }
    int notification(const cmp::Request& m) override {
        notifications.push_back(m);
        return 0;
    }
};

// The HOMS: a listener for gateway messages on a fixed port (so it can restart there).
struct Homs {
    HomsHost host;
    cmp::Listener listener;
    bool crashed = false;  // its open connections then close without an answer, as a dead process's would
    net::HttpServer server;
    Homs(asio::io_context& ioc, const std::string& port, std::optional<net::TlsServerConfig> tls = {})
        : listener(host, options()),
          server(ioc, server_options(std::move(tls)), [this](http::Request r, net::PeerInfo p) -> asio::awaitable<http::Response> {
              if (crashed) co_return http::Response{};
              co_return listener.handle(r, p.address, cmp::unix_now());
          }) {
        REQUIRE(server.listen("127.0.0.1", port));
    }
    static net::ServerOptions server_options(std::optional<net::TlsServerConfig> tls) {
        net::ServerOptions o;
        o.tls = std::move(tls);
        return o;
    }
    static cmp::ListenerOptions options() {
        cmp::ListenerOptions o;
        o.sessions.keepalive_s = 1;
        return o;
    }
};

struct Rig {
    asio::io_context ioc;
    std::unique_ptr<Homs> homs;
    std::vector<std::unique_ptr<Homs>> crashed;  // kept: their connections may still be served
    std::unique_ptr<app::CmpAgents> agents;
    std::unique_ptr<app::CmpAgentServer> server;
    std::vector<cmp::Request> calls;  // what the handler was given
    std::function<cmp::Response(const cmp::Request&)> answer;

    net::TlsClientConfig client_tls;  // what the HOMS's calls to the agents trust

    // tls: both listeners (the HOMS's and the agents') serve HTTPS with this
    // certificate for 127.0.0.1; the agents verify the HOMS against trusted_ca.
    explicit Rig(std::optional<net::TlsServerConfig> tls = {}, std::string trusted_ca = {},
                 std::chrono::milliseconds idle_close = 5000ms) {
        homs = std::make_unique<Homs>(ioc, "0", tls);
        client_tls.ca_file = trusted_ca;
        app::CmpAgentsOptions o;
        o.homs_url = *http::Url::parse(std::string(tls ? "https" : "http") + "://127.0.0.1:" +
                                       std::to_string(homs->server.port()) + "/cmp");
        o.tls.ca_file = trusted_ca;
        o.idle_close = idle_close;
        o.timeout = 2000ms;
        o.agent.min_keepalive = 1s;
        o.agent.register_backoff = 1s;
        o.agent.resend_backoff = 1s;
        agents = std::make_unique<app::CmpAgents>(ioc, o);
        server = std::make_unique<app::CmpAgentServer>(
            ioc, [&] {
                app::CmpAgentServerOptions so;
                so.tls = tls;
                return so;
            }(),
            [this](std::string_view rg) { return agents->keys(rg); },
            [this](std::string rg, cmp::Request req) -> asio::awaitable<cmp::Response> {
                CHECK(rg == kRg);
                calls.push_back(req);
                co_return answer(req);
            });
        REQUIRE(server->listen());
        answer = [](const cmp::Request& req) {
            cmp::Response r = cmp::make_response(req);
            if (req.function == "getRgInfo") {
                r.fields.set("manufacturer", "Acme").set("oui", "00D09E").set("modelName", "Router 9");
                r.fields.set("productClass", "IGD").set("serialNumber", "SN/0001").set("hwVersion", "HW1");
                r.fields.set("swVersion", "V1.0").set("upTime", "42");
            } else {
                r.result_code = cmp::result_code::not_supported;
            }
            return r;
        };
    }
    cmp::AgentIdentity identity() const {
        return {"Acme", "00D09E", "Router 9", "IGD", "SN/0001", "HW1", "V1.0", "127.0.0.1", server->ctrl_url(kRg)};
    }
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 8000ms) {
        auto end = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            if (std::chrono::steady_clock::now() > end) return false;
            ioc.restart();
            ioc.run_for(20ms);
        }
        return true;
    }
    void settle(std::chrono::milliseconds d) {
        run_until([] { return false; }, d);
    }
    bool registered() const {
        auto s = agents->status(kRg);
        return s && s->phase == cmp::AgentSession::Phase::registered && homs->listener.authenticated(kRg);
    }
    // One HOMS -> gateway call through cmp::GatewayClient, as the forward bridge makes them.
    core::Result<cmp::Response> call(cmp::Request req, const std::string& secret = kSecret,
                                     const std::string& rg = kRg) {
        cmp::GatewayClient client(ioc.get_executor(),
                                  cmp::GatewayClientOptions{rg, *http::Url::parse(server->ctrl_url(rg)), secret, 2000ms,
                                                            1, client_tls});
        std::optional<core::Result<cmp::Response>> out;
        asio::co_spawn(
            ioc, [&]() -> asio::awaitable<void> { out = co_await client.call(req); }, asio::detached);
        REQUIRE(run_until([&] { return out.has_value(); }));
        return *out;
    }
};

cmp::Request join(std::string dev) {
    cmp::Request m;
    m.function = "notifyHomeDevJoin";
    m.args.set("devId", std::move(dev)).set("deviceType", "Computer");
    return m;
}

}  // namespace

TEST_CASE("a virtual gateway registers, keeps alive, notifies once and answers the HOMS") {
    Rig r;
    CHECK(r.server->ctrl_url(kRg).ends_with("/cmp/00D09E-IGD-SN%2F0001"));
    r.agents->add(kRg, r.identity(), kSecret);
    REQUIRE(r.run_until([&] { return r.registered(); }));
    REQUIRE(r.homs->host.registrations.size() == 1);
    const cmp::Record& info = r.homs->host.registrations[0].info;
    CHECK(info.get("serialNumber") == "SN/0001");
    CHECK(info.get("rgCtrlUrl") == r.server->ctrl_url(kRg));

    // Keep-alives every second (the HOMS asked for 1 s).
    REQUIRE(r.run_until([&] { return r.homs->host.alive_calls.size() >= 1; }, 5000ms));

    // A notification is delivered exactly once.
    CHECK(r.agents->notify(kRg, join("dev-1")));
    REQUIRE(r.run_until([&] { return r.homs->host.notifications.size() == 1; }));
    r.settle(1100ms);  // a keep-alive cycle: nothing is sent twice
    CHECK(r.homs->host.notifications.size() == 1);
    CHECK(r.homs->host.notifications[0].args.get("devId") == "dev-1");
    CHECK(r.agents->status(kRg)->delivered == 1);
    CHECK(r.agents->status(kRg)->outbox == 0);
    CHECK_FALSE(r.agents->notify("nobody", join("dev-2")));

    SUBCASE("HOMS calls go through the handler, signed both ways") {
        cmp::Request info_call;
        info_call.function = "getRgInfo";
        auto res = r.call(info_call);
        REQUIRE(res);
        CHECK(res->result_code == 0);
        CHECK(res->fields.get("manufacturer") == "Acme");
        CHECK(res->header.rg_id == kRg);
        REQUIRE(r.calls.size() == 1);
        CHECK(r.calls[0].function == "getRgInfo");

        cmp::Request cpu;
        cpu.function = "getRgCpuRsc";
        auto ns = r.call(cpu);
        REQUIRE(ns);
        CHECK(ns->result_code == cmp::result_code::not_supported);

        // An answer that does not match the catalogue never reaches the HOMS.
        r.answer = [](const cmp::Request& req) { return cmp::make_response(req); };  // getRgInfo without fields
        auto bad = r.call(info_call);
        REQUIRE(bad);
        CHECK(bad->result_code == cmp::result_code::general_failure);

        // A handler that throws: a SOAP Fault (Server) with resultCode 1.
        r.answer = [](const cmp::Request&) -> cmp::Response { throw std::runtime_error("boom"); };
        auto thrown = r.call(info_call);
        REQUIRE(thrown);
        CHECK(thrown->result_code == cmp::result_code::general_failure);

        // Invalid arguments and gateway -> HOMS functions are refused before the handler.
        const std::size_t handled = r.calls.size();
        cmp::Request disk;
        disk.function = "getRgDiskRsc";
        disk.args.set("bogus", "1");
        auto inv = r.call(disk);
        REQUIRE(inv);
        CHECK(inv->result_code == cmp::result_code::invalid_argument);
        CHECK(r.calls.size() == handled);
    }
    SUBCASE("calls the gateway must refuse") {
        cmp::Request info_call;
        info_call.function = "getRgInfo";
        auto wrong = r.call(info_call, "not-the-secret-0123456789");
        REQUIRE_FALSE(wrong);
        CHECK(wrong.error().code == "cmp.unauthorized");
        auto unknown = r.call(info_call, kSecret, "OTHER-GW");
        REQUIRE_FALSE(unknown);
        CHECK(unknown.error().code == "cmp.unauthorized");  // 401: not a gateway of ours
        CHECK(r.calls.empty());
    }
    SUBCASE("the HOMS restarts: the agent registers again, a queued notification follows once") {
        const unsigned short port = r.homs->server.port();
        r.homs->server.stop();
        r.homs->crashed = true;
        r.crashed.push_back(std::move(r.homs));
        CHECK(r.agents->notify(kRg, join("dev-while-down")));
        r.settle(1500ms);  // keep-alives and the notification fail meanwhile
        CHECK(r.agents->status(kRg)->outbox == 1);
        r.homs = std::make_unique<Homs>(r.ioc, std::to_string(port));
        REQUIRE(r.run_until([&] { return r.registered() && r.homs->host.notifications.size() == 1; }, 10000ms));
        CHECK(r.homs->host.registrations.size() == 1);
        CHECK_FALSE(r.homs->host.registrations[0].rebooted);  // it told the HOMS the gateway kept running
        CHECK(r.homs->host.notifications[0].args.get("devId") == "dev-while-down");
        r.settle(1500ms);
        CHECK(r.homs->host.notifications.size() == 1);
        CHECK(r.agents->status(kRg)->registrations == 2);
    }
    SUBCASE("rebooted: a fresh regRg with the new identity, queued notifications follow it") {
        cmp::AgentIdentity upgraded = r.identity();
        upgraded.sw_version = "V2.0";
        CHECK(r.agents->rebooted(kRg, upgraded));
        CHECK(r.agents->notify(kRg, join("dev-after-boot")));
        REQUIRE(r.run_until([&] { return r.homs->host.notifications.size() == 2; }));
        REQUIRE(r.homs->host.registrations.size() == 2);
        CHECK(r.homs->host.registrations[1].info.get("swVersion") == "V2.0");
        CHECK(r.homs->host.registrations[1].rebooted);  // a regRg replacing a live session is a boot
        CHECK(r.homs->host.notifications[1].args.get("devId") == "dev-after-boot");
        CHECK(r.homs->host.gone_calls.empty());  // no deregRg: the gateway is already back
        CHECK_FALSE(r.agents->rebooted("nobody", upgraded));
    }
    SUBCASE("remove and add at once: the new session starts after the old one's deregRg") {
        r.agents->remove(kRg, "cpe gone");
        r.agents->add(kRg, r.identity(), kSecret);
        REQUIRE(r.run_until([&] { return r.homs->host.registrations.size() == 2 && r.registered(); }));
        REQUIRE(r.homs->host.gone_calls.size() == 1);  // the deregRg came first and closed only the old session
        r.settle(2500ms);                              // keep-alives of the new session are accepted
        CHECK(r.registered());
        CHECK(r.agents->status(kRg)->registrations == 1);  // a fresh AgentSession
        CHECK(r.agents->size() == 1);
    }
    SUBCASE("remove: deregRg, then the agent is gone; add again registers afresh") {
        r.agents->remove(kRg, "cpe gone");
        CHECK_FALSE(r.agents->keys(kRg));  // no more HOMS calls accepted for it
        REQUIRE(r.run_until([&] { return r.agents->size() == 0; }));
        REQUIRE(r.homs->host.gone_calls.size() == 1);
        CHECK(r.homs->host.gone_calls[0] == kRg + ":cpe gone");
        r.agents->add(kRg, r.identity(), kSecret);
        REQUIRE(r.run_until([&] { return r.registered(); }));
        CHECK(r.homs->host.registrations.size() == 2);
    }
}

TEST_CASE("a wrong secret never registers, and retries with back-off") {
    Rig r;
    r.agents->add(kRg, r.identity(), "wrong-secret-0123456789abcdef");
    r.settle(2500ms);
    CHECK_FALSE(r.registered());
    CHECK(r.homs->host.registrations.empty());
    auto s = r.agents->status(kRg);
    REQUIRE(s);
    CHECK(s->phase != cmp::AgentSession::Phase::registered);
    // Fixed by add() with the right secret: the next attempt registers.
    r.agents->add(kRg, r.identity(), kSecret);
    REQUIRE(r.run_until([&] { return r.registered(); }, 10000ms));
}

TEST_CASE("over TLS: the HOMS's certificate is verified, calls to the agent are HTTPS") {
    const auto dir = pki::temp_dir("cmp-agent-tls");
    const pki::Pki good = pki::make(dir, "good");
    const pki::Pki other = pki::make(dir, "other");  // a CA that signed nothing the HOMS uses
    const net::TlsServerConfig server_tls{good.server_cert(), good.server_key(), ""};
    SUBCASE("trusted: registers and answers") {
        Rig r(server_tls, good.ca());
        CHECK(r.server->ctrl_url(kRg).starts_with("https://127.0.0.1:"));
        r.agents->add(kRg, r.identity(), kSecret);
        REQUIRE(r.run_until([&] { return r.registered(); }));
        cmp::Request info_call;
        info_call.function = "getRgInfo";
        auto res = r.call(info_call);
        REQUIRE(res);
        CHECK(res->fields.get("manufacturer") == "Acme");
    }
    SUBCASE("a HOMS certificate from another CA: never registers") {
        Rig r(server_tls, other.ca());
        r.agents->add(kRg, r.identity(), kSecret);
        r.settle(2000ms);
        CHECK(r.homs->host.registrations.empty());
        CHECK(r.agents->status(kRg)->phase == cmp::AgentSession::Phase::unregistered);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a gateway whose next message is far away holds no connection to the HOMS meanwhile") {
    SUBCASE("next keep-alive (1 s) beyond idle_close (300 ms): closed between exchanges") {
        Rig r({}, {}, 300ms);
        r.agents->add(kRg, r.identity(), kSecret);
        REQUIRE(r.run_until([&] { return r.registered(); }));
        const std::size_t before = r.homs->host.alive_calls.size();
        REQUIRE(r.run_until([&] { return r.homs->host.alive_calls.size() >= before + 2; }, 5000ms));
        REQUIRE(r.run_until([&] { return r.homs->server.stats().connections == 0; }, 500ms));
    }
    SUBCASE("within idle_close (5 s): one connection, reused") {
        Rig r;
        r.agents->add(kRg, r.identity(), kSecret);
        REQUIRE(r.run_until([&] { return r.registered(); }));
        REQUIRE(r.run_until([&] { return r.homs->host.alive_calls.size() >= 2; }, 5000ms));
        CHECK(r.homs->server.stats().connections == 1);
        CHECK(r.homs->server.stats().accepted == 1);
    }
}

TEST_CASE("a HOMS outage does not flood the log: the fleet's failures are rate-limited together") {
    Rig r;
    const unsigned short port = r.homs->server.port();
    r.homs->server.stop();  // nothing listens there any more: every regRg fails at once
    r.homs->crashed = true;
    lt::StderrCapture capture;
    for (int i = 0; i < 40; ++i) {
        cmp::AgentIdentity id = r.identity();
        r.agents->add("GW-FLOOD-" + std::to_string(i), id, kSecret);
    }
    r.settle(800ms);
    const std::string text = capture.text();
    capture.restore();
    std::size_t lines = 0;
    for (std::size_t at = text.find("regRg failed"); at != std::string::npos; at = text.find("regRg failed", at + 1))
        ++lines;
    INFO("port " << port << ", log:\n" << text);
    CHECK(lines >= 1);
    CHECK(lines <= 5);  // LogLimiter's burst, not one line per gateway
    for (int i = 0; i < 40; ++i) CHECK(r.agents->status("GW-FLOOD-" + std::to_string(i))->phase ==
                                       cmp::AgentSession::Phase::unregistered);
}

TEST_CASE("percent encoding of rgIds in control URLs") {
    CHECK(app::percent_encode("A-b_c.9~") == "A-b_c.9~");
    CHECK(app::percent_encode("a/b c%") == "a%2Fb%20c%25");
    CHECK(app::percent_decode("a%2Fb%20c%25") == std::optional<std::string>("a/b c%"));
    CHECK_FALSE(app::percent_decode("a%2"));
    CHECK_FALSE(app::percent_decode("a%zz"));
}
