// core::LogLimiter on a fake clock: per-key bursts, the summary after the
// interval, independent keys, and the bounded key map under many sources.
#include <doctest/doctest.h>

#include "bridge/core/log_limiter.hpp"

using namespace std::chrono_literals;
using core::LogLimiter;

namespace {
const LogLimiter::Clock::time_point t0{};  // the fake clock's epoch
}

TEST_CASE("the first burst of a key is written, the rest counted and summarised once the interval ended") {
    LogLimiter lim({3, 10s, 100});
    int written = 0;
    for (int i = 0; i < 1000; ++i) written += lim.admit("cr", "127.0.0.3", "401", t0 + std::chrono::milliseconds(i));
    CHECK(written == 3);
    CHECK(lim.drain(t0 + 9s).empty());  // the interval is still running: nothing to say yet
    auto s = lim.drain(t0 + 10s);
    REQUIRE(s.size() == 1);
    CHECK(s[0].suppressed == 997);
    CHECK(s[0].component == "cr");
    CHECK(s[0].message() == "suppressed 997 similar warnings (401) from 127.0.0.3 in the last 10s");
    CHECK(lim.keys() == 0);
    CHECK(lim.drain(t0 + 20s).empty());  // reported once
    // A new interval starts afresh.
    CHECK(lim.admit("cr", "127.0.0.3", "401", t0 + 21s));
}

TEST_CASE("keys are independent: another source, component or kind has its own burst") {
    LogLimiter lim({1, 10s, 100});
    CHECK(lim.admit("cr", "10.0.0.1", "401", t0));
    CHECK_FALSE(lim.admit("cr", "10.0.0.1", "401", t0));
    CHECK(lim.admit("cr", "10.0.0.2", "401", t0));
    CHECK(lim.admit("cmp", "10.0.0.1", "401", t0));
    CHECK(lim.admit("cr", "10.0.0.1", "503", t0));
    auto s = lim.drain(t0 + 10s);
    REQUIRE(s.size() == 1);  // only the key that suppressed something
    CHECK(s[0].source == "10.0.0.1");
    CHECK(s[0].suppressed == 1);
}

TEST_CASE("an interval without suppression ends silently; a summary comes from admit's expiry too") {
    LogLimiter lim({2, 5s, 100});
    CHECK(lim.admit("cr", "a", "k", t0));
    CHECK(lim.drain(t0 + 6s).empty());
    for (int i = 0; i < 5; ++i) lim.admit("cr", "a", "k", t0 + 6s);
    // The next warning after the interval (no drain in between) closes it; drain hands out the summary.
    CHECK(lim.admit("cr", "a", "k", t0 + 12s));
    auto s = lim.drain(t0 + 12s);
    REQUIRE(s.size() == 1);
    CHECK(s[0].suppressed == 3);
}

TEST_CASE("the key map is bounded: beyond max_keys new sources share one overflow entry") {
    LogLimiter lim({1, 10s, 8});
    int written = 0;
    for (int i = 0; i < 10'000; ++i)
        written += lim.admit("cr", "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), "401", t0);
    CHECK(lim.keys() <= 9);
    CHECK(written == 9);  // 8 sources with their own key, then one line for "many sources"
    auto s = lim.drain(t0 + 10s);
    REQUIRE(s.size() == 1);
    CHECK(s[0].source == "many sources");
    CHECK(s[0].suppressed == 10'000 - 9);
    CHECK(lim.keys() == 0);
}

TEST_CASE("draining everything (shutdown) reports running intervals with the time they ran") {
    LogLimiter lim({1, 10s, 100});
    for (int i = 0; i < 4; ++i) lim.admit("cmp", "192.0.2.1", "HTTP 401 missing", t0);
    lim.admit("cmp", "192.0.2.2", "HTTP 401 missing", t0);  // nothing suppressed: no summary
    CHECK(lim.drain(t0 + 2500ms).empty());
    auto s = lim.drain(t0 + 2500ms, true);
    REQUIRE(s.size() == 1);
    CHECK(s[0].message() == "suppressed 3 similar warnings (HTTP 401 missing) from 192.0.2.1 in the last 3s");
    CHECK(lim.keys() == 0);
}
