// cmp::AgentSession with a fake clock: registration (regRg -> authRg),
// keep-alives, the outbox of notifications, deregistration, and a failure
// injected at every step (transport error, refusal, lost session, HOMS
// restart) with the back-off that follows. No sockets, no sleeping.
#include <doctest/doctest.h>

#include "bridge/cmp/agent_session.hpp"
#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/message_auth.hpp"

using namespace std::chrono;
using cmp::AgentSession;
using Phase = AgentSession::Phase;

namespace {

const AgentSession::TimePoint T0 = AgentSession::TimePoint(hours(1000));
const std::string kSecret = "agent-test-secret-0123456789";
const std::string kRg = "00D09E-IGD-SN0001";

cmp::AgentIdentity identity(std::string sw = "V1.0") {
    return {"Acme", "00D09E", "Router 9", "IGD", "SN0001", "HW1", std::move(sw), "192.0.2.9",
            "http://127.0.0.1:7600/cmp/00D09E-IGD-SN0001"};
}

struct Rig {
    AgentSession agent;
    AgentSession::TimePoint now = T0;
    AgentSession::Actions last;
    int session_counter = 0;

    explicit Rig(cmp::AgentOptions o = {}) : agent(kRg, identity(), kSecret, o) {}

    AgentSession::Actions& start(milliseconds spread = {}) { return last = agent.start(now, spread); }
    AgentSession::Actions& at(AgentSession::TimePoint t) {
        now = t;
        return last = agent.timer(now);
    }
    AgentSession::Actions& wake() { return at(last.wake_at); }
    const cmp::Request& sent() const {
        REQUIRE(last.send);
        return *last.send;
    }
    AgentSession::Actions& answer(int code = 0, cmp::Record fields = {}, std::string msg = {}) {
        cmp::Response r = cmp::make_response(sent(), code, std::move(msg));
        r.fields = std::move(fields);
        return last = agent.on_response(r, now);
    }
    AgentSession::Actions& fail(std::string code = "net.connect", std::string msg = "connection refused") {
        REQUIRE(last.send);
        return last = agent.on_failure(core::make_error(std::move(code), std::move(msg)), now);
    }
    // Answers the regRg in flight with a fresh session.
    AgentSession::Actions& accept_reg(std::string intv = "60") {
        CHECK(sent().function == "regRg");
        cmp::Record f;
        f.set("sessionId", "s" + std::to_string(++session_counter)).set("nonce", "00112233445566778899aabbccddeeff");
        f.set("keepAliveIntv", std::move(intv));
        return answer(0, f);
    }
    void register_fully(std::string intv = "60") {
        accept_reg(std::move(intv));
        REQUIRE(sent().function == "authRg");
        answer();
        REQUIRE(agent.registered());
    }
    cmp::Request join(std::string dev) {
        cmp::Request m;
        m.function = "notifyHomeDevJoin";
        m.args.set("devId", std::move(dev)).set("deviceType", "Computer");
        return m;
    }
};

}  // namespace

