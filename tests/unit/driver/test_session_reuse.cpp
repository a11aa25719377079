// app::VirtualCpe with the shipped tr098.yaml table and the simulator's gateway
// model: an ACS that reads back right after the Inform what the Inform carried
// costs no second CMP call (cmp.reuse_answers_ms), unless something may have
// changed the gateway in between: a set that reached it, a gateway message.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "bridge/app/virtual_cpe.hpp"
#include "bridge/core/log.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/mapping/table_device.hpp"
#include "bridge/state/store.hpp"
#include "examples/cmp-gateway-sim/gateway_model.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {


const std::string kSerial = "InternetGatewayDevice.DeviceInfo.SerialNumber";
const std::string kWanIp = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress";

// Both peers give the strand back before they answer, as real sockets do, so
// that what was posted to the CPE meanwhile (a gateway message) runs in between.
asio::awaitable<void> yield() {
    auto ex = co_await asio::this_coro::executor;
    co_await asio::post(ex, asio::use_awaitable);
}

// The simulator's gateway, answering in-process; counts the calls per function.
struct SimGateway : app::GatewayTransport {
    sim::GatewayModel model{"GW-1", std::chrono::steady_clock::time_point{}};
    std::map<std::string, int> calls;
    std::uint64_t tx = 1;
    asio::awaitable<core::Result<cmp::Response>> call(cmp::Request req) override {
        ++calls[req.function];
        req.header = {"GW-1", std::to_string(tx++), "2026-12-03T22:00:00Z"};
        co_await yield();
        co_return model.handle(req);
    }
};

// The ACS: `next(n)` answers the CPE's n-th POST; the envelopes received are kept.
struct ScriptedAcs : app::AcsTransport {
    std::function<cwmp::Body(int)> next;
    std::function<bool(int)> done;  // true: answer 204 to POST n
    std::vector<std::optional<cwmp::Envelope>> received;
    asio::awaitable<core::Result<http::Response>> send(const http::Url&, http::Request req) override {
        std::optional<cwmp::Envelope> env;
        if (!req.body.empty()) {
            auto d = cwmp::decode(req.body);
            REQUIRE(d);
            env = *d;
        }
        received.push_back(env);
        const int n = static_cast<int>(received.size()) - 1;
        http::Response r;
        r.status = 204;
        if (!done(n)) {
            cwmp::Envelope out;
            out.id = "acs-" + std::to_string(n);
            out.body = next(n);
            r.status = 200;
            r.headers.push_back({"Content-Type", "text/xml; charset=utf-8"});
            r.body = cwmp::encode(out);
        }
        co_await yield();
        co_return r;
    }
};

struct Rig {
    app::Config config;
    state::MemoryStore store;
    app::CpeEnvironment env{config, store, "http://127.0.0.1:7548"};
    ScriptedAcs* acs = nullptr;
    SimGateway* gateway = nullptr;
    asio::io_context ioc;
    std::shared_ptr<app::VirtualCpe> cpe;

    explicit Rig(std::chrono::milliseconds reuse) {
        config.acs.url = "http://acs.example.net/cwmp";
        config.cmp.reuse_answers = reuse;
        config.gateways.push_back({"GW-1", "http://gateway.invalid/cmp", "tr098.yaml", ""});
        auto table = mapping::Table::load_file("mappings/tr098.yaml");
        REQUIRE_MESSAGE(table, (table ? "" : table.error().message));
        auto a = std::make_unique<ScriptedAcs>();
        auto g = std::make_unique<SimGateway>();
        acs = a.get();
        gateway = g.get();
        cpe::CpeState state;
        state.gateway_id = "GW-1";
        state.cr_path = "tok";
        state.bootstrapped = true;
        state.pending_events.push_back({"1 BOOT", ""});
        REQUIRE(store.save("GW-1", cpe::serialize(state)));
        app::Transports t{std::move(a), std::move(g)};
        cpe = std::make_shared<app::VirtualCpe>(ioc, env, config.gateways[0], *http::Url::parse("http://gateway.invalid/cmp"),
                                                std::make_unique<mapping::TableDevice>(*table), std::move(state),
                                                std::move(t));
    }

