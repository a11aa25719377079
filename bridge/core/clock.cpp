#include "bridge/core/clock.hpp"

#include <ctime>

namespace core {
std::string format_utc(std::chrono::system_clock::time_point t) {
    auto tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
}  // namespace core
