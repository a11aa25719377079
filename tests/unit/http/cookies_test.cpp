// Cookie jar: RFC 6265 storage and retrieval rules as a CWMP session needs them.
#include <doctest/doctest.h>

#include "bridge/http/cookies.hpp"

using namespace http;
using Clock = CookieJar::Clock;
using namespace std::chrono_literals;

namespace {
Url url(std::string_view s) {
    auto u = Url::parse(s);
    REQUIRE(u.ok());
    return *u;
}
const Clock::time_point t0 = Clock::time_point(std::chrono::sys_days(std::chrono::year(2024) / 3 / 1));
}  // namespace

TEST_CASE("cookies: GenieACS-style session cookie round trip") {
    CookieJar jar;
    Response r;
    r.status = 200;
    r.headers = {{"Set-Cookie", "session=eyJhbGciOi.abc; Path=/; HttpOnly"}, {"set-cookie", "lang=en"}};
    Url acs = url("http://acs.example.com:7547/");
    jar.store(acs, r, t0);
    CHECK(jar.size() == 2);
    CHECK(jar.header_for(acs, t0) == "session=eyJhbGciOi.abc; lang=en");
    CHECK(jar.header_for(url("http://acs.example.com:7547/cwmp?x"), t0) == "session=eyJhbGciOi.abc; lang=en");
    CHECK_FALSE(jar.header_for(url("http://other.example.com/"), t0));
    CHECK_FALSE(jar.header_for(url("http://sub.acs.example.com/"), t0));  // host-only

    // Replacing keeps one cookie per (name, domain, path).
    CHECK(jar.set_cookie(acs, "session=second; Path=/", t0));
    CHECK(jar.size() == 2);
    CHECK(jar.header_for(acs, t0) == "session=second; lang=en");
    jar.clear();
    CHECK_FALSE(jar.header_for(acs, t0));
}

TEST_CASE("cookies: path rules") {
    CookieJar jar;
    Url u = url("http://h/app/sub/page");
    CHECK(jar.set_cookie(u, "d=default", t0));  // default-path /app/sub
    CHECK(jar.set_cookie(u, "root=1; Path=/", t0));
    CHECK(jar.set_cookie(u, "app=1; Path=/app", t0));
    CHECK(jar.set_cookie(u, "rel=1; Path=relative", t0));  // not absolute: default-path
    CHECK(jar.header_for(url("http://h/app/sub/x"), t0) == "d=default; rel=1; app=1; root=1");
    CHECK(jar.header_for(url("http://h/app/sub"), t0) == "d=default; rel=1; app=1; root=1");
    CHECK(jar.header_for(url("http://h/app/other"), t0) == "app=1; root=1");
    CHECK(jar.header_for(url("http://h/application"), t0) == "root=1");  // /app does not match /application
    CHECK(jar.header_for(url("http://h/"), t0) == "root=1");

    CHECK(cookie_path_match("/app/", "/app/"));
    CHECK(cookie_path_match("/app/x", "/app/"));
    CHECK(cookie_path_match("/app/x", "/app"));
    CHECK_FALSE(cookie_path_match("/appx", "/app"));
    CHECK_FALSE(cookie_path_match("/", "/app"));
}

TEST_CASE("cookies: domain rules") {
    CookieJar jar;
    Url u = url("http://acs.example.com/");
    CHECK(jar.set_cookie(u, "wide=1; Domain=.Example.COM", t0));
    CHECK_FALSE(jar.set_cookie(u, "evil=1; Domain=other.com", t0));
    CHECK_FALSE(jar.set_cookie(u, "sub=1; Domain=x.acs.example.com", t0));
    CHECK(jar.header_for(url("http://www.example.com/"), t0) == "wide=1");
    CHECK(jar.header_for(url("http://example.com/"), t0) == "wide=1");
    CHECK_FALSE(jar.header_for(url("http://notexample.com/"), t0));

    CHECK(cookie_domain_match("a.b.example.com", "example.com"));
    CHECK_FALSE(cookie_domain_match("badexample.com", "example.com"));
    CHECK_FALSE(cookie_domain_match("1.2.3.4", "2.3.4"));
    CHECK(cookie_domain_match("1.2.3.4", "1.2.3.4"));

    CookieJar ip;
    Url v4 = url("http://10.0.0.5:7547/");
    CHECK(ip.set_cookie(v4, "s=1", t0));
    CHECK_FALSE(ip.set_cookie(v4, "t=1; Domain=0.0.5", t0));
    CHECK(ip.header_for(url("http://10.0.0.5:8080/"), t0) == "s=1");  // cookies ignore ports
}