    bool session() {
        std::optional<bool> ok;
        cpe->replay_session(0, {}, [&](bool r) { ok = r; });
        while (!ok && ioc.run_one_for(std::chrono::seconds(10))) {
        }
        ioc.poll();
        ioc.restart();
        REQUIRE(ok.has_value());
        return *ok;
    }

    // The values of the GetParameterValuesResponse the CPE sent with POST n.
    std::map<std::string, std::string> values_in(int n) const {
        REQUIRE(static_cast<std::size_t>(n) < acs->received.size());
        REQUIRE(acs->received[n]);
        auto* r = std::get_if<cwmp::GetParameterValuesResponse>(&acs->received[n]->body);
        REQUIRE(r);
        std::map<std::string, std::string> m;
        for (auto& p : r->parameters) m[p.name] = p.value;
        return m;
    }
};

cwmp::Body gpv(std::vector<std::string> names) {
    cwmp::GetParameterValues g;
    g.names = std::move(names);
    return g;
}

cwmp::Body spv_ntp() {
    cwmp::SetParameterValues spv;
    spv.parameters.push_back({"InternetGatewayDevice.Time.NTPServer1", "ntp.example.net", "xsd:string"});
    spv.parameter_key = "k1";
    return spv;
}

}  // namespace

TEST_CASE("a GetParameterValues right after the Inform reads each function once; with reuse off, twice") {
    for (const auto reuse : {2000ms, 0ms}) {
        CAPTURE(reuse.count());
        Rig rig(reuse);
        rig.acs->done = [](int n) { return n >= 2; };
        rig.acs->next = [](int n) {
            return n == 0 ? cwmp::Body(cwmp::InformResponse{1}) : gpv({kSerial, kWanIp});
        };
        CHECK(rig.session());
        const int expected = reuse.count() > 0 ? 1 : 2;
        CHECK(rig.gateway->calls["getRgInfo"] == expected);
        CHECK(rig.gateway->calls["getRgNetInfo"] == expected);
        // The reused answer says what the gateway said.
        auto v = rig.values_in(2);
        CHECK(v[kSerial] == rig.gateway->model.serial_number());
        CHECK_FALSE(v[kWanIp].empty());
        // Nothing of the session stays on the idle CPE: the next session reads afresh.
        rig.acs->received.clear();
        CHECK(rig.session());
        CHECK(rig.gateway->calls["getRgInfo"] == 2 * expected);
    }
}

TEST_CASE("a SetParameterValues that reaches the gateway between two reads makes the second read call again") {
    for (const bool with_set : {true, false}) {
        CAPTURE(with_set);
        Rig rig(2000ms);
        rig.acs->done = [with_set](int n) { return n >= (with_set ? 4 : 3); };
        rig.acs->next = [with_set](int n) {
            if (n == 0) return cwmp::Body(cwmp::InformResponse{1});
            if (n == 2 && with_set) return spv_ntp();
            return gpv({kSerial});
        };
        CHECK(rig.session());
        if (with_set) CHECK(rig.gateway->calls["setRgTime"] == 1);
        // The Inform's read, reused by the first GPV; the second GPV reads again after the set.
        CHECK(rig.gateway->calls["getRgInfo"] == (with_set ? 2 : 1));
    }
}

TEST_CASE("a gateway message between two reads makes the second read call again") {
    for (const bool with_message : {true, false}) {
        CAPTURE(with_message);
        Rig rig(2000ms);
        rig.acs->done = [](int n) { return n >= 3; };
        rig.acs->next = [&rig, with_message](int n) {
            if (n == 0) return cwmp::Body(cwmp::InformResponse{1});
            if (n == 2 && with_message) {
                // A host joined the LAN: posted to the CPE's strand, it runs while the ACS answers.
                cmp::Request join;
                join.header = {"GW-1", "g-1", "2026-12-03T22:00:00Z"};
                join.function = "notifyHomeDevJoin";
                join.args.set("devId", "aa:bb:cc:dd:ee:01").set("deviceType", "Computer");
                rig.cpe->gateway_message(join);
            }
            return gpv({kSerial});
        };
        CHECK(rig.session());
        CHECK(rig.gateway->calls["getRgInfo"] == (with_message ? 2 : 1));
    }
}