TEST_CASE("registration: regRg with the identity, authRg with the digest, then keep-alives") {
    Rig r;
    r.start();
    const cmp::Request reg = r.sent();
    CHECK(reg.function == "regRg");
    CHECK(reg.header.rg_id == kRg);
    CHECK_FALSE(reg.header.transaction_id.empty());
    CHECK(reg.args.get("rgId") == kRg);
    CHECK(reg.args.get("serialNumber") == "SN0001");
    CHECK(reg.args.get("swVersion") == "V1.0");
    CHECK(reg.args.get("rgCtrlUrl") == "http://127.0.0.1:7600/cmp/00D09E-IGD-SN0001");
    // What the agent sends must pass the catalogue once the driver stamps it.
    cmp::Request stamped = reg;
    stamped.header.time_stamp = "2026-12-03T10:00:00Z";
    CHECK(cmp::Catalogue::builtin().validate(stamped));
    CHECK(r.agent.phase() == Phase::registering);
    CHECK(r.last.wake_at == AgentSession::TimePoint::max());  // nothing else until the answer

    r.accept_reg("60");
    const cmp::Request& auth = r.sent();
    CHECK(auth.function == "authRg");
    CHECK(auth.args.get("sessionId") == "s1");
    CHECK(cmp::check_auth_digest(auth.args.get("authDigest"), kSecret, "00112233445566778899aabbccddeeff", kRg, "s1"));
    CHECK(auth.header.transaction_id != reg.header.transaction_id);

    r.answer();
    CHECK(r.agent.registered());
    CHECK(r.agent.registrations() == 1);
    CHECK_FALSE(r.last.send);
    CHECK(r.last.wake_at == T0 + seconds(60));
    CHECK(r.last.notes.size() == 1);

    r.at(T0 + seconds(30));  // early wake: nothing due
    CHECK_FALSE(r.last.send);
    r.wake();
    CHECK(r.sent().function == "keepAliveRg");
    CHECK(r.sent().args.get("sessionId") == "s1");
    CHECK(r.sent().args.get("upTime") == "60");
    r.answer();
    CHECK(r.last.wake_at == T0 + seconds(120));
    CHECK(r.agent.registered());
}

TEST_CASE("the first regRg is spread by the rgId; keepAliveIntv is bounded") {
    Rig r;
    r.start(seconds(30));
    CHECK_FALSE(r.last.send);
    CHECK(r.last.wake_at >= T0);
    CHECK(r.last.wake_at < T0 + seconds(30));
    Rig again;
    again.start(seconds(30));
    CHECK(again.last.wake_at == r.last.wake_at);  // stable per rgId
    r.wake();
    CHECK(r.sent().function == "regRg");

    SUBCASE("too small") {
        r.register_fully("1");
        CHECK(r.agent.keepalive_interval() == seconds(10));
    }
    SUBCASE("absurdly large: a day at most, never an overflowing wake-up") {
        r.register_fully("99999999999999999");
        CHECK(r.agent.keepalive_interval() == seconds(86400));
        CHECK(r.last.wake_at == r.now + seconds(86400));
    }
    SUBCASE("not a number: the default") {
        r.register_fully("soon");
        CHECK(r.agent.keepalive_interval() == seconds(300));
    }
    SUBCASE("zero: the default") {
        r.register_fully("0");
        CHECK(r.agent.keepalive_interval() == seconds(300));
    }
    SUBCASE("set_up_time anchors upTime") {
        r.register_fully("60");
        r.agent.set_up_time(5000, r.now);
        r.wake();
        CHECK(r.sent().args.get("upTime") == std::to_string(5000 + 60));
    }
}

TEST_CASE("regRg failures back off from 10 s doubling to 10 min, with at most 10 % jitter") {
    Rig r;
    r.start();
    std::vector<seconds> expected{10s, 20s, 40s, 80s, 160s, 320s, 600s, 600s};
    for (seconds base : expected) {
        r.fail();
        CHECK_FALSE(r.last.send);
        CHECK(r.agent.phase() == Phase::unregistered);
        auto delay = r.last.wake_at - r.now;
        CHECK(delay >= base);
        CHECK(delay <= base + base / 10);
        CHECK(r.last.warnings.size() == 1);
        r.wake();
        REQUIRE(r.sent().function == "regRg");
    }
    r.register_fully();
    // Registered again: the next failure starts the back-off from the beginning.
    r.last = r.agent.reregister(identity(), r.now);
    r.fail();
    CHECK(r.last.wake_at - r.now <= 11s);
}

