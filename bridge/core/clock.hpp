#pragma once
#include <chrono>
#include <string>

namespace core {
// xsd:dateTime in UTC with a Z suffix, as CWMP and CMP put on the wire.
std::string format_utc(std::chrono::system_clock::time_point t);
inline std::string now_utc() { return format_utc(std::chrono::system_clock::now()); }
}  // namespace core
