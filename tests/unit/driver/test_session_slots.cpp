// app::VirtualCpe under acs.max_concurrent_sessions: many CPEs started at
// once on one io_context never run more sessions than the bound, every one of
// them completes with its events, and a Connection Request to a waiting CPE
// goes ahead of the periodic/boot ones.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <vector>

#include "bridge/app/bridge_metrics.hpp"
#include "bridge/app/virtual_cpe.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/state/store.hpp"
#include "tests/unit/cpe/fixture.hpp"

namespace asio = boost::asio;
using namespace cpe_test;

namespace {

// What every CPE's ACS saw, shared by all of them.
struct AcsLog {
    int running = 0, max_running = 0;
    std::vector<std::string> inform_order;          // gateway ids, in the order their Informs arrived
    std::vector<std::vector<std::string>> events;   // ... with their events
    int done = 0;
    std::chrono::milliseconds delay{5};  // per answer
};

// One CPE's ACS: Inform -> InformResponse (after a few ms, so sessions
// overlap), empty POST -> 204.
struct SlowAcs : app::AcsTransport {
    AcsLog& log;
    std::string id;
    SlowAcs(AcsLog& l, std::string i) : log(l), id(std::move(i)) {}
    asio::awaitable<core::Result<http::Response>> send(const http::Url&, http::Request req) override {
        asio::steady_timer t(co_await asio::this_coro::executor, log.delay);
        http::Response r;
        if (!req.body.empty()) {
            auto env = cwmp::decode(req.body);
            REQUIRE(env);
            auto* inform = std::get_if<cwmp::Inform>(&env->body);
            REQUIRE(inform);
            log.max_running = std::max(log.max_running, ++log.running);
            log.inform_order.push_back(id);
            std::vector<std::string> codes;
            for (auto& e : inform->events) codes.push_back(e.event_code);
            log.events.push_back(codes);
            co_await t.async_wait(asio::use_awaitable);
            cwmp::Envelope out;
            out.id = env->id;
            out.body = cwmp::InformResponse{1};
            r.status = 200;
            r.headers.push_back({"Content-Type", "text/xml; charset=utf-8"});
            r.body = cwmp::encode(out);
            co_return r;
        }
        co_await t.async_wait(asio::use_awaitable);
        --log.running;
        ++log.done;
        r.status = 204;
        co_return r;
    }
};

struct Fleet {
    app::Config config;
    state::MemoryStore store;
    app::CpeEnvironment env{config, store, "http://127.0.0.1:7548"};
    asio::io_context ioc;
    AcsLog log;
    std::vector<std::shared_ptr<app::VirtualCpe>> cpes;

    Fleet(int n, std::size_t limit) {
        config.acs.url = "http://acs.example.net/cwmp";
        env.sessions = std::make_shared<app::SessionSlots>(limit);
        for (int i = 0; i < n; ++i) {
            const std::string id = "GW-" + std::to_string(i);
            config.gateways.push_back({id, "http://gateway.invalid/cmp", "", ""});
        }
        for (int i = 0; i < n; ++i) {
            const std::string id = "GW-" + std::to_string(i);
            auto device = std::make_unique<MemoryDevice>();
            populate(*device);
            device->add(MS + "ParameterKey", "", "xsd:string");
            cpe::CpeState state;
            state.gateway_id = id;
            state.cr_path = "tok" + std::to_string(i);
            app::Transports t{std::make_unique<SlowAcs>(log, id), nullptr};
            cpes.push_back(std::make_shared<app::VirtualCpe>(ioc, env, config.gateways[i],
                                                             *http::Url::parse("http://gateway.invalid/cmp"),
                                                             std::move(device), std::move(state), std::move(t)));
        }
    }
    // Runs until `n` sessions completed (or 10 s), then stops every CPE.
    void run_until_done(int n) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (log.done < n && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(std::chrono::milliseconds(100));
        for (auto& c : cpes) c->stop();
        ioc.run_for(std::chrono::milliseconds(50));
    }
};

}  // namespace

TEST_CASE("sixty CPEs starting at once run at most three sessions at a time, and all complete with their events") {
    Fleet f(60, 3);
    for (auto& c : f.cpes) c->start();
    f.run_until_done(60);
    CHECK(f.log.done == 60);
    CHECK(f.log.max_running <= 3);
    CHECK(f.log.max_running >= 2);  // the bound is not a serialisation
    REQUIRE(f.log.events.size() == 60);
    for (auto& ev : f.log.events) {
        CHECK(std::find(ev.begin(), ev.end(), "0 BOOTSTRAP") != ev.end());
        CHECK(std::find(ev.begin(), ev.end(), "1 BOOT") != ev.end());
    }
    CHECK(f.env.sessions->running() == 0);
    CHECK(f.env.sessions->waiting() == 0);
}

TEST_CASE("a Connection Request to a CPE waiting for a slot goes ahead of the others, its event in the Inform") {
    Fleet f(20, 1);
    // The running session lasts until the Connection Request has been queued,
    // however loaded the machine.
    f.log.delay = std::chrono::milliseconds(300);
    for (auto& c : f.cpes) c->start();
    // Let every CPE ask for its slot: one runs, nineteen wait.
    while (f.env.sessions->waiting() < 19) REQUIRE(f.ioc.run_one_for(std::chrono::seconds(1)));
    // The operator sees them waiting (bridge_sessions_waiting).
    auto& waiting_gauge = app::metrics().sessions_waiting.with(std::vector<std::string>{});
    CHECK(waiting_gauge.value() == 19);
    const std::string first = f.log.inform_order.empty() ? "" : f.log.inform_order[0];
    auto& last = f.cpes.back();
    REQUIRE(last->id() != first);
    last->request_session("6 CONNECTION REQUEST");
    f.ioc.poll();
    f.log.delay = std::chrono::milliseconds(1);
    f.run_until_done(20);
    CHECK(f.log.done == 20);
    CHECK(waiting_gauge.value() == 0);
    REQUIRE(f.log.inform_order.size() == 20);
    // The one running when the request came, then the CPE of the Connection Request.
    CHECK(f.log.inform_order[1] == last->id());
    const auto& ev = f.log.events[1];
    CHECK(std::find(ev.begin(), ev.end(), "6 CONNECTION REQUEST") != ev.end());
    CHECK(std::find(ev.begin(), ev.end(), "0 BOOTSTRAP") != ev.end());
}

TEST_CASE("without a bound every CPE starts at once") {
    Fleet f(10, 0);
    f.env.sessions.reset();
    for (auto& c : f.cpes) c->start();
    f.run_until_done(10);
    CHECK(f.log.done == 10);
    CHECK(f.log.max_running == 10);
}
