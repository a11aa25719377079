// Event retention (TR-069 3.7.1.5), the retry schedule (3.2.1.1) and the
// periodic Inform schedule.
#include <doctest/doctest.h>

#include <set>

#include "bridge/cwmp/event_queue.hpp"
#include "bridge/cwmp/periodic.hpp"
#include "bridge/cwmp/retry.hpp"

using cwmp::EventQueue;
using cwmp::EventStruct;

TEST_CASE("single events collapse, M events are kept per CommandKey, BOOTSTRAP first") {
    EventQueue q;
    q.add("1 BOOT");
    q.add("4 VALUE CHANGE");
    q.add("4 VALUE CHANGE");
    q.add("M Reboot", "a");
    q.add("M Reboot", "b");
    q.add("M Reboot", "a");
    q.add("0 BOOTSTRAP");
    CHECK(q.pending() == std::vector<EventStruct>{{"0 BOOTSTRAP", ""}, {"1 BOOT", ""}, {"4 VALUE CHANGE", ""},
                                                  {"M Reboot", "a"}, {"M Reboot", "b"}});
    CHECK(q.contains("M Reboot"));
    CHECK_FALSE(q.contains("2 PERIODIC"));
}

TEST_CASE("a failed session drops only the connection request") {
    EventQueue q;
    for (auto e : {"1 BOOT", "2 PERIODIC", "4 VALUE CHANGE", "6 CONNECTION REQUEST", "3 SCHEDULED"}) q.add(e);
    q.add("M ScheduleInform", "k");
    q.session_failed();
    CHECK(q.pending() == std::vector<EventStruct>{{"1 BOOT", ""}, {"2 PERIODIC", ""}, {"4 VALUE CHANGE", ""},
                                                  {"3 SCHEDULED", ""}, {"M ScheduleInform", "k"}});
}

TEST_CASE("a restart keeps BOOTSTRAP, BOOT, TRANSFER COMPLETE, SCHEDULED and M events") {
    EventQueue q;
    for (auto e : {"0 BOOTSTRAP", "1 BOOT", "2 PERIODIC", "3 SCHEDULED", "4 VALUE CHANGE", "6 CONNECTION REQUEST",
                   "7 TRANSFER COMPLETE", "8 DIAGNOSTICS COMPLETE"})
        q.add(e);
    q.add("M Download", "dl");
    q.restarted();
    CHECK(q.pending() == std::vector<EventStruct>{{"0 BOOTSTRAP", ""}, {"1 BOOT", ""}, {"3 SCHEDULED", ""},
                                                  {"7 TRANSFER COMPLETE", ""}, {"M Download", "dl"}});
}

TEST_CASE("delivery removes what the Inform carried, not what arrived during the session") {
    EventQueue q;
    q.add("6 CONNECTION REQUEST");
    q.add("4 VALUE CHANGE");
    auto carried = q.pending();
    auto mark = q.mark();
    q.add("6 CONNECTION REQUEST");  // a second Connection Request during the session
    q.add("2 PERIODIC");
    q.delivered(carried, mark);
    CHECK(q.pending() == std::vector<EventStruct>{{"6 CONNECTION REQUEST", ""}, {"2 PERIODIC", ""}});
    q.delivered(q.pending());
    CHECK(q.empty());
}

TEST_CASE("retry schedule matches TR-069 3.2.1.1 Table 3") {
    // Retry n waits between m*k^(n-1) and m*k^n seconds (m = 5, k = 2), n capped at 10.
    const std::int64_t lo[] = {5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 2560, 2560};
    for (std::uint32_t n = 1; n <= 12; ++n) {
        INFO("retry " << n);
        auto min = cwmp::retry_delay(n, 0.0);
        auto max = cwmp::retry_delay(n, 0.999999999);
        CHECK(min == std::chrono::seconds(lo[n - 1]));
        CHECK(max < std::chrono::seconds(lo[n - 1] * 2));
        CHECK(max >= std::chrono::milliseconds(lo[n - 1] * 2000 - 10));
        auto mid = cwmp::retry_delay(n, 0.5);
        CHECK(mid > min);
        CHECK(mid < max);
    }
    CHECK(cwmp::retry_delay(0, 0.0) == std::chrono::seconds(5));  // treated as the first retry
    cwmp::RetryPolicy p{30, 1500};
    CHECK(cwmp::retry_delay(3, 0.0, p) == std::chrono::milliseconds(67500));
}

TEST_CASE("periodic Informs: aligned to PeriodicInformTime, else spread by identity") {
    const std::int64_t now = 1'700'000'123;
    SUBCASE("aligned") {
        // Reference 1700000000, interval 3600: instants ...000, ...3600.
        CHECK(cwmp::next_periodic_inform(now, 3600, 1'700'000'000, 0) == 1'700'003'600);
        CHECK(cwmp::next_periodic_inform(1'700'000'000, 3600, 1'700'000'000, 0) == 1'700'003'600);
        // A reference in the future defines the phase just the same.
        CHECK(cwmp::next_periodic_inform(now, 60, 1'800'000'010, 0) == 1'700'000'170);
        // ... and one long ago.
        CHECK(cwmp::next_periodic_inform(now, 86400, -62135596800 + 3600, 0) % 86400 == 3600);
    }
    SUBCASE("spread") {
        std::set<std::int64_t> phases;
        for (int i = 0; i < 100; ++i) {
            auto id = "GW-" + std::to_string(i);
            auto next = cwmp::next_periodic_inform(now, 3600, std::nullopt, cwmp::stable_hash(id));
            CHECK(next > now);
            CHECK(next <= now + 3600);
            // The same identity keeps its phase.
            CHECK(next == cwmp::next_periodic_inform(now, 3600, std::nullopt, cwmp::stable_hash(id)));
            phases.insert(next % 3600);
        }
        CHECK(phases.size() > 90);
    }
    CHECK(cwmp::stable_hash("GW-0001") == cwmp::stable_hash(std::string("GW-0001")));
    CHECK(cwmp::next_periodic_inform(now, 0, std::nullopt, 7) == now + 1);
}
