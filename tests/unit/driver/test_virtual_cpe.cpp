// app::VirtualCpe with scripted peers (an ACS played by a callback, a gateway
// transport that answers or fails as told), a MemoryDevice, and a store that
// fails on demand. One session at a time through replay_session(), so each
// case is deterministic and takes milliseconds.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <functional>
#include <unistd.h>
#include <memory>

#include "bridge/app/virtual_cpe.hpp"
#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/mapping/faults.hpp"
#include "bridge/state/store.hpp"
#include "tests/unit/cpe/fixture.hpp"
#include "tests/stderr_capture.hpp"

using test_util::StderrCapture;

namespace asio = boost::asio;
using namespace cpe_test;

namespace {

// A MemoryStore whose saves fail while `fail_if(index of the save)` says so.
struct FlakyStore : state::Store {
    state::MemoryStore inner;
    std::function<bool(int)> fail_if;
    int saves = 0;  // attempts
    core::Result<std::optional<std::string>> load(std::string_view k) override { return inner.load(k); }
    core::Status save(std::string_view k, std::string_view blob) override {
        int i = saves++;
        if (fail_if && fail_if(i)) return core::make_error("state.io", "disk says no");
        return inner.save(k, blob);
    }
    core::Status remove(std::string_view k) override { return inner.remove(k); }
    core::Result<std::vector<std::string>> keys() override { return inner.keys(); }
    cpe::CpeState stored(const std::string& id) {
        auto blob = inner.load(id);
        REQUIRE(blob);
        REQUIRE(*blob);
        auto s = cpe::parse_state(**blob);
        REQUIRE(s);
        return *s;
    }
};

// The ACS: `next(n, received)` answers the CPE's n-th POST (received is
// nullopt for an empty POST). Every envelope received is kept.
struct ScriptedAcs : app::AcsTransport {
    std::function<http::Response(int, const std::optional<cwmp::Envelope>&)> next;
    std::vector<std::optional<cwmp::Envelope>> received;
    boost::asio::awaitable<core::Result<http::Response>> send(const http::Url&, http::Request req) override {
        std::optional<cwmp::Envelope> env;
        if (!req.body.empty()) {
            auto d = cwmp::decode(req.body);
            REQUIRE(d);
            env = *d;
        }
        received.push_back(env);
        co_return next(static_cast<int>(received.size()) - 1, env);
    }
};

// The gateway: one fake CMP call per device operation (MemoryDevice async
// mode); answered, or failed with `error_code`.
struct FakeGateway : app::GatewayTransport {
    std::string error_code;  // empty: answer
    int calls = 0;
    boost::asio::awaitable<core::Result<cmp::Response>> call(cmp::Request req) override {
        ++calls;
        if (!error_code.empty())
            co_return core::make_error(error_code, "connect 10.20.30.40:8080: it failed (an internal address)");
        cmp::Response r;
        r.function = req.function;
        co_return r;
    }
};

http::Response acs_says(cwmp::Body body) {
    cwmp::Envelope env;
    env.id = "acs-1";
    env.body = std::move(body);
    http::Response r;
    r.status = 200;
    r.headers.push_back({"Content-Type", "text/xml; charset=utf-8"});
    r.body = cwmp::encode(env);
    return r;
}

http::Response no_content() {
    http::Response r;
    r.status = 204;
    return r;
}

struct Rig {
    app::Config config;
    FlakyStore store;
    app::CpeEnvironment env{config, store, "http://127.0.0.1:7548"};
    ScriptedAcs* acs = nullptr;
    FakeGateway* gateway = nullptr;
    MemoryDevice* dev = nullptr;
    asio::io_context ioc;
    std::shared_ptr<app::VirtualCpe> cpe;