TEST_CASE("failures at each registration step") {
    Rig r;
    r.start();
    SUBCASE("regRg refused") {
        r.answer(cmp::result_code::busy);
        CHECK(r.last.wake_at - r.now >= 10s);
        CHECK(r.last.warnings.at(0).find("regRg refused") != std::string::npos);
    }
    SUBCASE("regRg answer without a nonce") {
        cmp::Record f;
        f.set("sessionId", "s1").set("keepAliveIntv", "60");
        r.answer(0, f);
        CHECK_FALSE(r.last.send);
        CHECK(r.agent.phase() == Phase::unregistered);
    }
    SUBCASE("authRg refused (wrong secret)") {
        r.accept_reg();
        r.answer(cmp::result_code::unauthorized, {}, "authentication failed");
        CHECK(r.agent.phase() == Phase::unregistered);
        CHECK(r.agent.session_id().empty());
    }
    SUBCASE("authRg lost in transport") {
        r.accept_reg();
        r.fail("net.timeout", "timed out");
        CHECK(r.agent.phase() == Phase::unregistered);
    }
    CHECK_FALSE(r.last.send);
    auto first = r.last.wake_at - r.now;
    CHECK(first >= 10s);
    CHECK(first <= 11s);
    r.wake();
    REQUIRE(r.sent().function == "regRg");  // always a fresh registration, never a second authRg
    r.register_fully();
    CHECK(r.agent.registrations() == 1);
}

TEST_CASE("keep-alive: a refusal re-registers at once, transport failures keep the session") {
    Rig r;
    r.start();
    r.register_fully();
    r.wake();
    REQUIRE(r.sent().function == "keepAliveRg");

    SUBCASE("refused with resultCode 4 (the HOMS restarted and forgot the session)") {
        r.answer(cmp::result_code::unauthorized, {}, "unknown or superseded session");
        CHECK(r.sent().function == "regRg");  // at once
        r.register_fully();
        CHECK(r.agent.session_id() == "s2");
        CHECK(r.agent.registrations() == 2);
        // A second loss before anything went through again backs off.
        r.wake();
        r.answer(cmp::result_code::unauthorized);
        CHECK_FALSE(r.last.send);
        CHECK(r.last.wake_at - r.now >= 10s);
        r.wake();
        CHECK(r.sent().function == "regRg");
    }
    SUBCASE("HTTP 401: our signature was refused") {
        r.fail("cmp.unauthorized", "refused our message authentication");
        CHECK(r.sent().function == "regRg");
    }
    SUBCASE("the HOMS is down for a while, then back without our session") {
        r.fail();
        CHECK(r.agent.registered());
        auto d1 = r.last.wake_at - r.now;
        CHECK(d1 >= 1s);
        CHECK(d1 <= 1100ms);
        r.wake();
        REQUIRE(r.sent().function == "keepAliveRg");
        r.fail();
        auto d2 = r.last.wake_at - r.now;
        CHECK(d2 >= 2s);
        CHECK(d2 <= 2200ms);
        r.wake();
        REQUIRE(r.sent().function == "keepAliveRg");
        r.answer(cmp::result_code::unauthorized);
        CHECK(r.sent().function == "regRg");
        r.register_fully();
    }
    SUBCASE("a busy answer is retried soon, the session kept") {
        r.answer(cmp::result_code::busy);
        CHECK(r.agent.registered());
        CHECK(r.last.wake_at - r.now <= 1100ms);
        r.wake();
        CHECK(r.sent().function == "keepAliveRg");
        r.answer();
        CHECK(r.last.wake_at == r.now + seconds(60));
    }
}

