#pragma once
// Byte encodings and randomness for the HTTP helpers. Randomness always
// comes from OpenSSL's CSPRNG: these values become nonces and unguessable
// URL paths, so a predictable fallback would be worse than stopping.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace http {

// RFC 4648 section 4 (standard alphabet, padded).
std::string base64_encode(std::string_view bytes);
// Strict: standard alphabet, padding required, no whitespace.
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 section 5 (URL- and filename-safe alphabet, unpadded).
std::string base64url_encode(std::string_view bytes);
// Strict: URL-safe alphabet, no padding.
std::optional<std::string> base64url_decode(std::string_view text);

// Lower-case hex.
std::string hex_encode(std::string_view bytes);
// Accepts either case; nullopt on odd length or a non-hex digit.
std::optional<std::string> hex_decode(std::string_view text);

// RFC 3986 percent-encoding: every byte for which keep(byte) is false becomes
// %XX (upper-case hex). The callers differ only in what they keep (an id's
// parts, a URL path segment, a "name=value,..." list).
template <class Keep>
std::string percent_encode(std::string_view s, Keep keep) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (keep(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}
// RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~
inline bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}
// Strict: nullopt for a '%' not followed by two hex digits.
inline std::optional<std::string> percent_decode(std::string_view s) {
    auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// n bytes from RAND_bytes. Aborts the process if the CSPRNG fails.
std::string random_bytes(std::size_t n);
// base64url of `bytes` random bytes: safe in URL paths, cookies and quoted strings.
std::string random_token(std::size_t bytes);

}  // namespace http
