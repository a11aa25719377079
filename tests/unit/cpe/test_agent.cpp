// cpe::Agent with a fake clock: when sessions run, with which events, what a
// failure at any point does to them, and every timer of a virtual CPE
// (retry, periodic, scheduled, reboot wait, upgrade hold, transfer timeout,
// deferred reboot, the spread after a restart). No sockets, no sleeping.
#include <doctest/doctest.h>

#include <algorithm>

#include "bridge/cpe/agent.hpp"

using namespace std::chrono;
using cpe::Agent;
using End = cpe::Agent::SessionEnd;

namespace {

const cpe::TimePoint T0 = cpe::TimePoint(seconds(1'700'000'000));

struct Rig {
    cpe::CpeState state;
    Agent agent{"GW-0001", state};
    cpe::TimePoint now = T0;
    Agent::Actions last;

    explicit Rig(bool bootstrapped = true, bool periodic = false) {
        state.bootstrapped = bootstrapped;
        state.periodic_enable = periodic;
        state.periodic_interval = 3600;
    }
    Agent::Actions& start(milliseconds spread = {}) { return last = agent.start(now, spread); }
    // Advances the clock to the agent's wake-up (bounded) and lets it act.
    Agent::Actions& wake() {
        now = last.wake_at;
        return last = agent.timer(now);
    }
    // Wakes until a session starts (the agent never sleeps longer than kMaxSleep).
    Agent::Actions& wake_until_session(int max_wakes = 48) {
        for (int i = 0; i < max_wakes && !last.start_session; ++i) wake();
        return last;
    }
    Agent::Actions& at(cpe::TimePoint t) {
        now = t;
        return last = agent.timer(now);
    }
    Agent::Actions& end(End e) { return last = agent.session_ended(e, now); }
    std::vector<std::string> codes() const {
        std::vector<std::string> out;
        for (auto& e : agent.inform_input().events) out.push_back(e.event_code);
        return out;
    }
    bool pending(const std::string& code) const {
        auto c = codes();
        return std::find(c.begin(), c.end(), code) != c.end();
    }
    // The session the agent started is acknowledged and ends well.
    void succeed() {
        REQUIRE(agent.in_session());
        auto in = agent.inform_input();
        agent.inform_acknowledged(in.events, in);
        end(End{End::Kind::done, true});
    }
};

}  // namespace

TEST_CASE("first start: one session with 0 BOOTSTRAP and 1 BOOT, stored first") {
    Rig r(false);
    auto& a = r.start();
    CHECK(a.persist);
    CHECK(a.start_session);
    CHECK(r.codes() == std::vector<std::string>{"0 BOOTSTRAP", "1 BOOT"});
    r.succeed();
    CHECK(r.state.bootstrapped);
    CHECK_FALSE(r.agent.has_work());
    CHECK_FALSE(r.last.start_session);
    // Nothing to do: it sleeps the longest it may.
    CHECK(r.last.wake_at == r.now + Agent::kMaxSleep);
}

TEST_CASE("restart semantics: surviving events kept, BOOT added, BOOTSTRAP only until acknowledged") {
    Rig r(true);
    r.state.pending_events = {{"4 VALUE CHANGE", ""}, {"M Download", "fw"}, {"7 TRANSFER COMPLETE", ""},
                              {"6 CONNECTION REQUEST", ""}, {"2 PERIODIC", ""}};
    r.start();
    auto c = r.codes();
    std::sort(c.begin(), c.end());
    CHECK(c == std::vector<std::string>{"1 BOOT", "7 TRANSFER COMPLETE", "M Download"});
}

TEST_CASE("after a restart the first Informs are spread, and a Connection Request is not held back") {
    milliseconds spread = minutes(5);
    Rig r;
    auto& a = r.start(spread);
    CHECK_FALSE(a.start_session);
    CHECK(a.wake_at > r.now);
    CHECK(a.wake_at < r.now + spread);
    // Another CPE lands elsewhere in the window (the phase is the id's).
    cpe::CpeState other_state;
    other_state.bootstrapped = true;
    Agent other("GW-0002", other_state);
    CHECK(other.start(r.now, spread).wake_at != a.wake_at);
    // Its turn comes: the BOOT session starts.
    CHECK(r.wake().start_session);

    Rig cr;
    cr.start(spread);
    CHECK(cr.agent.request_session("6 CONNECTION REQUEST", "", cr.now).start_session);
}

TEST_CASE("TR-069 retry schedule: growing windows, Retry-After honoured, reset after a success") {
    Rig r;
    r.start();
    r.end(End{End::Kind::failed});
    CHECK(r.agent.retry_count() == 1);
    CHECK_FALSE(r.last.start_session);
    auto wait1 = r.last.wake_at - r.now;
    CHECK(wait1 >= seconds(5));
    CHECK(wait1 < seconds(10));
    // Nothing happens before the retry is due.
    CHECK_FALSE(r.at(r.now + seconds(4)).start_session);
    CHECK(r.at(T0 + wait1).start_session);
    CHECK(r.agent.inform_input().retry_count == 1);
    r.end(End{End::Kind::failed});
    auto wait2 = r.last.wake_at - r.now;
    CHECK(wait2 >= seconds(10));
    CHECK(wait2 < seconds(20));
    CHECK(r.wake().start_session);
    End busy{End::Kind::failed};
    busy.retry_after = seconds(120);
    r.end(busy);
    CHECK(r.last.wake_at - r.now == seconds(120));
    CHECK(r.wake().start_session);
    CHECK(r.agent.inform_input().retry_count == 3);
    r.succeed();
    CHECK(r.agent.retry_count() == 0);
}

TEST_CASE("a Connection Request is dropped when its session failed at the ACS, kept when no Inform was built") {
    Rig r;
    r.start();
    r.succeed();
    CHECK(r.agent.request_session("6 CONNECTION REQUEST", "", r.now).start_session);
    r.end(End{End::Kind::failed});
    CHECK_FALSE(r.pending("6 CONNECTION REQUEST"));
    CHECK_FALSE(r.agent.has_work());  // nothing to retry

    Rig k;
    k.start();
    k.succeed();
    CHECK(k.agent.request_session("6 CONNECTION REQUEST", "", k.now).start_session);
    k.end(End{End::Kind::no_inform});
    CHECK(k.pending("6 CONNECTION REQUEST"));
    CHECK(k.wake().start_session);  // retried on the TR-069 schedule
    CHECK(k.agent.inform_input().retry_count == 1);
}

TEST_CASE("a retry carries the failed attempt's events and nothing invented; no leftover retry after a success") {
    Rig r(true, /*periodic=*/true);
    r.state.periodic_interval = 86400;
    r.start();
    r.end(End{End::Kind::failed});  // BOOT failed: retry in 5-10 s
    const auto retry_at = r.last.wake_at;
    // A Connection Request before the retry: that session carries BOOT too, and succeeds.
    r.now += seconds(1);
    CHECK(r.agent.request_session("6 CONNECTION REQUEST", "", r.now).start_session);
    CHECK(r.codes() == std::vector<std::string>{"1 BOOT", "6 CONNECTION REQUEST"});
    r.succeed();
    // The old retry time passes: no session, nothing pending, no PERIODIC that was not due.
    CHECK_FALSE(r.at(retry_at + seconds(1)).start_session);
    CHECK_FALSE(r.agent.has_work());
    CHECK(r.last.wake_at <= r.agent.next_periodic());
    const auto due = r.agent.next_periodic();
    CHECK(r.wake_until_session().start_session);
    CHECK(r.now == due);
    CHECK(r.codes() == std::vector<std::string>{"2 PERIODIC"});
}

TEST_CASE("events added during a session survive its acknowledgement") {
    Rig r;
    r.start();
    auto in = r.agent.inform_input();
    r.agent.request_session("6 CONNECTION REQUEST", "", r.now);  // arrives mid-session
    r.agent.inform_acknowledged(in.events, in);
    r.end(End{End::Kind::done, true});
    CHECK(r.last.start_session);  // the next session at once
    CHECK(r.codes() == std::vector<std::string>{"6 CONNECTION REQUEST"});
}

TEST_CASE("value changes: active asks for a session, passive rides the next Inform, off is ignored") {
    Rig r;
    r.start();
    r.succeed();
    CHECK_FALSE(r.agent.value_changed({"X.Passive", "1", "xsd:int"}, 1, r.now).start_session);
    CHECK_FALSE(r.agent.value_changed({"X.Off", "1", "xsd:int"}, 0, r.now).start_session);
    auto& a = r.last = r.agent.value_changed({"X.Active", "2", "xsd:int"}, 2, r.now);
    CHECK(a.start_session);
    auto in = r.agent.inform_input();
    REQUIRE(in.changed.size() == 2);
    CHECK(in.changed[0].name == "X.Active");
    CHECK(in.changed[1].name == "X.Passive");
    r.succeed();
    CHECK(r.agent.inform_input().changed.empty());
}

TEST_CASE("after a Reboot the BOOT session waits for the gateway, at most kRebootWait") {
    Rig r;
    r.start();
    r.agent.events().add("1 BOOT");
    r.agent.events().add("M Reboot", "rb");
    End e{End::Kind::done, true};
    e.rebooting = true;
    auto in = r.agent.inform_input();
    r.agent.inform_acknowledged({}, in);
    auto& a = r.end(e);
    REQUIRE(a.online);
    CHECK_FALSE(*a.online);
    CHECK_FALSE(a.start_session);
    CHECK(a.wake_at == r.now + Agent::kRebootWait);
    SUBCASE("the gateway comes back") {
        r.now += seconds(40);
        auto& b = r.last = r.agent.set_online(true, r.now);
        CHECK(b.start_session);
    }
    SUBCASE("it does not: the session is tried anyway") { CHECK(r.wake().start_session); }
}

TEST_CASE("a BOOT during a firmware upgrade waits for the upgrade's result; one Inform carries both") {
    Rig r;
    r.start();
    r.succeed();
    cpe::Transfer t;
    t.method = "Download";
    t.file_type = "1 Firmware Upgrade Image";
    t.accepted_unix = duration_cast<seconds>(r.now.time_since_epoch()).count();
    t.result.command_key = "fw-1";
    r.state.transfers.push_back(t);
    r.state.deferred_reboot = "rb-1";  // the ACS also asked for a Reboot during the upgrade
    auto& a = r.last = r.agent.request_session("1 BOOT", "", r.now);
    CHECK_FALSE(a.start_session);
    CHECK(a.wake_at == r.now + Agent::kUpgradeResultWait);
    CHECK_FALSE(r.state.deferred_reboot);  // the upgrade's reboot carried it out
    r.now += seconds(3);
    auto& b = r.last = r.agent.transfer_finished("Download", "", "1 Firmware Upgrade Image", {0, ""}, "", "", r.now);
    CHECK(b.start_session);
    auto c = r.codes();
    std::sort(c.begin(), c.end());
    CHECK(c == std::vector<std::string>{"1 BOOT", "M Reboot"});  // 7 TRANSFER COMPLETE comes from the transfer
    CHECK(r.agent.has_work());
    CHECK(r.state.transfers[0].completed);
}

TEST_CASE("a deferred Reboot whose upgrade ended without a reboot is asked of the gateway, again until it accepts") {
    Rig r;
    r.state.deferred_reboot = "rb-2";
    auto& a = r.start();
    REQUIRE(a.reboot_gateway);
    CHECK(*a.reboot_gateway == "rb-2");
    CHECK_FALSE(a.start_session);  // the BOOT session waits for the reboot's outcome
    auto& refused = r.last = r.agent.reboot_done(false, r.now);
    CHECK_FALSE(refused.reboot_gateway);
    // Meanwhile the BOOT session of the restart goes ahead.
    CHECK(refused.start_session);
    r.succeed();
    CHECK(r.last.wake_at == r.now + Agent::kDeferredRebootRetry);
    auto& again = r.wake();
    REQUIRE(again.reboot_gateway);
    auto& ok = r.last = r.agent.reboot_done(true, r.now);
    REQUIRE(ok.online);
    CHECK_FALSE(*ok.online);
    CHECK(r.pending("M Reboot"));
    CHECK_FALSE(r.state.deferred_reboot);
}

TEST_CASE("scheduled Informs and a transfer the gateway never reports on") {
    Rig r;
    r.start();
    r.succeed();
    const auto now_unix = duration_cast<seconds>(r.now.time_since_epoch()).count();
    r.state.scheduled_informs.push_back({now_unix + 30, "sched"});
    cpe::Transfer t;
    t.method = "Upload";
    t.accepted_unix = now_unix;
    t.result.command_key = "up";
    r.state.transfers.push_back(t);
    auto& a = r.last = r.agent.timer(r.now);
    CHECK(a.wake_at == r.now + seconds(30));
    CHECK(r.wake().start_session);
    CHECK(r.pending("3 SCHEDULED"));
    CHECK(r.pending("M ScheduleInform"));
    r.succeed();
    CHECK(r.wake_until_session().start_session);
    CHECK(r.now == cpe::TimePoint(seconds(now_unix)) + Agent::kTransferTimeout);
    CHECK(r.state.transfers[0].completed);
    CHECK(r.state.transfers[0].result.fault.code == 9011);
}

TEST_CASE("a failure injected at every step of a bootstrap loses no event and repeats none that was acknowledged") {
    // The first `fail_at` sessions fail (at the ACS, or before any Inform);
    // the run must end bootstrapped, with nothing pending, after one success.
    for (int fail_at = 0; fail_at < 4; ++fail_at)
        for (auto kind : {End::Kind::failed, End::Kind::no_inform}) {
            CAPTURE(fail_at);
            CAPTURE(static_cast<int>(kind));
            Rig r(false);
            r.start();
            int sessions = 0, successes = 0;
            for (int step = 0; step < 20 && (r.agent.has_work() || r.agent.in_session()); ++step) {
                if (!r.agent.in_session()) {
                    r.wake();
                    continue;
                }
                ++sessions;
                if (sessions <= fail_at) {
                    r.end(End{kind});
                } else {
                    CHECK(r.pending("0 BOOTSTRAP"));  // never dropped before the ACS took it
                    r.succeed();
                    ++successes;
                }
            }
            CHECK(successes == 1);
            CHECK(r.state.bootstrapped);
            CHECK_FALSE(r.agent.has_work());
            CHECK(r.agent.retry_count() == 0);
            CHECK(sessions == fail_at + 1);
        }
}