TEST_CASE("notifications: queued until registered, in order, one at a time, each delivered once") {
    Rig r;
    r.last = r.agent.notify(r.join("dev-1"), r.now);  // before start: queued
    CHECK_FALSE(r.last.send);
    r.start();
    REQUIRE(r.sent().function == "regRg");
    r.agent.notify(r.join("dev-2"), r.now);  // while regRg is in flight: nothing more is sent
    CHECK(r.agent.outbox_size() == 2);
    r.accept_reg();
    r.answer();  // authRg ok: the head of the outbox goes at once
    REQUIRE(r.sent().function == "notifyHomeDevJoin");
    CHECK(r.sent().args.get("devId") == "dev-1");
    CHECK(r.sent().header.rg_id == kRg);
    const std::string tx1 = r.sent().header.transaction_id;
    auto more = r.agent.notify(r.join("dev-3"), r.now);
    CHECK_FALSE(more.send);  // one in flight

    SUBCASE("a transport failure keeps it at the head, resent with the same transactionId") {
        r.fail();
        CHECK(r.agent.outbox_size() == 3);
        r.wake();
        CHECK(r.sent().args.get("devId") == "dev-1");
        CHECK(r.sent().header.transaction_id == tx1);
    }
    SUBCASE("busy: kept and retried") {
        r.answer(cmp::result_code::busy);
        r.wake();
        CHECK(r.sent().args.get("devId") == "dev-1");
    }
    SUBCASE("resultCode 4: registers again, then sends it") {
        r.answer(cmp::result_code::unauthorized);
        CHECK(r.sent().function == "regRg");
        r.register_fully();
        CHECK(r.sent().args.get("devId") == "dev-1");
    }
    SUBCASE("a final refusal drops it (counted) and goes on") {
        r.answer(cmp::result_code::invalid_argument, {}, "devId: bad");
        CHECK(r.agent.rejected() == 1);
        CHECK(r.sent().args.get("devId") == "dev-2");
        r.answer();
        CHECK(r.sent().args.get("devId") == "dev-3");
        r.answer();
        CHECK(r.agent.delivered() == 2);
        CHECK(r.agent.outbox_size() == 0);
        return;
    }
    r.answer();
    CHECK(r.sent().args.get("devId") == "dev-2");
    r.answer();
    CHECK(r.sent().args.get("devId") == "dev-3");
    r.answer();
    CHECK_FALSE(r.last.send);
    CHECK(r.agent.delivered() == 3);
    CHECK(r.agent.outbox_size() == 0);
    CHECK(r.last.wake_at > r.now);  // the next keep-alive
}

TEST_CASE("the outbox is bounded: the oldest not being sent is dropped and counted") {
    cmp::AgentOptions o;
    o.outbox_limit = 3;
    Rig r(o);
    for (int i = 1; i <= 5; ++i) r.agent.notify(r.join("dev-" + std::to_string(i)), r.now);
    CHECK(r.agent.outbox_size() == 3);
    CHECK(r.agent.dropped() == 2);
    r.start();
    r.register_fully();
    REQUIRE(r.sent().args.get("devId") == "dev-3");
    // dev-3 is in flight: a new one evicts dev-4, not the message being sent.
    auto a = r.agent.notify(r.join("dev-6"), r.now);
    CHECK(a.warnings.size() == 1);
    CHECK(r.agent.dropped() == 3);
    r.answer();
    CHECK(r.sent().args.get("devId") == "dev-5");
    r.answer();
    CHECK(r.sent().args.get("devId") == "dev-6");
}

TEST_CASE("notify refuses what is not a valid notification") {
    Rig r;
    r.start();
    cmp::Request reg;
    reg.function = "regRg";
    CHECK(r.agent.notify(reg, r.now).warnings.size() == 1);
    cmp::Request call;
    call.function = "getRgInfo";
    CHECK(r.agent.notify(call, r.now).warnings.size() == 1);
    cmp::Request missing;
    missing.function = "notifyHomeDevJoin";
    missing.args.set("devId", "x");  // deviceType is required
    auto a = r.agent.notify(missing, r.now);
    REQUIRE(a.warnings.size() == 1);
    CHECK(a.warnings[0].find("deviceType") != std::string::npos);
    CHECK(r.agent.outbox_size() == 0);
}

