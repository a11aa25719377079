#include "bridge/http/url.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "bridge/http/message.hpp"

namespace http {
namespace {

constexpr std::size_t kMaxUrl = 8192;

core::Error url_error(std::string_view what, std::string_view text) {
    // Userinfo may hold a password, so a text with '@' is never quoted back.
    if (text.find('@') != std::string_view::npos) return core::make_error("http.bad_url", std::string(what));
    return core::make_error("http.bad_url", std::string(what) + ": " + std::string(text.substr(0, 200)));
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 3986 section 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':'.
std::size_t scheme_length(std::string_view s) {
    if (s.empty() || !is_alpha(s[0])) return 0;
    std::size_t i = 1;
    while (i < s.size() && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) ++i;
    return (i < s.size() && s[i] == ':') ? i : 0;
}

bool has_forbidden_char(std::string_view s) {
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f) return true;
    return false;
}

bool valid_reg_name(std::string_view h) {
    if (h.empty() || h.size() > 253) return false;
    for (char c : h)
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~')) return false;
    return true;
}

std::string_view strip_fragment(std::string_view s) { return s.substr(0, s.find('#')); }

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string_view in) {
    std::string out;
    while (!in.empty()) {
        if (in.starts_with("../")) {
            in.remove_prefix(3);
        } else if (in.starts_with("./")) {
            in.remove_prefix(2);
        } else if (in.starts_with("/./")) {
            in.remove_prefix(2);
        } else if (in == "/.") {
            in = "/";
        } else if (in.starts_with("/../") || in == "/..") {
            in = in.size() == 3 ? std::string_view("/") : in.substr(3);
            auto slash = out.rfind('/');
            out.erase(slash == std::string::npos ? 0 : slash);
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            std::size_t next = in.find('/', in[0] == '/' ? 1 : 0);
            if (next == std::string_view::npos) next = in.size();
            out.append(in.substr(0, next));
            in.remove_prefix(next);
        }
    }
    return out;
}

// Applies dot-segment removal to the path of "path?query" only.
std::string normalise_target(std::string_view target) {
    auto q = target.find('?');
    std::string path = remove_dot_segments(target.substr(0, q));
    if (path.empty() || path[0] != '/') path.insert(0, "/");
    if (q != std::string_view::npos) path.append(target.substr(q));
    return path;
}

}  // namespace

core::Result<Url> Url::parse(std::string_view text) {
    if (text.size() > kMaxUrl) return url_error("URL too long", text);
    if (has_forbidden_char(text)) return url_error("URL contains spaces or control characters", text);
    const std::size_t slen = scheme_length(text);
    if (!slen) return url_error("URL has no scheme", text);
    Url u;
    u.scheme = to_lower(text.substr(0, slen));
    if (u.scheme != "http" && u.scheme != "https")
        return url_error("unsupported URL scheme (http or https only)", text);
    std::string_view rest = text.substr(slen + 1);
    if (!rest.starts_with("//")) return url_error("URL has no authority", text);
    rest.remove_prefix(2);
    rest = strip_fragment(rest);

    const std::size_t auth_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, auth_end);
    std::string_view target = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
    if (authority.find('@') != std::string_view::npos)
        return core::make_error("http.bad_url", "URL with user information is not accepted; configure credentials "
                                                "separately");

    std::string_view port;
    if (authority.starts_with("[")) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return url_error("unterminated IPv6 literal", text);
        std::string host(authority.substr(1, close - 1));
        in6_addr addr{};
        if (host.empty() || inet_pton(AF_INET6, host.c_str(), &addr) != 1)
            return url_error("invalid IPv6 literal", text);
        u.host = to_lower(host);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return url_error("unexpected text after IPv6 literal", text);
            port = after.substr(1);
        }
    } else {
        auto colon = authority.find(':');
        std::string_view host = authority.substr(0, colon);
        if (!valid_reg_name(host)) return url_error("invalid host", text);
        u.host = to_lower(host);
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }

    if (port.empty()) {
        // "host:" is legal (RFC 3986 section 3.2.3) and means the default port.
        u.port = u.scheme == "https" ? "443" : "80";
    } else {
        unsigned value = 0;
        auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || p != port.data() + port.size() || port.size() > 5 || value == 0 || value > 65535)
            return url_error("invalid port", text);
        u.port = std::to_string(value);  // drops leading zeros so that equal origins compare equal
    }

    u.target = target.empty() ? std::string("/") : normalise_target(target);
    return u;
}

core::Result<Url> Url::resolve(std::string_view location) const {
    while (!location.empty() && (location.front() == ' ' || location.front() == '\t')) location.remove_prefix(1);
    while (!location.empty() && (location.back() == ' ' || location.back() == '\t')) location.remove_suffix(1);
    if (location.size() > kMaxUrl) return url_error("Location too long", location);
    if (has_forbidden_char(location)) return url_error("Location contains spaces or control characters", location);
    if (scheme_length(location)) return parse(location);
    if (location.starts_with("//")) return parse(scheme + ":" + std::string(location));

    Url out = *this;
    std::string_view ref = strip_fragment(location);
    if (ref.empty()) return out;
    if (ref.front() == '/') {
        out.target = normalise_target(ref);
    } else if (ref.front() == '?') {
        out.target = std::string(path()) + std::string(ref);
    } else {
        // Merge (RFC 3986 section 5.2.3): replace the last segment of the base path.
        std::string_view base = path();
        std::string merged(base.substr(0, base.rfind('/') + 1));
        merged.append(ref);
        out.target = normalise_target(merged);
    }
    return out;
}

std::string_view Url::path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

bool Url::default_port() const { return (scheme == "http" && port == "80") || (scheme == "https" && port == "443"); }

std::string Url::authority() const {
    std::string h = is_ipv6() ? "[" + host + "]" : host;
    return default_port() ? h : h + ":" + port;
}

std::string Url::to_string() const { return scheme + "://" + authority() + (target.empty() ? "/" : target); }

}  // namespace http
