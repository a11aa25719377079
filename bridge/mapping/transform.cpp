#include "bridge/mapping/transform.hpp"

#include "bridge/http/encoding.hpp"

#include <charconv>
#include <limits>

#include "bridge/cmp/message.hpp"

namespace mapping {
namespace {

core::Error bad(std::string msg) { return core::make_error("mapping.value", std::move(msg)); }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::optional<std::int64_t> to_int(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<unsigned __int128> to_u128(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty() || s.size() > 38) return std::nullopt;
    unsigned __int128 v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

std::string u128_text(unsigned __int128 v) {
    if (v == 0) return "0";
    std::string s;
    while (v) {
        s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    return s;
}

struct Unit {
    std::string_view name, dimension;
    std::int64_t factor;
};
constexpr Unit kUnits[] = {
    {"B", "bytes", 1},          {"KB", "bytes", 1024},          {"MB", "bytes", 1024 * 1024},
    {"GB", "bytes", 1024LL * 1024 * 1024}, {"ms", "time", 1},   {"s", "time", 1000},
    {"min", "time", 60'000},    {"h", "time", 3'600'000},       {"d", "time", 86'400'000},
    {"%", "ratio", 1},
};

const Unit* find_unit(std::string_view n) {
    for (const auto& u : kUnits)
        if (u.name == n) return &u;
    return nullptr;
}

// A name or value inside "n=v,n=v": the separators and '%' itself escaped.
std::string pct(std::string_view s) {
    return http::percent_encode(s, [](unsigned char c) { return c != ',' && c != '=' && c != '%'; });
}

std::optional<std::string> unpct(std::string_view s) { return http::percent_decode(s); }

bool has_zone(std::string_view v) {
    if (v.size() <= 19) return false;
    auto tail = v.substr(19);
    return tail.find_first_of("Zz+-") != std::string_view::npos;
}

}  // namespace

bool Transform::identity() const {
    return !fallback && !extract && map.empty() && !boolean && multiply == 1 && divide == 1 && wrap_bits == 0 &&
           time == Time::none && !pairs && join.empty() && tail == 0;
}

std::string_view Transform::not_invertible_step() const {
    if (extract) return "extract";
    if (wrap_bits) return "wrap";
    if (!join.empty()) return "join";
    if (tail) return "tail";
    return "";
}

std::string Transform::read(std::string v) const {
    if (extract) {
        std::smatch m;
        if (std::regex_search(v, m, *extract) && m.size() > 1) v = m[1].str();
    }
    for (const auto& [from, to] : map)
        if (v == from) {
            v = to;
            break;
        }
    if (boolean) {
        if (v == boolean->first) v = "true";
        else if (v == boolean->second) v = "false";
    }
    if (multiply != 1 || divide != 1 || wrap_bits) {
        if (auto n = to_u128(v)) {
            unsigned __int128 x = *n * static_cast<unsigned __int128>(multiply) / static_cast<unsigned __int128>(divide);
            if (wrap_bits) x &= (static_cast<unsigned __int128>(1) << wrap_bits) - 1;
            v = u128_text(x);
        } else if (auto s = to_int(v); s && (multiply != 1 || divide != 1)) {
            v = std::to_string(*s * multiply / divide);
        }
    }
    switch (time) {
        case Time::none: break;
        case Time::iso:
            // No zone means UTC (docs/cmp-protocol.md, 6): made explicit; zones are kept.
            if (auto t = cmp::parse_date_time(trim(v)); t && !has_zone(trim(v))) v = cmp::format_date_time(*t);
            break;
        case Time::unix_seconds:
            if (auto n = to_int(v)) v = cmp::format_date_time(*n);
            break;
        case Time::pattern:
            if (auto t = parse_time_pattern(v, time_pattern)) v = cmp::format_date_time(*t);
            break;
    }
    if (tail && v.size() > tail) {
        // The newest lines fit the parameter's length (DeviceLog: 32768).
        std::size_t cut = v.size() - tail;
        auto nl = v.find('\n', cut);
        v.erase(0, nl != std::string::npos && nl + 1 < v.size() ? nl + 1 : cut);
    }
    return v;
}

std::string Transform::read_list(const std::vector<cmp::Record>& items) const {
    if (pairs) {
        std::vector<std::pair<std::string, std::string>> p;
        for (const auto& r : items) p.emplace_back(r.get("name"), r.get("value"));
        return encode_pairs(p);
    }
    std::string out;
    if (!join.empty())
        for (const auto& r : items) out += (out.empty() ? "" : ",") + r.get(join);
    return out;
}

core::Result<std::string> Transform::write(std::string v) const {
    if (!invertible()) return bad("this parameter cannot be written back (" + std::string(not_invertible_step()) + ")");
    switch (time) {
        case Time::none:
        case Time::iso: break;
        case Time::unix_seconds: {
            auto t = cmp::parse_date_time(trim(v));
            if (!t) return bad("'" + v + "' is not a dateTime");
            v = std::to_string(*t);
            break;
        }
        case Time::pattern: {
            auto t = cmp::parse_date_time(trim(v));
            if (!t) return bad("'" + v + "' is not a dateTime");
            v = format_time_pattern(*t, time_pattern);
            break;
        }
    }
    if (multiply != 1 || divide != 1) {
        auto n = to_int(v);
        if (!n) return bad("'" + v + "' is not a number");
        __int128 x = static_cast<__int128>(*n) * divide;
        if (x % multiply != 0)
            return bad("'" + v + "' is not a multiple of " + std::to_string(multiply / std::max<std::int64_t>(1, divide)) +
                       " (the gateway's unit is coarser)");
        x /= multiply;
        if (x > std::numeric_limits<std::int64_t>::max() || x < std::numeric_limits<std::int64_t>::min())
            return bad("'" + v + "' is out of range");
        v = std::to_string(static_cast<std::int64_t>(x));
    }
    if (boolean) {
        auto t = trim(v);
        if (t == "true" || t == "1") v = boolean->first;
        else if (t == "false" || t == "0") v = boolean->second;
        else return bad("'" + v + "' is not a boolean");
    }
    if (!map.empty()) {
        const std::string* found = nullptr;
        for (const auto& [from, to] : map)
            if (to == v) {
                found = &from;
                break;
            }
        if (!found) {
            std::string known;
            for (const auto& [from, to] : map) known += (known.empty() ? "" : ", ") + to;
            return bad("'" + v + "' has no gateway equivalent (one of: " + known + ")");
        }
        v = *found;
    }
    return v;
}

std::optional<std::pair<std::int64_t, std::int64_t>> unit_factor(std::string_view from, std::string_view to,
                                                                  std::string* error) {
    const Unit* a = find_unit(from);
    const Unit* b = find_unit(to);
    if (!a || !b) {
        if (error) {
            *error = "unknown unit '" + std::string(a ? to : from) + "' (known:";
            for (const auto& u : kUnits) *error += " " + std::string(u.name);
            *error += ")";
        }
        return std::nullopt;
    }
    if (a->dimension != b->dimension) {
        if (error) *error = "cannot convert " + std::string(from) + " to " + std::string(to);
        return std::nullopt;
    }
    if (a->factor >= b->factor) return std::pair{a->factor / b->factor, std::int64_t{1}};
    return std::pair{std::int64_t{1}, b->factor / a->factor};
}

std::string encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string out;
    for (const auto& [n, v] : pairs) {
        if (!out.empty()) out += ',';
        out += pct(n) + "=" + pct(v);
    }
    return out;
}

core::Result<std::vector<std::pair<std::string, std::string>>> decode_pairs(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    if (trim(text).empty()) return out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto comma = text.find(',', pos);
        std::string_view item = trim(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) return bad("'" + std::string(item) + "' is not name=value");
        auto n = unpct(trim(item.substr(0, eq)));
        auto v = unpct(trim(item.substr(eq + 1)));
        if (!n || !v) return bad("bad %-escape in '" + std::string(item) + "'");
        out.emplace_back(std::move(*n), std::move(*v));
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

bool valid_time_pattern(std::string_view p) {
    bool y = false, mo = false, d = false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] != '%') continue;
        if (i + 1 >= p.size()) return false;
        switch (p[++i]) {
            case 'Y': y = true; break;
            case 'm': mo = true; break;
            case 'd': d = true; break;
            case 'H': case 'M': case 'S': case '%': break;
            default: return false;
        }
    }
    return y && mo && d;
}

std::optional<std::int64_t> parse_time_pattern(std::string_view text, std::string_view p) {
    int f[6] = {0, 1, 1, 0, 0, 0};  // Y m d H M S
    std::size_t t = 0;
    text = trim(text);
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] != '%' || i + 1 >= p.size() || p[i + 1] == '%') {
            if (t >= text.size() || text[t] != p[i]) return std::nullopt;
            ++t;
            if (p[i] == '%') ++i;
            continue;
        }
        char c = p[++i];
        const char* spec = "YmdHMS";
        int idx = static_cast<int>(std::string_view(spec).find(c));
        std::size_t width = c == 'Y' ? 4 : 2;
        if (t + width > text.size()) return std::nullopt;
        int v = 0;
        auto [q, ec] = std::from_chars(text.data() + t, text.data() + t + width, v);
        if (ec != std::errc() || q != text.data() + t + width) return std::nullopt;
        f[idx] = v;
        t += width;
    }
    if (t != text.size()) return std::nullopt;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", f[0], f[1], f[2], f[3], f[4], f[5]);
    return cmp::parse_date_time(buf);
}

std::string format_time_pattern(std::int64_t unix_seconds, std::string_view p) {
    std::string iso = cmp::format_date_time(unix_seconds);  // YYYY-MM-DDThh:mm:ssZ
    std::string out;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] != '%' || i + 1 >= p.size()) {
            out += p[i];
            continue;
        }
        switch (p[++i]) {
            case 'Y': out += iso.substr(0, 4); break;
            case 'm': out += iso.substr(5, 2); break;
            case 'd': out += iso.substr(8, 2); break;
            case 'H': out += iso.substr(11, 2); break;
            case 'M': out += iso.substr(14, 2); break;
            case 'S': out += iso.substr(17, 2); break;
            default: out += p[i];
        }
    }
    return out;
}

}  // namespace mapping
