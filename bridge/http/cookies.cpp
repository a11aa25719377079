#include "bridge/http/cookies.hpp"

#include <algorithm>
#include <charconv>

namespace http {
namespace {

using Clock = CookieJar::Clock;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_ip_address(std::string_view host) {
    if (host.find(':') != std::string_view::npos) return true;
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f; });
}

// RFC 6265 5.1.4 default-path.
std::string default_path(std::string_view request_path) {
    if (request_path.empty() || request_path[0] != '/') return "/";
    auto last = request_path.rfind('/');
    if (last == 0) return "/";
    return std::string(request_path.substr(0, last));
}

bool is_date_delimiter(char c) {
    auto u = static_cast<unsigned char>(c);
    return u == 0x09 || (u >= 0x20 && u <= 0x2f) || (u >= 0x3b && u <= 0x40) || (u >= 0x5b && u <= 0x60) ||
           (u >= 0x7b && u <= 0x7e);
}

// Leading 1..max_digits digits, optionally followed by a non-digit and anything.
std::optional<int> leading_number(std::string_view s, std::size_t min_digits, std::size_t max_digits) {
    std::size_t n = 0;
    while (n < s.size() && is_digit(s[n])) ++n;
    if (n < min_digits || n > max_digits) return std::nullopt;
    int v = 0;
    std::from_chars(s.data(), s.data() + n, v);
    return v;
}

bool parse_time(std::string_view tok, int& h, int& m, int& s) {
    int* parts[3] = {&h, &m, &s};
    for (int i = 0; i < 3; ++i) {
        auto v = leading_number(tok, 1, 2);
        if (!v) return false;
        *parts[i] = *v;
        std::size_t digits = (tok.size() > 1 && is_digit(tok[1])) ? 2 : 1;
        tok.remove_prefix(digits);
        if (i < 2) {
            if (tok.empty() || tok[0] != ':') return false;
            tok.remove_prefix(1);
        }
    }
    return true;
}

}  // namespace

std::optional<Clock::time_point> parse_cookie_date(std::string_view text) {
    static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                  "jul", "aug", "sep", "oct", "nov", "dec"};
    bool have_time = false, have_day = false, have_month = false, have_year = false;
    int hour = 0, minute = 0, second = 0, day = 0, month = 0, year = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_date_delimiter(text[i])) ++i;
        std::size_t start = i;
        while (i < text.size() && !is_date_delimiter(text[i])) ++i;
        std::string_view tok = text.substr(start, i - start);
        if (tok.empty()) continue;
        if (!have_time && parse_time(tok, hour, minute, second)) {
            have_time = true;
        } else if (auto d = have_day ? std::nullopt : leading_number(tok, 1, 2)) {
            have_day = true;
            day = *d;
        } else if (!have_month && tok.size() >= 3 &&
                   std::find(std::begin(months), std::end(months), to_lower(tok.substr(0, 3))) != std::end(months)) {
            have_month = true;
            month = static_cast<int>(std::find(std::begin(months), std::end(months), to_lower(tok.substr(0, 3))) -
                                     std::begin(months)) + 1;
        } else if (auto y = have_year ? std::nullopt : leading_number(tok, 2, 4)) {
            have_year = true;
            year = *y;
        }
    }
    if (!have_time || !have_day || !have_month || !have_year) return std::nullopt;
    if (year >= 70 && year <= 99) year += 1900;
    if (year >= 0 && year <= 69) year += 2000;
    if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                          std::chrono::day(static_cast<unsigned>(day))};
    if (!ymd.ok()) return std::nullopt;
    return Clock::time_point(std::chrono::sys_days(ymd)) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           std::chrono::seconds(second);
}

bool cookie_domain_match(std::string_view host, std::string_view domain) {
    if (iequals(host, domain)) return true;
    return host.size() > domain.size() && iequals(host.substr(host.size() - domain.size()), domain) &&
           host[host.size() - domain.size() - 1] == '.' && !is_ip_address(host);
}

bool cookie_path_match(std::string_view request_path, std::string_view cookie_path) {
    if (request_path == cookie_path) return true;
    return request_path.starts_with(cookie_path) &&
           (cookie_path.ends_with('/') || request_path[cookie_path.size()] == '/');
}

