#pragma once
// TR-069 3.2.1.1 session retry policy, as a pure function so the schedule is
// testable without clocks.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace cwmp {

struct RetryPolicy {
    double minimum_wait_s = 5.0;     // CWMPRetryMinimumWaitInterval (m)
    double interval_multiplier = 2000;  // CWMPRetryIntervalMultiplier (k, per mille)
};

// Wait before retry number `retry_count` (1 = first retry after a failure),
// with `random01` in [0,1) choosing a point in the window
// [m*(k/1000)^(n-1), m*(k/1000)^n); n is capped at 10 per the standard table.
inline std::chrono::milliseconds retry_delay(std::uint32_t retry_count, double random01,
                                             const RetryPolicy& p = {}) {
    std::uint32_t n = std::clamp<std::uint32_t>(retry_count, 1, 10);
    double factor = p.interval_multiplier / 1000.0;
    double lo = p.minimum_wait_s * std::pow(factor, n - 1);
    double hi = p.minimum_wait_s * std::pow(factor, n);
    double s = lo + (hi - lo) * std::clamp(random01, 0.0, 0.999999);
    return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0));
}

}  // namespace cwmp