    // gateway_url: the production CMP client to this URL instead of FakeGateway.
    explicit Rig(cpe::CpeState state, bool async_device = false, std::string gateway_url = "") {
        config.acs.url = "http://acs.example.net/cwmp";
        config.gateways.push_back({"GW-1", "http://gateway.invalid/cmp", "", ""});
        auto device = std::make_unique<MemoryDevice>();
        populate(*device);
        device->add(MS + "ParameterKey", "", "xsd:string");
        device->async = async_device;
        dev = device.get();
        auto a = std::make_unique<ScriptedAcs>();
        auto g = std::make_unique<FakeGateway>();
        acs = a.get();
        gateway = g.get();
        if (!gateway_url.empty()) {
            g.reset();
            gateway = nullptr;
        }
        app::Transports t{std::move(a), std::move(g)};
        state.gateway_id = "GW-1";
        if (state.cr_path.empty()) state.cr_path = "tok";
        REQUIRE(store.inner.save("GW-1", cpe::serialize(state)));
        cpe = std::make_shared<app::VirtualCpe>(ioc, env, config.gateways[0],
                                                *http::Url::parse(gateway_url.empty() ? "http://gateway.invalid/cmp"
                                                                                      : gateway_url),
                                                std::move(device),
                                                std::move(state), std::move(t));
    }

    // Runs one session; true when it ended well.
    bool session() {
        std::optional<bool> ok;
        cpe->replay_session(0, {}, [&](bool r) { ok = r; });
        // Until the session ended (a production CMP client's connection may
        // keep the loop busy for longer), then what is ready.
        while (!ok && ioc.run_one_for(std::chrono::seconds(10))) {
        }
        ioc.poll();
        ioc.restart();
        REQUIRE(ok.has_value());
        return *ok;
    }
};

std::size_t count_containing(const std::vector<std::string>& lines, std::string_view a, std::string_view b) {
    std::size_t n = 0;
    for (auto& l : lines) n += l.find(a) != std::string::npos && l.find(b) != std::string::npos;
    return n;
}

cpe::CpeState with_events(std::vector<std::string> codes, bool bootstrapped = true) {
    cpe::CpeState s;
    s.bootstrapped = bootstrapped;
    for (auto& c : codes) s.pending_events.push_back({c, ""});
    return s;
}

cwmp::SetParameterValues spv_ntp(std::string key) {
    cwmp::SetParameterValues spv;
    spv.parameters.push_back({IGD + "Time.NTPServer1", "ntp.example.net", "xsd:string"});
    spv.parameter_key = std::move(key);
    return spv;
}

}  // namespace

TEST_CASE("bootstrapped is on disk as soon as the InformResponse arrives, before the session goes on") {
    Rig rig(with_events({"0 BOOTSTRAP", "1 BOOT"}, false));
    std::optional<cpe::CpeState> at_second_post;
    rig.acs->next = [&](int n, const std::optional<cwmp::Envelope>&) {
        if (n == 0) return acs_says(cwmp::InformResponse{1});
        // The empty POST after the Inform: a kill -9 now must not repeat 0 BOOTSTRAP.
        if (n == 1) at_second_post = rig.store.stored("GW-1");
        return no_content();
    };
    CHECK(rig.session());
    REQUIRE(at_second_post);
    CHECK(at_second_post->bootstrapped);
    for (auto& e : at_second_post->pending_events) CHECK(e.event_code != "0 BOOTSTRAP");
}

TEST_CASE("SetParameterValues while the state cannot be stored: 9002 and the gateway is not touched") {
    Rig rig(with_events({"1 BOOT"}));
    std::optional<cwmp::Envelope> answer;
    rig.acs->next = [&](int n, const std::optional<cwmp::Envelope>& got) {
        if (n == 0) return acs_says(cwmp::InformResponse{1});
        if (n == 1) {
            rig.store.fail_if = [](int) { return true; };  // state_dir turns read-only
            return acs_says(spv_ntp("refused-key"));
        }
        answer = got;
        rig.store.fail_if = nullptr;  // writable again
        return no_content();
    };
    CHECK(rig.session());
    REQUIRE(answer);
    auto* f = std::get_if<cwmp::Fault>(&answer->body);
    REQUIRE(f);
    CHECK(f->code == 9002);
    CHECK(rig.dev->value(IGD + "Time.NTPServer1") == "pool.ntp.org");
    for (auto& l : rig.dev->log) CHECK(l.find("set") == std::string::npos);
    // Persisted once writes work again: the refused key is nowhere.
    CHECK(rig.store.stored("GW-1").parameter_key == "");
}