bool CookieJar::set_cookie(const Url& url, std::string_view header, Clock::time_point now) {
    // RFC 6265 5.2: the name-value pair, then ';'-separated attributes.
    auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    std::string_view attrs = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) return false;
    Cookie c;
    c.name = trim(pair.substr(0, eq));
    c.value = trim(pair.substr(eq + 1));
    if (c.name.empty() || c.name.size() + c.value.size() > kMaxCookieBytes || has_control(c.name) ||
        has_control(c.value))
        return false;

    std::optional<Clock::time_point> max_age_expiry, expires_attr;
    std::string domain_attr, path_attr;
    while (!attrs.empty()) {
        auto next = attrs.find(';');
        std::string_view av = attrs.substr(0, next);
        attrs = next == std::string_view::npos ? std::string_view{} : attrs.substr(next + 1);
        auto aeq = av.find('=');
        std::string_view name = trim(av.substr(0, aeq));
        std::string_view value = aeq == std::string_view::npos ? std::string_view{} : trim(av.substr(aeq + 1));
        if (iequals(name, "Expires")) {
            if (auto t = parse_cookie_date(value)) expires_attr = t;
        } else if (iequals(name, "Max-Age")) {
            if (value.empty() || !(is_digit(value[0]) || value[0] == '-')) continue;
            long long secs = 0;
            auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
            if (p != value.data() + value.size()) continue;
            if (ec == std::errc::result_out_of_range) secs = value[0] == '-' ? -1 : 0x7fffffff;
            else if (ec != std::errc{}) continue;
            // Clamped so that the addition cannot overflow the clock.
            max_age_expiry = secs <= 0 ? Clock::time_point::min()
                                       : now + std::chrono::seconds(std::min<long long>(secs, 20LL * 365 * 86400));
        } else if (iequals(name, "Domain")) {
            if (!value.empty()) domain_attr = to_lower(value.front() == '.' ? value.substr(1) : value);
        } else if (iequals(name, "Path")) {
            path_attr = value;
        } else if (iequals(name, "Secure")) {
            c.secure = true;
        } else if (iequals(name, "HttpOnly")) {
            c.http_only = true;
        }
    }
    c.expires = max_age_expiry ? max_age_expiry : expires_attr;

    if (!domain_attr.empty()) {
        if (!cookie_domain_match(url.host, domain_attr)) return false;
        c.domain = domain_attr;
        c.host_only = false;
    } else {
        c.domain = url.host;
    }
    c.path = (path_attr.empty() || path_attr[0] != '/') ? default_path(url.path()) : path_attr;
    // RFC 6265bis: an insecure origin cannot set (or overwrite) a Secure cookie.
    if (c.secure && url.scheme != "https") return false;

    auto same = std::find_if(cookies_.begin(), cookies_.end(), [&](const Cookie& o) {
        return o.name == c.name && o.domain == c.domain && o.path == c.path;
    });
    const bool expired = c.expires && *c.expires <= now;
    if (same != cookies_.end()) {
        c.order = same->order;
        cookies_.erase(same);
    } else {
        c.order = next_order_++;
    }
    if (expired) return false;

    std::erase_if(cookies_, [&](const Cookie& o) { return o.expires && *o.expires <= now; });
    if (cookies_.size() >= kMaxCookies) {
        auto oldest = std::min_element(cookies_.begin(), cookies_.end(),
                                       [](const Cookie& a, const Cookie& b) { return a.order < b.order; });
        cookies_.erase(oldest);
    }
    cookies_.push_back(std::move(c));
    return true;
}

void CookieJar::store(const Url& url, const Response& response, Clock::time_point now) {
    for (std::string_view h : response.find_all("Set-Cookie")) set_cookie(url, h, now);
}

std::optional<std::string> CookieJar::header_for(const Url& url, Clock::time_point now) const {
    std::vector<const Cookie*> matching;
    const std::string_view path = url.path();
    for (const auto& c : cookies_) {
        if (c.expires && *c.expires <= now) continue;
        if (c.host_only ? !iequals(url.host, c.domain) : !cookie_domain_match(url.host, c.domain)) continue;
        if (!cookie_path_match(path, c.path)) continue;
        if (c.secure && url.scheme != "https") continue;
        matching.push_back(&c);
    }
    if (matching.empty()) return std::nullopt;
    std::sort(matching.begin(), matching.end(), [](const Cookie* a, const Cookie* b) {
        if (a->path.size() != b->path.size()) return a->path.size() > b->path.size();
        return a->order < b->order;
    });
    std::string out;
    for (const Cookie* c : matching) {
        if (!out.empty()) out += "; ";
        out += c->name + "=" + c->value;
    }
    return out;
}

std::optional<std::string> request_cookie(const Request& request, std::string_view name) {
    for (std::string_view header : request.find_all("Cookie")) {
        while (!header.empty()) {
            const auto semi = header.find(';');
            std::string_view pair = header.substr(0, semi);
            while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
            const auto eq = pair.find('=');
            if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
                std::string_view value = pair.substr(eq + 1);
                while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
                if (!value.empty()) return std::string(value);
            }
            if (semi == std::string_view::npos) break;
            header.remove_prefix(semi + 1);
        }
    }
    return std::nullopt;
}

}  // namespace http
