// The simulator's I/O in-process: a real sim::Simulator behind a net::HttpServer,
// a real cmp::Listener (with a recording host) as "the bridge", and
// cmp::GatewayClient calling the gateways. Covers registration end to end,
// the control endpoint, unreachability while rebooting or cut off, fault
// injection and the legacy SEED mode, without processes.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "bridge/cmp/gateway_client.hpp"
#include "bridge/cmp/listener.hpp"
#include "examples/cmp-gateway-sim/sim_server.hpp"
#include "tests/shared_paths.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "sim-server-test-secret-01";
const std::string kToken = "control-token-for-tests";

// The bridge side: records what the listener reports.
struct Host : cmp::ListenerHost {
    std::set<std::string> legacy;
    std::vector<std::string> events;  // "registered GW-0001", "gone GW-0001:reboot", "notifyHomeDevJoin GW-0001"
    std::optional<cmp::GatewayAccess> access(std::string_view rg) override {
        return cmp::GatewayAccess{{std::string(rg), kSecret, legacy.count(std::string(rg)) > 0}, true};
    }
    bool registered(const cmp::Registration& r) override {
        events.push_back("registered " + r.rg_id);
        return true;
    }
    void alive(std::string_view) override {}
    void gone(std::string_view rg, std::string_view why) override {
        events.push_back("gone " + std::string(rg) + ":" + std::string(why));
    }
    int notification(const cmp::Request& m) override {
        events.push_back(m.function + " " + m.header.rg_id);
        return 0;
    }
    bool saw(const std::string& e) const { return std::find(events.begin(), events.end(), e) != events.end(); }
};

struct Bench {
    asio::io_context ioc;
    Host host;
    cmp::Listener listener{host};
    net::HttpServer bridge{ioc, net::ServerOptions{}, [this](http::Request r, net::PeerInfo p) -> asio::awaitable<http::Response> {
                               co_return listener.handle(r, p.address, cmp::unix_now());
                           }};
    std::unique_ptr<sim::Simulator> sim;
    std::unique_ptr<net::HttpServer> sim_server;

    explicit Bench(sim::SimOptions o = {}) {
        REQUIRE(bridge.listen("127.0.0.1", "0"));
        o.bridge = "http://127.0.0.1:" + std::to_string(bridge.port()) + "/cmp";
        o.secret = kSecret;
        o.control_token = kToken;
        for (auto& id : o.legacy_seed) host.legacy.insert(id);
        sim = std::make_unique<sim::Simulator>(ioc, o);
        sim_server = std::make_unique<net::HttpServer>(
            ioc, net::ServerOptions{}, [this](http::Request r, net::PeerInfo p) { return sim->handle(std::move(r), std::move(p)); });
        REQUIRE(sim_server->listen("127.0.0.1", "0"));
        REQUIRE(sim->init(sim_server->port()));
        asio::co_spawn(ioc, sim->ticker(), asio::detached);
        asio::co_spawn(ioc, sim->sender(), asio::detached);
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(sim_server->port()) + path; }

    // Runs the loop until pred holds (true) or the time is up (false).
    bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
        auto until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            ioc.run_for(20ms);
            if (pred()) return true;
        }
        return false;
    }
    template <class T>
    T await(asio::awaitable<T> a) {
        std::optional<T> out;
        asio::co_spawn(
            ioc, [&, a = std::move(a)]() mutable -> asio::awaitable<void> { out.emplace(co_await std::move(a)); },
            asio::detached);
        run_until([&] { return out.has_value(); }, 20s);
        REQUIRE(out);
        return std::move(*out);
    }
    http::Response control(const std::string& path, std::string token = kToken, std::string method = "POST") {
        net::HttpClient c(ioc.get_executor(), net::ClientOptions{});
        http::Request r;
        r.method = method;
        r.target = path;
        r.headers.push_back({"Authorization", "Bearer " + token});
        auto res = await(c.send(*http::Url::parse(url(path)), r));
        REQUIRE(res);
        return *res;
    }
    core::Result<cmp::Response> call(const std::string& id, const std::string& fn, bool legacy = false) {
        cmp::GatewayClient client(ioc.get_executor(), cmp::GatewayClientOptions{id, *http::Url::parse(url("/cmp/" + id)),
                                                                                 kSecret, 2000ms, 1, {}, legacy});
        cmp::Request r;
        r.function = fn;
        return await(client.call(r));
    }
};

}  // namespace

