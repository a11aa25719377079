// Type names and value checking for SetParameterValues (TR-069 A.2.1 data
// types, TR-106 A.2.3 facets). A value that is not of the parameter's type at
// all is a type error (9006); one that breaks a facet is a value error (9007).
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <unordered_map>
// GCC 12 with -fsanitize reports a false -Wmaybe-uninitialized inside
// libstdc++'s regex automaton (GCC PR 105616); the warning is in the header.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include "bridge/datamodel/model.hpp"

namespace datamodel {
namespace {

using i128 = __int128;

constexpr std::array<std::string_view, 10> kBaseNames = {"string",  "int",      "unsignedInt", "long",      "unsignedLong",
                                                         "boolean", "dateTime", "base64",      "hexBinary", "decimal"};

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// XML Schema collapses whitespace in every non-string type.
std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
    return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Characters, not bytes: TR-106 string lengths count characters.
std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

core::Error type_error(const ParamType& t, std::string_view v) {
    return core::make_error(std::string(kErrType),
                            "\"" + std::string(v.substr(0, 64)) + "\" is not a valid " + std::string(base_name(t.base)));
}

core::Error value_error(std::string why) { return core::make_error(std::string(kErrValue), std::move(why)); }

// Optional sign and decimal digits; wide enough for every xsd integer type.
std::optional<i128> parse_integer(std::string_view s) {
    s = trim(s);
    bool neg = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        neg = s.front() == '-';
        s.remove_prefix(1);
    }
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    if (s.empty() || s.size() > 20) return std::nullopt;
    i128 v = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return neg ? -v : v;
}

std::pair<i128, i128> base_bounds(ParamType::Base b) {
    switch (b) {
        case ParamType::Int: return {INT32_MIN, INT32_MAX};
        case ParamType::UnsignedInt: return {0, UINT32_MAX};
        case ParamType::Long: return {INT64_MIN, INT64_MAX};
        default: return {0, static_cast<i128>(UINT64_MAX)};
    }
}

std::string to_string(i128 v) {
    // Every value that fits 64 bits (all but a few unsignedLong ones) without 128-bit divisions.
    if (v >= INT64_MIN && v <= INT64_MAX) return std::to_string(static_cast<std::int64_t>(v));
    if (v >= 0 && v <= static_cast<i128>(UINT64_MAX)) return std::to_string(static_cast<std::uint64_t>(v));
    if (v == 0) return "0";
    bool neg = v < 0;
    std::string s;
    while (v != 0) {
        int d = static_cast<int>(v % 10);
        s.push_back(static_cast<char>('0' + (d < 0 ? -d : d)));
        v /= 10;
    }
    if (neg) s.push_back('-');
    return {s.rbegin(), s.rend()};
}

// Already what to_string(*parse_integer(s)) gives: "0", or an optional '-'
// and digits without a leading zero.
bool canonical_integer(std::string_view s) {
    if (s == "0") return true;
    if (!s.empty() && s.front() == '-') s.remove_prefix(1);
    return !s.empty() && s.front() != '0' && std::all_of(s.begin(), s.end(), is_digit);
}

bool in_range(const ParamType& t, i128 v) {
    auto inside = [v](const std::optional<int64_t>& lo, const std::optional<int64_t>& hi) {
        return (!lo || v >= *lo) && (!hi || v <= *hi);
    };
    if (t.ranges.empty()) return inside(t.min, t.max);
    return std::any_of(t.ranges.begin(), t.ranges.end(), [&](const Range& r) { return inside(r.min, r.max); });
}

// xsd:decimal: optional sign, digits with an optional fraction ("1.", ".5" too),
// no exponent. The value is only needed for range facets, whose bounds are
// integers, so long double is precise enough.
std::optional<long double> parse_decimal(std::string_view v) {
    auto s = trim(v);
    std::size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    std::size_t int_digits = 0, frac_digits = 0;
    while (i + int_digits < s.size() && is_digit(s[i + int_digits])) ++int_digits;
    std::size_t j = i + int_digits;
    if (j < s.size() && s[j] == '.') {
        ++j;
        while (j + frac_digits < s.size() && is_digit(s[j + frac_digits])) ++frac_digits;
        j += frac_digits;
    }
    if (j != s.size() || int_digits + frac_digits == 0) return std::nullopt;
    return std::strtold(std::string(s).c_str(), nullptr);
}

bool decimal_in_range(const ParamType& t, long double v) {
    auto inside = [v](const std::optional<int64_t>& lo, const std::optional<int64_t>& hi) {
        return (!lo || v >= static_cast<long double>(*lo)) && (!hi || v <= static_cast<long double>(*hi));
    };
    if (t.ranges.empty()) return inside(t.min, t.max);
    return std::any_of(t.ranges.begin(), t.ranges.end(), [&](const Range& r) { return inside(r.min, r.max); });
}

// Fixed-width digit run at s[pos..pos+n).
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!is_digit(s[i])) return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// YYYY-MM-DDThh:mm:ss[.s+][Z|(+|-)hh:mm] (TR-069 A.2.1, xsd:dateTime).
bool valid_datetime(std::string_view s) {
    int y, mo, d, h, mi, se;
    if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) ||
        s[16] != ':' || !digits(s, 17, 2, se))
        return false;
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y == 0 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || se > 59) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return false;
    std::size_t p = 19;
    if (p < s.size() && s[p] == '.') {
        std::size_t start = ++p;
        while (p < s.size() && is_digit(s[p])) ++p;
        if (p == start) return false;
    }
    if (p == s.size()) return true;  // no zone: local time, allowed by TR-069
    if (s[p] == 'Z') return p + 1 == s.size();
    int th, tm;
    return (s[p] == '+' || s[p] == '-') && p + 6 == s.size() && digits(s, p + 1, 2, th) && s[p + 3] == ':' &&
           digits(s, p + 4, 2, tm) && th <= 14 && tm <= 59;
}

