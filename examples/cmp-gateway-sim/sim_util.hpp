#pragma once
// Small helpers of the simulator model. Deterministic ones first (std::hash
// is not stable across standard libraries; seeds derived from gateway ids must be).
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/cmp/message.hpp"

namespace sim {

// A handler's refusal: the request's correlation fields, a resultCode and why.
inline cmp::Response fail(const cmp::Request& req, int code, std::string msg) {
    return cmp::make_response(req, code, std::move(msg));
}

inline std::uint64_t fnv1a64(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ull) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

// Dotted quad to host order; 0 when invalid (0.0.0.0 is never a usable address here).
inline std::uint32_t parse_ipv4(std::string_view s) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        unsigned octet = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), octet);
        if (ec != std::errc() || octet > 255 || p == s.data()) return 0;
        v = (v << 8) | octet;
        s.remove_prefix(static_cast<std::size_t>(p - s.data()));
        if (i < 3) {
            if (s.empty() || s.front() != '.') return 0;
            s.remove_prefix(1);
        }
    }
    return s.empty() ? v : 0;
}

inline std::string format_ipv4(std::uint32_t v) {
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xFF) + "." + std::to_string((v >> 8) & 0xFF) +
           "." + std::to_string(v & 0xFF);
}

}  // namespace sim