TEST_CASE("gateways register with the bridge (regRg, authRg) and answer signed calls") {
    sim::SimOptions o;
    o.gateways = 2;
    Bench b(o);
    REQUIRE(b.run_until([&] { return b.host.saw("registered GW-0001") && b.host.saw("registered GW-0002"); }));
    CHECK(b.listener.authenticated("GW-0001"));
    auto info = b.call("GW-0002", "getRgInfo");
    REQUIRE_MESSAGE(info, (info ? "" : info.error().message));
    CHECK(info->fields.get("serialNumber").size() > 6);
    auto status = b.control("/control/GW-0001/status", kToken, "GET");
    CHECK(status.status == 200);
    CHECK(status.body.find("registered: true") != std::string::npos);
}

TEST_CASE("control endpoint: join, leave and alerts reach the bridge at once") {
    Bench b;
    REQUIRE(b.run_until([&] { return b.host.saw("registered GW-0001"); }));
    auto joined = b.control("/control/GW-0001/join");
    CHECK(joined.status == 200);
    CHECK(joined.body.rfind("devId: ", 0) == 0);
    CHECK(b.run_until([&] { return b.host.saw("notifyHomeDevJoin GW-0001"); }, 3s));
    const std::string dev = joined.body.substr(7, joined.body.size() - 8);
    CHECK(b.control("/control/GW-0001/leave?devId=" + dev).status == 200);
    CHECK(b.run_until([&] { return b.host.saw("notifyHomeDevLeave GW-0001"); }, 3s));
    CHECK(b.control("/control/GW-0001/alert?type=cpu").status == 200);
    CHECK(b.control("/control/GW-0001/alert?type=sec").status == 200);
    CHECK(b.run_until([&] { return b.host.saw("notifyRgRscAlert GW-0001") && b.host.saw("notifyRgSecAlert GW-0001"); }, 3s));
    CHECK(b.control("/control/GW-0001/alert?type=fire").status == 400);
    CHECK(b.control("/control/GW-0001/nonsense").status == 404);
    CHECK(b.control("/control/GW-0009/join").status == 404);
    CHECK(b.control("/control/GW-0001/join", "wrong-token").status == 401);
}

TEST_CASE("control endpoint refuses non-loopback peers and is off without a token") {
    Bench b;
    http::Request r;
    r.method = "POST";
    r.target = "/control/GW-0001/join";
    r.headers.push_back({"Authorization", "Bearer " + kToken});
    auto res = b.await(b.sim->handle(r, net::PeerInfo{"192.0.2.10", 40000, false}));
    CHECK(res.status == 403);

    sim::SimOptions o;
    asio::io_context ioc;
    sim::Simulator plain(ioc, o);
    REQUIRE(plain.init(7700));
    std::optional<http::Response> out;
    asio::co_spawn(ioc, plain.handle(r, net::PeerInfo{"127.0.0.1", 40000, false}),
                   [&](std::exception_ptr, http::Response v) { out = std::move(v); });
    ioc.run();
    REQUIRE(out);
    CHECK(out->status == 404);
}

TEST_CASE("reboot: deregRg, unreachable (connection closed, no answer), then registered again") {
    sim::SimOptions o;
    o.reboot_s = 2;
    Bench b(o);
    REQUIRE(b.run_until([&] { return b.host.saw("registered GW-0001"); }));
    CHECK(b.control("/control/GW-0001/reboot").status == 200);
    CHECK(b.run_until([&] { return b.host.saw("gone GW-0001:reboot"); }, 3s));
    auto during = b.call("GW-0001", "getRgInfo");
    REQUIRE_FALSE(during);
    CHECK(during.error().code.rfind("net.", 0) == 0);  // no HTTP answer at all
    CHECK(b.control("/control/GW-0001/reboot").status == 409);
    b.host.events.clear();
    CHECK(b.run_until([&] { return b.host.saw("registered GW-0001"); }, 8s));
    CHECK(b.call("GW-0001", "getRgInfo"));
}