// Decoded byte count of xsd:base64Binary, or nullopt when malformed.
std::optional<std::size_t> base64_bytes(std::string_view s) {
    std::size_t n = 0, pad = 0;
    for (char c : s) {
        if (is_ws(c)) continue;
        if (c == '=') {
            ++pad;
        } else if (pad || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
            return std::nullopt;  // data after padding, or a foreign character
        }
        ++n;
    }
    if (n % 4 != 0 || pad > 2) return std::nullopt;
    return n / 4 * 3 - pad;
}

bool valid_ip(std::string_view s, int family) {
    std::string z(s);
    unsigned char buf[16];
    return inet_pton(family, z.c_str(), buf) == 1;
}

bool valid_mac(std::string_view s) {
    if (s.size() != 17) return false;
    for (std::size_t i = 0; i < 17; ++i)
        if (i % 3 == 2 ? s[i] != ':' : !is_hex(s[i])) return false;
    return true;
}

// Each pattern is compiled once: the data model has a few dozen, and
// compiling one per checked value cost about 7 % of the bridge's CPU in the
// fleet benchmark (every GetParameterValues answer checks its values). Null:
// an XSD construct std::regex lacks. A const std::regex may be used by
// several threads at once.
const std::regex* compiled(const std::string& pattern) {
    static std::mutex mutex;
    static std::unordered_map<std::string, std::unique_ptr<const std::regex>> cache;
    std::lock_guard lock(mutex);
    auto [it, fresh] = cache.try_emplace(pattern);
    if (fresh) {
        try {
            it->second = std::make_unique<const std::regex>(pattern, std::regex::ECMAScript);
        } catch (const std::regex_error&) {
        }
    }
    return it->second.get();
}

bool matches(const std::string& pattern, std::string_view v) {
    const std::regex* re = compiled(pattern);
    if (!re) return true;  // an XSD construct std::regex lacks: do not refuse values over it
    try {
        return std::regex_match(v.begin(), v.end(), *re);
    } catch (const std::regex_error&) {
        return true;  // too complex for std::regex's matcher: likewise
    }
}

core::Status check_length(const ParamType& t, std::size_t len, std::string_view unit) {
    if (t.max_length && len > *t.max_length)
        return value_error("longer than " + std::to_string(*t.max_length) + " " + std::string(unit));
    if (t.min_length && len < *t.min_length)
        return value_error("shorter than " + std::to_string(*t.min_length) + " " + std::string(unit));
    return core::Ok{};
}

core::Status check_string(const ParamType& t, std::string_view v, bool from_acs) {
    if (auto st = check_length(t, utf8_length(v), "characters"); !st) return st;
    if (!t.enumeration.empty() || !t.patterns.empty()) {
        bool ok = std::find(t.enumeration.begin(), t.enumeration.end(), v) != t.enumeration.end() ||
                  std::any_of(t.patterns.begin(), t.patterns.end(), [&](const auto& p) { return matches(p, v); });
        if (!ok) return value_error("\"" + std::string(v.substr(0, 64)) + "\" is not an allowed value");
    }
    if (from_acs && std::find(t.readonly_values.begin(), t.readonly_values.end(), v) != t.readonly_values.end())
        return value_error("\"" + std::string(v) + "\" may only be reported by the CPE, not set");
    if (v.empty()) return core::Ok{};  // every named address type allows "unset"
    bool ok = true;
    if (t.named == "IPAddress") ok = valid_ip(v, AF_INET) || valid_ip(v, AF_INET6);
    else if (t.named == "IPv4Address") ok = valid_ip(v, AF_INET);
    else if (t.named == "IPv6Address") ok = valid_ip(v, AF_INET6);
    else if (t.named == "MACAddress") ok = valid_mac(v);
    if (!ok) return value_error("\"" + std::string(v.substr(0, 64)) + "\" is not a valid " + t.named);
    return core::Ok{};
}

