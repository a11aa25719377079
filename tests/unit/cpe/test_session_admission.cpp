// cpe::SessionAdmission: at most `limit` sessions at once, the rest wait in
// order, Connection Requests first, nothing lost or admitted twice.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "bridge/cpe/session_admission.hpp"

using cpe::SessionAdmission;
using P = SessionAdmission::Priority;

TEST_CASE("up to the limit sessions start at once; the rest wait and start in order as slots free") {
    SessionAdmission a(2);
    CHECK(a.request(1, P::normal));
    CHECK(a.request(2, P::normal));
    CHECK_FALSE(a.request(3, P::normal));
    CHECK_FALSE(a.request(4, P::normal));
    CHECK(a.running() == 2);
    CHECK(a.waiting() == 2);
    CHECK(a.release() == std::optional<SessionAdmission::Id>(3));
    CHECK(a.running() == 2);  // the slot went straight to 3
    CHECK(a.release() == std::optional<SessionAdmission::Id>(4));
    CHECK_FALSE(a.release().has_value());
    CHECK_FALSE(a.release().has_value());
    CHECK(a.running() == 0);
    CHECK(a.waiting() == 0);
}

TEST_CASE("a Connection Request goes ahead of every waiting periodic or boot session") {
    SessionAdmission a(1);
    CHECK(a.request(1, P::normal));
    for (SessionAdmission::Id id = 2; id <= 100; ++id) CHECK_FALSE(a.request(id, P::normal));
    CHECK_FALSE(a.request(500, P::connection_request));
    CHECK_FALSE(a.request(501, P::connection_request));
    CHECK(a.release() == std::optional<SessionAdmission::Id>(500));
    CHECK(a.release() == std::optional<SessionAdmission::Id>(501));
    CHECK(a.release() == std::optional<SessionAdmission::Id>(2));
}

TEST_CASE("a CPE already waiting that gets a Connection Request moves ahead, once") {
    SessionAdmission a(1);
    CHECK(a.request(1, P::normal));
    CHECK_FALSE(a.request(2, P::normal));
    CHECK_FALSE(a.request(3, P::normal));
    a.raise(3);
    CHECK_FALSE(a.request(3, P::connection_request));  // asking again neither duplicates nor loses it
    CHECK(a.waiting() == 2);
    CHECK(a.release() == std::optional<SessionAdmission::Id>(3));
    CHECK(a.release() == std::optional<SessionAdmission::Id>(2));
    // 3's stale normal entry is not admitted a second time.
    CHECK_FALSE(a.release().has_value());
    a.raise(42);  // not waiting: nothing happens
    CHECK(a.waiting() == 0);
}

TEST_CASE("a withdrawn CPE is skipped; withdraw says whether it was waiting") {
    SessionAdmission a(1);
    CHECK(a.request(1, P::normal));
    CHECK_FALSE(a.request(2, P::normal));
    CHECK_FALSE(a.request(3, P::normal));
    CHECK(a.withdraw(2));
    CHECK_FALSE(a.withdraw(2));
    CHECK_FALSE(a.withdraw(1));  // it runs: the caller releases its slot instead
    CHECK(a.release() == std::optional<SessionAdmission::Id>(3));
    // Withdrawn, then asking again: it queues afresh at the end.
    CHECK_FALSE(a.request(2, P::normal));
    CHECK(a.release() == std::optional<SessionAdmission::Id>(2));
}

TEST_CASE("limit 0 admits everything") {
    SessionAdmission a(0);
    for (SessionAdmission::Id id = 0; id < 1000; ++id) CHECK(a.request(id, P::normal));
    CHECK(a.running() == 1000);
    CHECK(a.waiting() == 0);
}

TEST_CASE("a storm of 100,000 CPEs: never more than the limit at once, each admitted exactly once") {
    const std::size_t limit = 512, n = 100'000;
    SessionAdmission a(limit);
    std::vector<SessionAdmission::Id> running;
    std::set<SessionAdmission::Id> admitted;
    for (SessionAdmission::Id id = 0; id < n; ++id) {
        // Every tenth CPE also gets a Connection Request while it waits.
        if (a.request(id, P::normal)) running.push_back(id), admitted.insert(id);
        else if (id % 10 == 0) a.raise(id);
    }
    CHECK(running.size() == limit);
    std::size_t max_running = a.running(), first_normal_after_urgent = 0;
    bool urgent_phase = true;
    while (!running.empty()) {
        running.pop_back();
        if (auto next = a.release()) {
            CHECK(admitted.insert(*next).second);
            if (urgent_phase && *next % 10 != 0) urgent_phase = false, first_normal_after_urgent = admitted.size();
            if (!urgent_phase) CHECK((*next % 10 != 0 || *next < limit));  // no CR left behind a normal one
            running.push_back(*next);
        }
        max_running = std::max(max_running, a.running());
    }
    CHECK(max_running == limit);
    CHECK(admitted.size() == n);
    CHECK(first_normal_after_urgent > 0);
    CHECK(a.running() == 0);
    CHECK(a.waiting() == 0);
}
