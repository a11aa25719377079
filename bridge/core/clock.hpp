#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace core {
// xsd:dateTime in UTC with a Z suffix, as CWMP and CMP put on the wire.
std::string format_utc(std::chrono::system_clock::time_point t);
inline std::string now_utc() { return format_utc(std::chrono::system_clock::now()); }
// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm):
// timegm is not portable and mktime depends on the process time zone.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
}  // namespace core
