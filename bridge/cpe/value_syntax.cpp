#include "bridge/cpe/value_syntax.hpp"

#include "bridge/core/clock.hpp"

#include <charconv>
#include <limits>

namespace cpe {
namespace {

std::string_view trim(std::string_view s) {
    const char* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool is_integer(XsdType t) {
    return t == XsdType::int_ || t == XsdType::unsigned_int || t == XsdType::long_ || t == XsdType::unsigned_long;
}

bool digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::optional<std::string> canonical_integer(XsdType t, std::string_view v) {
    bool negative = false;
    if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
        negative = v[0] == '-';
        v.remove_prefix(1);
    }
    if (!digits(v)) return std::nullopt;
    while (v.size() > 1 && v[0] == '0') v.remove_prefix(1);
    if (v == "0") negative = false;
    // Magnitude as unsigned 64 bits; anything longer is out of every range.
    std::uint64_t mag = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), mag);
    if (ec != std::errc{} || p != v.data() + v.size()) return std::nullopt;
    std::uint64_t max_pos = 0, max_neg = 0;
    switch (t) {
        case XsdType::int_: max_pos = 2147483647ULL, max_neg = 2147483648ULL; break;
        case XsdType::unsigned_int: max_pos = 4294967295ULL; break;
        case XsdType::long_: max_pos = 9223372036854775807ULL, max_neg = 9223372036854775808ULL; break;
        default: max_pos = std::numeric_limits<std::uint64_t>::max(); break;
    }
    if (negative ? mag > max_neg : mag > max_pos) return std::nullopt;
    return (negative ? "-" : "") + std::string(v);
}

bool two_digits(std::string_view s, std::size_t at, int& out) {
    if (at + 2 > s.size() || !digits(s.substr(at, 2))) return false;
    out = (s[at] - '0') * 10 + (s[at + 1] - '0');
    return true;
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

XsdType parse_xsd_type(std::string_view t) {
    if (auto colon = t.find(':'); colon != std::string_view::npos) t = t.substr(colon + 1);
    if (t == "string") return XsdType::string;
    if (t == "int") return XsdType::int_;
    if (t == "unsignedInt") return XsdType::unsigned_int;
    if (t == "long") return XsdType::long_;
    if (t == "unsignedLong") return XsdType::unsigned_long;
    if (t == "boolean") return XsdType::boolean;
    if (t == "dateTime") return XsdType::date_time;
    if (t == "base64" || t == "base64Binary") return XsdType::base64;
    if (t == "hexBinary") return XsdType::hex_binary;
    return XsdType::other;
}

bool type_compatible(std::string_view requested, std::string_view param) {
    if (requested.empty()) return true;
    XsdType r = parse_xsd_type(requested), p = parse_xsd_type(param);
    if (is_integer(r) && is_integer(p)) return true;
    if (r == XsdType::other || p == XsdType::other) return trim(requested) == trim(param);
    return r == p;
}

std::optional<std::int64_t> parse_date_time(std::string_view s) {
    s = trim(s);
    // YYYY-MM-DDThh:mm:ss[.f+][Z|(+|-)hh:mm]
    if (s.size() < 19 || !digits(s.substr(0, 4)) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return std::nullopt;
    std::int64_t year = std::stoi(std::string(s.substr(0, 4)));
    int mon, day, h, mi, sec;
    if (!two_digits(s, 5, mon) || !two_digits(s, 8, day) || !two_digits(s, 11, h) || !two_digits(s, 14, mi) ||
        !two_digits(s, 17, sec))
        return std::nullopt;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year == 0 || mon < 1 || mon > 12 || day < 1) return std::nullopt;
    if (day > mdays[mon - 1] + (mon == 2 && leap(year) ? 1 : 0)) return std::nullopt;
    // 24:00:00 is the end of the day in XML Schema; nothing else past 23:59:59.
    if (h > 24 || mi > 59 || sec > 59 || (h == 24 && (mi || sec))) return std::nullopt;
    std::size_t i = 19;
    if (i < s.size() && s[i] == '.') {
        std::size_t j = i + 1;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
        if (j == i + 1) return std::nullopt;
        i = j;
    }
    std::int64_t offset = 0;
    if (i < s.size()) {
        if (s[i] == 'Z') {
            ++i;
        } else if (s[i] == '+' || s[i] == '-') {
            int oh, om;
            if (i + 6 != s.size() || !two_digits(s, i + 1, oh) || s[i + 3] != ':' || !two_digits(s, i + 4, om) ||
                oh > 14 || om > 59)
                return std::nullopt;
            offset = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
            i += 6;
        }
    }
    if (i != s.size()) return std::nullopt;
    return core::days_from_civil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day)) * 86400 + h * 3600 + mi * 60 +
           sec - offset;
}

bool is_unknown_time(std::string_view text) {
    text = trim(text);
    return text.substr(0, 19) == "0001-01-01T00:00:00";
}

std::optional<std::string> canonical_value(std::string_view param_type, std::string_view value) {
    XsdType t = parse_xsd_type(param_type);
    if (t == XsdType::string || t == XsdType::other) return std::string(value);
    // XML Schema collapses whitespace around every non-string value.
    std::string_view v = trim(value);
    if (is_integer(t)) return canonical_integer(t, v);
    switch (t) {
        case XsdType::boolean:
            if (v == "true" || v == "1") return std::string("true");
            if (v == "false" || v == "0") return std::string("false");
            return std::nullopt;
        case XsdType::date_time:
            if (!parse_date_time(v)) return std::nullopt;
            return std::string(v);
        case XsdType::base64: {
            std::size_t n = 0, pad = 0;
            for (char c : v) {
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
                bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                             c == '/';
                if (c == '=') ++pad;
                else if (!alpha || pad) return std::nullopt;
                ++n;
            }
            if (n % 4 != 0 || pad > 2) return std::nullopt;
            return std::string(v);
        }
        case XsdType::hex_binary:
            if (v.size() % 2) return std::nullopt;
            for (char c : v)
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return std::nullopt;
            return std::string(v);
        default: return std::string(value);
    }
}

}  // namespace cpe