core::Status check_item(const ParamType& t, std::string_view v, bool from_acs) {
    switch (t.base) {
        case ParamType::String: return check_string(t, v, from_acs);
        case ParamType::Boolean: {
            auto s = trim(v);
            if (s == "true" || s == "false" || s == "1" || s == "0") return core::Ok{};
            return type_error(t, v);
        }
        case ParamType::Int:
        case ParamType::UnsignedInt:
        case ParamType::Long:
        case ParamType::UnsignedLong: {
            auto n = parse_integer(v);
            auto [lo, hi] = base_bounds(t.base);
            if (!n || *n < lo || *n > hi) return type_error(t, v);
            if (!in_range(t, *n)) return value_error(to_string(*n) + " is out of range");
            return core::Ok{};
        }
        case ParamType::DateTime:
            return valid_datetime(trim(v)) ? core::Status{core::Ok{}} : core::Status{type_error(t, v)};
        case ParamType::Base64: {
            auto n = base64_bytes(v);
            if (!n) return type_error(t, v);
            return check_length(t, *n, "bytes");
        }
        case ParamType::HexBinary: {
            auto s = trim(v);
            if (s.size() % 2 != 0 || !std::all_of(s.begin(), s.end(), is_hex)) return type_error(t, v);
            return check_length(t, s.size() / 2, "bytes");
        }
        case ParamType::Decimal: {
            auto d = parse_decimal(v);
            if (!d) return type_error(t, v);
            if (!decimal_in_range(t, *d)) return value_error(std::string(trim(v)) + " is out of range");
            return core::Ok{};
        }
    }
    return type_error(t, v);
}

}  // namespace

std::string_view base_name(ParamType::Base b) { return kBaseNames[static_cast<std::size_t>(b)]; }

std::optional<ParamType::Base> base_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kBaseNames.size(); ++i)
        if (kBaseNames[i] == name) return static_cast<ParamType::Base>(i);
    return std::nullopt;
}

std::string ParamType::xsd_type() const {
    return "xsd:" + std::string(list ? std::string_view{"string"} : base_name(base));
}

void ParamType::update_bounds() {
    if (ranges.empty()) return;
    min.reset();
    max.reset();
    bool open_min = false, open_max = false;
    for (const Range& r : ranges) {
        if (!r.min) open_min = true;
        else if (!min || *r.min < *min) min = r.min;
        if (!r.max) open_max = true;
        else if (!max || *r.max > *max) max = r.max;
    }
    if (open_min) min.reset();
    if (open_max) max.reset();
}

core::Status check_value(const ParamType& type, std::string_view value, bool from_acs) {
    if (!type.list) return check_item(type, value, from_acs);
    // A list is an xsd:string on the wire, so a bad item is a bad value (9007).
    if (type.list_max_length && utf8_length(value) > *type.list_max_length)
        return value_error("list longer than " + std::to_string(*type.list_max_length) + " characters");
    if (trim(value).empty()) return core::Ok{};
    std::size_t count = 0, start = 0;
    for (;;) {
        std::size_t comma = value.find(',', start);
        std::string_view item = trim(value.substr(start, comma == std::string_view::npos ? comma : comma - start));
        ++count;
        if (auto st = check_item(type, item, from_acs); !st)
            return value_error("list item " + std::to_string(count) + ": " + st.error().message);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    if (type.list_max_items && count > *type.list_max_items)
        return value_error("more than " + std::to_string(*type.list_max_items) + " list items");
    return core::Ok{};
}

std::string canonical_value(const ParamType& type, std::string_view value) {
    if (type.list) return std::string(value);
    switch (type.base) {
        case ParamType::Boolean: {
            auto s = trim(value);
            if (s == "1" || s == "true") return "true";
            if (s == "0" || s == "false") return "false";
            break;
        }
        case ParamType::Int:
        case ParamType::UnsignedInt:
        case ParamType::Long:
        case ParamType::UnsignedLong:
            if (auto n = parse_integer(value)) return to_string(*n);
            break;
        case ParamType::DateTime:
        case ParamType::Decimal: return std::string(trim(value));
        default: break;
    }
    return std::string(value);
}

void canonicalize_reported(const ParamType& type, std::string& value) {
    if (!check_value(type, value, false) || type.list) return;
    switch (type.base) {
        case ParamType::Boolean:
            if (value == "true" || value == "false") return;
            break;
        case ParamType::Int:
        case ParamType::UnsignedInt:
        case ParamType::Long:
        case ParamType::UnsignedLong:
            if (canonical_integer(value)) return;
            break;
        case ParamType::DateTime:
        case ParamType::Decimal:
            if (value.empty() || (!is_ws(value.front()) && !is_ws(value.back()))) return;
            break;
        default: return;
    }
    value = canonical_value(type, value);
}

}  // namespace datamodel