TEST_CASE("SetParameterValues whose outcome cannot be stored: 9002 and the CPE state is as before") {
    Rig rig(with_events({"1 BOOT"}));
    std::optional<cwmp::Envelope> answer;
    rig.acs->next = [&](int n, const std::optional<cwmp::Envelope>& got) {
        if (n == 0) return acs_says(cwmp::InformResponse{1});
        if (n == 1) {
            // The check before the RPC succeeds; the write of its outcome fails.
            const int probe = rig.store.saves;
            rig.store.fail_if = [probe](int i) { return i == probe + 1; };
            return acs_says(spv_ntp("refused-key"));
        }
        answer = got;
        rig.store.fail_if = nullptr;
        return no_content();
    };
    CHECK(rig.session());
    REQUIRE(answer);
    auto* f = std::get_if<cwmp::Fault>(&answer->body);
    REQUIRE(f);
    CHECK(f->code == 9002);
    CHECK(rig.store.stored("GW-1").parameter_key == "");
}

TEST_CASE("SetParameterValues of only the CPE's own parameters: no store check first, a failed write undoes it") {
    // ACSes set ManagementServer. at every bootstrap: that SPV never reaches
    // the gateway, so the write of its outcome is the only one it needs.
    cwmp::SetParameterValues spv;
    spv.parameters.push_back({MS + "ConnectionRequestUsername", "acs-cr", "xsd:string"});
    spv.parameters.push_back({MS + "ConnectionRequestPassword", "cr-secret", "xsd:string"});
    spv.parameter_key = "local-key";
    for (const bool fail : {false, true}) {
        CAPTURE(fail);
        Rig rig(with_events({"1 BOOT"}));
        int saves_before = -1, saves_after = -1;
        std::optional<cwmp::Envelope> answer;
        rig.acs->next = [&](int n, const std::optional<cwmp::Envelope>& got) {
            if (n == 0) return acs_says(cwmp::InformResponse{1});
            if (n == 1) {
                saves_before = rig.store.saves;
                if (fail) rig.store.fail_if = [saves_before](int i) { return i == saves_before; };
                return acs_says(spv);
            }
            saves_after = rig.store.saves;
            answer = got;
            rig.store.fail_if = nullptr;
            return no_content();
        };
        CHECK(rig.session());
        CHECK(saves_after - saves_before == 1);  // the outcome only; a check first made it 2
        CHECK(rig.gateway->calls == 0);
        REQUIRE(answer);
        if (fail) {
            auto* f = std::get_if<cwmp::Fault>(&answer->body);
            REQUIRE(f);
            CHECK(f->code == 9002);
            CHECK(rig.store.stored("GW-1").parameter_key == "");
        } else {
            auto* r = std::get_if<cwmp::SetParameterValuesResponse>(&answer->body);
            REQUIRE(r);
            CHECK(r->status == 0);
            CHECK(rig.store.stored("GW-1").parameter_key == "local-key");
        }
    }
}

TEST_CASE("a Connection Request whose Inform cannot be built keeps its event for the retry") {
    Rig rig(with_events({"6 CONNECTION REQUEST"}));
    rig.dev->fail_get = cpe::make_fault(9002, "Internal error: getRgInfo: the gateway cannot be reached");
    rig.acs->next = [&](int, const std::optional<cwmp::Envelope>&) { return no_content(); };
    CHECK_FALSE(rig.session());
    CHECK(rig.acs->received.empty());  // no session was attempted at all
    auto stored = rig.store.stored("GW-1");
    REQUIRE(stored.pending_events.size() == 1);
    CHECK(stored.pending_events[0].event_code == "6 CONNECTION REQUEST");
}

