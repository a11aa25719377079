#include "bridge/cmp/message.hpp"

#include "bridge/core/clock.hpp"

#include <array>
#include <cstdio>

namespace cmp {

std::string_view result_code_name(int code) {
    static constexpr std::array<std::string_view, 16> kNames = {
        "success",          "general_failure",      "invalid_argument", "unknown_function",
        "unauthorized",     "busy",                 "not_supported",    "resource_unavailable",
        "device_not_found", "device_error",         "timeout",          "transfer_failed",
        "upgrade_failed",   "subscription_not_found", "malformed_message", "peer_fault"};
    if (code < 0 || code >= static_cast<int>(kNames.size())) return "unknown";
    return kNames[static_cast<std::size_t>(code)];
}

bool is_retryable(int code) {
    return code == result_code::busy || code == result_code::timeout ||
           code == result_code::resource_unavailable;
}

bool Field::operator==(const Field& o) const { return name == o.name && value == o.value; }

const Field* Record::find(std::string_view name) const {
    for (const auto& f : fields)
        if (f.name == name) return &f;
    return nullptr;
}

Field* Record::find(std::string_view name) {
    for (auto& f : fields)
        if (f.name == name) return &f;
    return nullptr;
}

const std::string* Record::scalar(std::string_view name) const {
    const Field* f = find(name);
    return f ? std::get_if<std::string>(&f->value) : nullptr;
}

const std::vector<Record>* Record::list(std::string_view name) const {
    const Field* f = find(name);
    return f ? std::get_if<std::vector<Record>>(&f->value) : nullptr;
}

std::vector<Record>* Record::list(std::string_view name) {
    Field* f = find(name);
    return f ? std::get_if<std::vector<Record>>(&f->value) : nullptr;
}

std::string Record::get(std::string_view name, std::string_view fallback) const {
    const std::string* s = scalar(name);
    return s ? *s : std::string(fallback);
}

Record& Record::set(std::string name, std::string value) {
    if (Field* f = find(name)) f->value = std::move(value);
    else fields.push_back(Field{std::move(name), std::move(value)});
    return *this;
}

Record& Record::add_list(std::string name, std::vector<Record> items) {
    if (Field* f = find(name)) f->value = std::move(items);
    else fields.push_back(Field{std::move(name), std::move(items)});
    return *this;
}

bool Record::erase(std::string_view name) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (it->name == name) {
            fields.erase(it);
            return true;
        }
    }
    return false;
}

Response make_response(const Request& req, int code, std::string msg) {
    Response r;
    r.header.rg_id = req.header.rg_id;
    r.header.transaction_id = req.header.transaction_id;
    r.function = req.function;
    r.result_code = code;
    r.result_msg = std::move(msg);
    return r;
}

bool is_valid_name(std::string_view name) {
    if (name.empty()) return false;
    auto start = [](unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
    };
    if (!start(static_cast<unsigned char>(name[0]))) return false;
    for (char ch : name) {
        auto c = static_cast<unsigned char>(ch);
        if (!(start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
    }
    return true;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

std::string format_date_time(std::int64_t t) {
    std::int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    // civil_from_days, the inverse of days_from_civil.
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m, d,
                  static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
    return buf;
}

std::string format_date_time(std::chrono::system_clock::time_point t) {
    return format_date_time(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

std::optional<std::int64_t> parse_date_time(std::string_view s) {
    // YYYY-MM-DDThh:mm:ss[.f+][Z|(+|-)hh:mm]
    int y, mo, d, h, mi, se;
    if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
        return std::nullopt;
    static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1) return std::nullopt;
    if (d > kMonthDays[mo - 1] + (mo == 2 && leap(y) ? 1 : 0)) return std::nullopt;
    // 24:00:00 is legal xsd but never useful from a gateway; leap seconds are refused.
    if (h > 23 || mi > 59 || se > 59) return std::nullopt;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
    }
    int offset = 0;
    if (pos < s.size()) {
        if (s[pos] == 'Z') {
            ++pos;
        } else if (s[pos] == '+' || s[pos] == '-') {
            int oh, om;
            if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
                !digits(s, pos + 4, 2, om) || oh > 14 || om > 59)
                return std::nullopt;
            offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
            pos += 6;
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size()) return std::nullopt;
    std::int64_t days = core::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return days * 86400 + h * 3600 + mi * 60 + se - offset;
}

}  // namespace cmp