TEST_CASE("cookies: expiry") {
    CookieJar jar;
    Url u = url("http://h/");
    CHECK(jar.set_cookie(u, "a=1; Max-Age=60", t0));
    CHECK(jar.set_cookie(u, "b=1; Expires=Fri, 01 Mar 2024 00:02:00 GMT", t0));
    CHECK(jar.set_cookie(u, "c=1; Expires=Fri, 01 Mar 2024 00:02:00 GMT; Max-Age=1", t0));  // Max-Age wins
    CHECK(jar.set_cookie(u, "d=1; Expires=not a date", t0));                                   // session cookie
    CHECK(jar.header_for(u, t0) == "a=1; b=1; c=1; d=1");
    CHECK(jar.header_for(u, t0 + 30s) == "a=1; b=1; d=1");
    CHECK(jar.header_for(u, t0 + 90s) == "b=1; d=1");
    CHECK(jar.header_for(u, t0 + 121s) == "d=1");

    // Max-Age=0 and a past Expires delete.
    CHECK(jar.set_cookie(u, "e=1", t0));
    CHECK_FALSE(jar.set_cookie(u, "e=gone; Max-Age=0", t0));
    CHECK_FALSE(jar.set_cookie(u, "d=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT", t0));
    CHECK(jar.header_for(u, t0) == "a=1; b=1; c=1");
    CHECK_FALSE(jar.set_cookie(u, "a=x; Max-Age=-5", t0));
    CHECK(jar.header_for(u, t0) == "b=1; c=1");
    CHECK(jar.set_cookie(u, "big=1; Max-Age=99999999999999999999", t0));
    CHECK(jar.set_cookie(u, "nonnum=1; Max-Age=abc", t0));  // ignored attribute: session cookie
    CHECK(jar.header_for(u, t0 + 24h * 365) == "big=1; nonnum=1");
}

TEST_CASE("cookies: cookie-date formats") {
    auto expect = Clock::time_point(std::chrono::sys_days(std::chrono::year(2015) / 10 / 21)) + 7h + 28min;
    CHECK(parse_cookie_date("Wed, 21 Oct 2015 07:28:00 GMT") == expect);
    CHECK(parse_cookie_date("Wednesday, 21-Oct-15 07:28:00 GMT") == expect);  // RFC 850
    CHECK(parse_cookie_date("Wed Oct 21 07:28:00 2015") == expect);           // asctime
    CHECK(parse_cookie_date("21 october 2015 7:28:0") == expect);
    CHECK_FALSE(parse_cookie_date("Wed, 32 Oct 2015 07:28:00 GMT"));
    CHECK_FALSE(parse_cookie_date("Wed, 31 Feb 2015 07:28:00 GMT"));
    CHECK_FALSE(parse_cookie_date("Wed, 21 Oct 2015 24:00:00 GMT"));
    CHECK_FALSE(parse_cookie_date("Wed, 21 Oct 1600 07:28:00 GMT"));
    CHECK_FALSE(parse_cookie_date("21 Oct 2015"));
    CHECK_FALSE(parse_cookie_date(""));
}

TEST_CASE("cookies: Secure and malformed input") {
    CookieJar jar;
    Url https = url("https://acs.example.com/");
    CHECK(jar.set_cookie(https, "s=1; Secure", t0));
    CHECK(jar.set_cookie(https, "p=1", t0));
    CHECK(jar.header_for(https, t0) == "s=1; p=1");
    CHECK(jar.header_for(url("http://acs.example.com/"), t0) == "p=1");
    CHECK_FALSE(jar.set_cookie(url("http://acs.example.com/"), "t=1; secure", t0));  // insecure origin

    CHECK_FALSE(jar.set_cookie(https, "novalue", t0));
    CHECK_FALSE(jar.set_cookie(https, "=anonymous", t0));
    CHECK_FALSE(jar.set_cookie(https, "ctl=a\x01z", t0));
    CHECK_FALSE(jar.set_cookie(https, "huge=" + std::string(5000, 'x'), t0));
    CHECK(jar.set_cookie(https, "  spaced  =  v v  ; Path=/", t0));
    CHECK(jar.set_cookie(https, "empty=", t0));
    CHECK(jar.header_for(https, t0) == "s=1; p=1; spaced=v v; empty=");

    CookieJar many;
    for (int i = 0; i < 100; ++i) many.set_cookie(https, "c" + std::to_string(i) + "=1", t0);
    CHECK(many.size() == CookieJar::kMaxCookies);
    CHECK(many.header_for(https, t0)->find("c99=1") != std::string::npos);
    CHECK(many.header_for(https, t0)->find("c0=1;") == std::string::npos);
}