TEST_CASE("a slow gateway call does not make the CPE offline; an unreachable gateway does") {
    for (std::string code : {"net.timeout", "net.io", "net.connect"}) {
        CAPTURE(code);
        Rig rig(with_events({"1 BOOT"}), /*async_device=*/true);
        rig.gateway->error_code = code;
        rig.acs->next = [&](int, const std::optional<cwmp::Envelope>&) { return no_content(); };
        rig.session();
        CHECK(rig.gateway->calls > 0);
        CHECK(rig.cpe->online() == (code != "net.connect"));
    }
}

TEST_CASE("a fault for a failed gateway call names the kind of failure, not the gateway's address") {
    mapping::FaultMap map;
    for (std::string code : {"net.timeout", "net.connect", "net.io", "tls.handshake", "cmp.http", "cmp.bad_signature"}) {
        CAPTURE(code);
        core::Result<cmp::Response> r = core::make_error(code, "read from http://10.20.30.40:8080/cmp/GW-1: boom");
        cwmp::Fault f = mapping::call_fault(map, mapping::FaultContext::get, r, "getRgInfo");
        CHECK(f.code == 9002);
        CHECK(f.string.find("10.20.30.40") == std::string::npos);
        CHECK(f.string.find("http://") == std::string::npos);
        CHECK(f.string.find("getRgInfo") != std::string::npos);
    }
}

TEST_CASE("Reboot during a firmware upgrade is accepted and deferred, not refused") {
    Fixture fx;
    cpe::Transfer t;
    t.method = "Download";
    t.file_type = "1 Firmware Upgrade Image";
    t.result.command_key = "fw-1";
    fx.state.transfers.push_back(t);
    fx.dev.fail_reboot = cpe::make_fault(9002, "Internal error: rebootRg: gateway resultCode 5 (busy)");
    fx.ok<cwmp::RebootResponse>(cwmp::Reboot{"rb-1"});
    REQUIRE(fx.state.deferred_reboot);
    CHECK(*fx.state.deferred_reboot == "rb-1");
    CHECK_FALSE(fx.events.contains("M Reboot"));  // not before the reboot has happened
    for (auto& l : fx.dev.log) CHECK(l.find("reboot") == std::string::npos);
    // It survives a restart.
    auto back = cpe::parse_state(cpe::serialize(fx.state));
    REQUIRE(back);
    CHECK(back->deferred_reboot == fx.state.deferred_reboot);

    // Without an upgrade in progress a Reboot goes to the gateway at once.
    Fixture plain;
    plain.ok<cwmp::RebootResponse>(cwmp::Reboot{"rb-2"});
    CHECK_FALSE(plain.state.deferred_reboot);
    CHECK(plain.events.contains("M Reboot"));
}

// 100,000 CPEs whose gateway connects failed logged 1.3 million warnings: one
// CMP failure and one "no session" line per CPE and attempt. They are limited
// per gateway address and kind (5 per 10 s), with a summary line afterwards.
TEST_CASE("a gateway that fails every CPE's calls does not log a warning per CPE and attempt") {
    const int attempts = 40;
    StderrCapture capture;
    for (int i = 0; i < attempts; ++i) {
        // Port 1 on loopback: connection refused at once, through the production CMP client.
        Rig rig(with_events({"1 BOOT"}), /*async_device=*/true, "http://127.0.0.1:1/cmp/GW-1");
        rig.dev->fail_get = cpe::make_fault(9002, "Internal error: getRgInfo: the gateway cannot be reached");
        rig.acs->next = [&](int, const std::optional<cwmp::Envelope>&) { return no_content(); };
        CHECK_FALSE(rig.session());
    }
    const auto lines = capture.lines();
    const std::size_t cmp_failed = count_containing(lines, "WARN", "CMP fakeCall failed");
    const std::size_t no_inform = count_containing(lines, "WARN", "no session: cannot build the Inform");
    CHECK(cmp_failed >= 1);  // the first ones are written...
    CHECK(cmp_failed <= 5);  // ...not one per attempt
    CHECK(no_inform >= 1);
    CHECK(no_inform <= 5);
}