TEST_CASE("stop: deregRg when registered, then finished") {
    Rig r;
    SUBCASE("before start") {
        r.last = r.agent.stop("shutdown", r.now);
        CHECK(r.last.finished);
        CHECK_FALSE(r.last.send);
    }
    SUBCASE("while waiting to register") {
        r.start();
        r.fail();
        r.agent.notify(r.join("dev-1"), r.now);
        r.last = r.agent.stop("shutdown", r.now);
        CHECK(r.last.finished);
        CHECK(r.agent.dropped() == 1);
    }
    SUBCASE("registered") {
        r.start();
        r.register_fully();
        r.last = r.agent.stop("cpe gone", r.now);
        REQUIRE(r.sent().function == "deregRg");
        CHECK(r.sent().args.get("reason") == "cpe gone");
        CHECK(r.sent().args.get("rgId") == kRg);
        CHECK_FALSE(r.last.finished);
        SUBCASE("answered") { r.answer(); }
        SUBCASE("lost") { r.fail(); }
        CHECK(r.last.finished);
        CHECK(r.agent.phase() == Phase::stopped);
        CHECK_FALSE(r.agent.timer(r.now + hours(1)).send);
    }
    SUBCASE("while a notification is in flight: its answer first, then deregRg") {
        r.start();
        r.register_fully();
        r.last = r.agent.notify(r.join("dev-1"), r.now);
        r.agent.notify(r.join("dev-2"), r.now);
        REQUIRE(r.sent().function == "notifyHomeDevJoin");
        cmp::Request in_flight = r.sent();
        auto s = r.agent.stop("shutdown", r.now);
        CHECK_FALSE(s.send);
        cmp::Response ok = cmp::make_response(in_flight);
        r.last = r.agent.on_response(ok, r.now);
        REQUIRE(r.sent().function == "deregRg");
        CHECK(r.agent.delivered() == 1);
        r.answer();
        CHECK(r.last.finished);
        CHECK(r.agent.dropped() == 1);  // dev-2 never went out
    }
    SUBCASE("while authenticating: nothing to deregister") {
        r.start();
        r.accept_reg();
        REQUIRE(r.sent().function == "authRg");
        r.agent.stop("shutdown", r.now);
        r.answer(cmp::result_code::unauthorized);
        CHECK(r.last.finished);
        CHECK_FALSE(r.last.send);
    }
}

TEST_CASE("reregister: a fresh regRg with the new identity, the outbox kept") {
    Rig r;
    r.start();
    r.register_fully();
    r.last = r.agent.reregister(identity("V2.0"), r.now);
    REQUIRE(r.sent().function == "regRg");
    CHECK(r.sent().args.get("swVersion") == "V2.0");
    r.register_fully();
    CHECK(r.agent.registrations() == 2);

    SUBCASE("asked while a registration is in flight: once more after it") {
        r.last = r.agent.reregister(identity("V3.0"), r.now);
        REQUIRE(r.sent().function == "regRg");
        auto during = r.agent.reregister(identity("V4.0"), r.now);
        CHECK_FALSE(during.send);
        r.accept_reg();
        r.answer();  // authRg ok, but it announced V3.0
        REQUIRE(r.sent().function == "regRg");
        CHECK(r.sent().args.get("swVersion") == "V4.0");
    }
}

TEST_CASE("an answer with nothing in flight is ignored") {
    Rig r;
    r.start();
    r.register_fully();
    cmp::Request stray;
    stray.function = "keepAliveRg";
    auto a = r.agent.on_response(cmp::make_response(stray), r.now);
    CHECK(a.warnings.size() == 1);
    CHECK(r.agent.registered());
    auto f = r.agent.on_failure(core::make_error("net.x", "x"), r.now);
    CHECK_FALSE(f.send);
    CHECK(r.agent.registered());
}

TEST_CASE("set_secret: the next authRg proves the new secret") {
    Rig r;
    r.start();
    r.accept_reg();
    r.answer(cmp::result_code::unauthorized);  // the HOMS has another secret for us
    r.agent.set_secret("re-provisioned-secret-0123456789");
    r.wake();
    r.accept_reg();
    REQUIRE(r.sent().function == "authRg");
    CHECK(cmp::check_auth_digest(r.sent().args.get("authDigest"), "re-provisioned-secret-0123456789",
                                 "00112233445566778899aabbccddeeff", kRg, "s2"));
}
