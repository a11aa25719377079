#pragma once
// Small text helpers shared by the trace sources (internal to bridge/trace).
#include <string_view>

namespace trace::text {

// Without leading and trailing XML whitespace (space, tab, CR, LF).
inline std::string_view trim(std::string_view s) {
    constexpr std::string_view ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace trace::text