TEST_CASE("an ACS that fails every CPE's session does not log a warning per session") {
    StderrCapture capture;
    for (int i = 0; i < 40; ++i) {
        Rig rig(with_events({"1 BOOT"}));
        rig.acs->next = [&](int, const std::optional<cwmp::Envelope>&) {
            http::Response r;
            r.status = 500;
            return r;
        };
        CHECK_FALSE(rig.session());
    }
    const std::size_t failed = count_containing(capture.lines(), "WARN", "session failed");
    CHECK(failed >= 1);
    CHECK(failed <= 5);
}

// A store that fails every CPE's writes (disk full, database gone) logged one
// error per CPE and write: now limited per error code across all CPEs.
TEST_CASE("a store that fails every CPE's writes does not log an error per CPE and write") {
    StderrCapture capture;
    for (int i = 0; i < 40; ++i) {
        Rig rig(with_events({"1 BOOT"}));
        rig.store.fail_if = [](int) { return true; };
        rig.acs->next = [&](int n, const std::optional<cwmp::Envelope>&) {
            return n == 0 ? acs_says(cwmp::InformResponse{1}) : no_content();
        };
        rig.session();
    }
    const std::size_t errors = count_containing(capture.lines(), "ERROR", "cannot persist state");
    CHECK(errors >= 1);
    CHECK(errors <= 5);
}

// A bootstrap session wrote its state 4 times: the InformResponse, the check
// that the store can write before SetParameterValues, its outcome, and the
// session's end, which carried nothing new (the retry count and the schedule
// are not part of the stored state). A state the store already holds is not
// written again, except by the check, which must reach the disk.
TEST_CASE("a bootstrap session writes its state 3 times; the end of the session has nothing new to write") {
    Rig rig(with_events({"0 BOOTSTRAP", "1 BOOT"}, false));
    std::vector<int> saves_seen;  // by the ACS, at each POST after the Inform
    rig.acs->next = [&](int n, const std::optional<cwmp::Envelope>&) {
        if (n > 0) saves_seen.push_back(rig.store.saves);
        if (n == 0) return acs_says(cwmp::InformResponse{1});
        if (n == 1) return acs_says(spv_ntp("bootstrap-key"));
        return no_content();
    };
    CHECK(rig.session());
    // 1 for the InformResponse; the SPV's answer after 2 more: the check (the
    // same state again, written all the same) and the outcome.
    CHECK(saves_seen == std::vector<int>{1, 3});
    CHECK(rig.store.saves == 3);  // the end wrote nothing
    auto stored = rig.store.stored("GW-1");
    CHECK(stored.bootstrapped);
    CHECK(stored.parameter_key == "bootstrap-key");
    CHECK(rig.dev->value(IGD + "Time.NTPServer1") == "ntp.example.net");
}

TEST_CASE("a state whose write failed is written again, though it is the same state") {
    Rig rig(with_events({"0 BOOTSTRAP", "1 BOOT"}, false));
    rig.store.fail_if = [](int i) { return i == 0; };  // the InformResponse's write
    rig.acs->next = [&](int n, const std::optional<cwmp::Envelope>&) {
        return n == 0 ? acs_says(cwmp::InformResponse{1}) : no_content();
    };
    CHECK(rig.session());
    CHECK(rig.store.saves == 2);  // the end of the session wrote the same state, this time durably
    CHECK(rig.store.stored("GW-1").bootstrapped);
}

TEST_CASE("a hand-over with nothing new to store writes nothing and reports the state stored") {
    Rig rig(with_events({"1 BOOT"}));
    rig.acs->next = [&](int n, const std::optional<cwmp::Envelope>&) {
        return n == 0 ? acs_says(cwmp::InformResponse{1}) : no_content();
    };
    CHECK(rig.session());
    const int saves = rig.store.saves;
    std::optional<bool> stored;
    rig.cpe->hand_over([&](bool ok) { stored = ok; });
    rig.ioc.poll();
    REQUIRE(stored.has_value());
    CHECK(*stored);
    CHECK(rig.store.saves == saves);
}