TEST_CASE("--offline and the offline/online controls: no answers, no messages") {
    sim::SimOptions o;
    o.gateways = 2;
    o.offline = {"GW-0002"};
    Bench b(o);
    REQUIRE(b.run_until([&] { return b.host.saw("registered GW-0001"); }));
    b.ioc.run_for(300ms);
    CHECK_FALSE(b.host.saw("registered GW-0002"));
    CHECK_FALSE(b.call("GW-0002", "getRgInfo"));
    CHECK(b.control("/control/GW-0002/online").status == 200);
    auto back = b.call("GW-0002", "getRgInfo");
    CHECK(back);
    CHECK(b.control("/control/GW-0001/offline").status == 200);
    CHECK_FALSE(b.call("GW-0001", "getRgInfo"));
}

TEST_CASE("--fail-rate 1: every call answered with a failure resultCode") {
    sim::SimOptions o;
    o.fail_rate = 1.0;
    Bench b(o);
    auto r = b.call("GW-0001", "getRgInfo");
    REQUIRE(r);
    CHECK((r->result_code == cmp::result_code::busy || r->result_code == cmp::result_code::general_failure));
}

TEST_CASE("--latency delays answers") {
    sim::SimOptions o;
    o.latency_ms = 300;
    Bench b(o);
    auto t0 = std::chrono::steady_clock::now();
    CHECK(b.call("GW-0001", "getRgMemRsc"));
    CHECK(std::chrono::steady_clock::now() - t0 >= 290ms);
}

TEST_CASE("legacy SEED gateway: registration and calls encrypted; a plain client is refused") {
    sim::SimOptions o;
    o.gateways = 2;
    o.legacy_seed = {"GW-0002"};
    Bench b(o);
    REQUIRE(b.run_until([&] { return b.host.saw("registered GW-0002") && b.host.saw("registered GW-0001"); }));
    auto r = b.call("GW-0002", "getRgInfo", true);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    CHECK(r->ok());
    auto plain = b.call("GW-0002", "getRgInfo", false);
    REQUIRE_FALSE(plain);
    CHECK(plain.error().code == "cmp.http");  // 415: the mode is configured, not negotiated
}

TEST_CASE("--seed-from the real Huawei dump: every gateway starts from its values, identities stay distinct") {
    const auto dump = test_shared::path("data/genieacs-sim_data_model_202BC1-BM632w-8KA8WA1151100043.json");
    if (!dump) return;
    std::ifstream in(*dump);
    REQUIRE_MESSAGE(in, "cannot read " << dump->string());
    // The built-in defaults are this very gateway, so a marked copy proves the file is what the gateways use.
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string version = "V100R001IRQC56B017";
    REQUIRE(text.find(version) != std::string::npos);
    text.replace(text.find(version), version.size(), "V100R001SEEDTEST");
    const auto copy = std::filesystem::temp_directory_path() / ("sim-seed-" + std::to_string(::getpid()) + ".json");
    std::ofstream(copy) << text;

    sim::SimOptions o;
    o.gateways = 2;
    o.seed_file = copy.string();
    Bench b(o);
    std::set<std::string> serials;
    for (const char* id : {"GW-0001", "GW-0002"}) {
        auto info = b.call(id, "getRgInfo");
        REQUIRE(info);
        CHECK(info->fields.get("swVersion") == "V100R001SEEDTEST");
        CHECK(info->fields.get("manufacturer") == "Huawei Technologies Co., Ltd.");
        CHECK(info->fields.get("productClass") == "BM632w");
        serials.insert(info->fields.get("serialNumber"));
        auto net = b.call(id, "getRgNetInfo");
        REQUIRE(net);
        REQUIRE(net->fields.list("lan"));
        CHECK(net->fields.list("lan")->front().get("ipAddr") == "192.168.1.1");
    }
    CHECK(serials.size() == 2);
    std::filesystem::remove(copy);
}

TEST_CASE("a seed file that cannot be used stops the simulator with the reason") {
    const auto bad = std::filesystem::temp_directory_path() / ("sim-seed-bad-" + std::to_string(::getpid()) + ".json");
    std::ofstream(bad) << "{ not json";
    asio::io_context ioc;
    sim::SimOptions o;
    o.seed_file = bad.string();
    sim::Simulator s(ioc, o);
    auto st = s.init(7700);
    REQUIRE_FALSE(st);
    CHECK(st.error().message.find(bad.string()) != std::string::npos);
    std::filesystem::remove(bad);
}
