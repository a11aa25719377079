#pragma once
// A small RFC 6265 cookie jar for one CWMP session. ACSs such as GenieACS
// keep the session in a cookie, and TR-069 3.4.1 requires the CPE to return
// it on every request of the session. No public-suffix list: a jar lives
// for one session towards one ACS, so cross-site leakage has nowhere to go.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/http/message.hpp"
#include "bridge/http/url.hpp"

namespace http {

class CookieJar {
public:
    using Clock = std::chrono::system_clock;

    struct Cookie {
        std::string name;
        std::string value;
        std::string domain;  // lower case, no leading dot
        std::string path;
        bool host_only = true;
        bool secure = false;
        bool http_only = false;
        std::optional<Clock::time_point> expires;  // nullopt: session cookie
        std::uint64_t order = 0;                   // creation order, kept across replacement
    };

    static constexpr std::size_t kMaxCookies = 64;
    static constexpr std::size_t kMaxCookieBytes = 4096;

    // Applies every Set-Cookie header of a response to request_url.
    void store(const Url& request_url, const Response& response, Clock::time_point now = Clock::now());
    // Applies one Set-Cookie value; false when it is ignored (malformed,
    // foreign domain, Secure over http, oversize) or it only deleted a cookie.
    bool set_cookie(const Url& request_url, std::string_view set_cookie, Clock::time_point now = Clock::now());

    // Cookie header value for a request to url, or nullopt if none applies.
    // Longer paths first, then older cookies, as RFC 6265 5.4 recommends.
    std::optional<std::string> header_for(const Url& url, Clock::time_point now = Clock::now()) const;

    void clear() { cookies_.clear(); }
    std::size_t size() const { return cookies_.size(); }
    const std::vector<Cookie>& cookies() const { return cookies_; }

private:
    std::vector<Cookie> cookies_;
    std::uint64_t next_order_ = 0;
};

// RFC 6265 5.1.1 cookie-date ("Wed, 21 Oct 2015 07:28:00 GMT" and its many variants).
std::optional<CookieJar::Clock::time_point> parse_cookie_date(std::string_view text);
// RFC 6265 5.1.3 and 5.1.4.
bool cookie_domain_match(std::string_view host, std::string_view domain);
bool cookie_path_match(std::string_view request_path, std::string_view cookie_path);

// The server side: the value of cookie `name` in a request's Cookie headers
// (RFC 6265 5.4: "a=1; b=2"), or nullopt when absent or empty.
std::optional<std::string> request_cookie(const Request& request, std::string_view name);

}  // namespace http
