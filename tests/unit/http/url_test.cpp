// URL parsing and Location resolution, including the inputs that must be refused.
#include <doctest/doctest.h>

#include "bridge/http/message.hpp"
#include "bridge/http/url.hpp"

using http::Url;

namespace {
Url must_parse(std::string_view s) {
    auto r = Url::parse(s);
    REQUIRE_MESSAGE(r.ok(), s);
    return *r;
}
}  // namespace

TEST_CASE("url: defaults and normalisation") {
    Url u = must_parse("http://acs.example.com");
    CHECK(u.scheme == "http");
    CHECK(u.host == "acs.example.com");
    CHECK(u.port == "80");
    CHECK(u.target == "/");
    CHECK(u.to_string() == "http://acs.example.com/");

    u = must_parse("HTTPS://ACS.Example.COM/cwmp?x=1#frag");
    CHECK(u.scheme == "https");
    CHECK(u.host == "acs.example.com");
    CHECK(u.port == "443");
    CHECK(u.target == "/cwmp?x=1");
    CHECK(u.path() == "/cwmp");
    CHECK(u.default_port());

    u = must_parse("http://10.0.0.1:7547/a/./b/../c");
    CHECK(u.port == "7547");
    CHECK(u.target == "/a/c");
    CHECK(u.authority() == "10.0.0.1:7547");
    CHECK(u.to_string() == "http://10.0.0.1:7547/a/c");

    CHECK(must_parse("http://h?q=1").target == "/?q=1");
    CHECK(must_parse("http://h:/x").port == "80");
    CHECK(must_parse("http://h:08080/").port == "8080");
    CHECK(must_parse("https://h:443/").to_string() == "https://h/");
}

TEST_CASE("url: IPv6 literals") {
    Url u = must_parse("http://[::1]:7547/cr");
    CHECK(u.host == "::1");
    CHECK(u.port == "7547");
    CHECK(u.is_ipv6());
    CHECK(u.authority() == "[::1]:7547");
    CHECK(u.to_string() == "http://[::1]:7547/cr");
    CHECK(must_parse("https://[2001:DB8::1]/").to_string() == "https://[2001:db8::1]/");

    CHECK_FALSE(Url::parse("http://[::1/").ok());
    CHECK_FALSE(Url::parse("http://[nothex]/").ok());
    CHECK_FALSE(Url::parse("http://[::1]x/").ok());
    CHECK_FALSE(Url::parse("http://[]/").ok());
}

TEST_CASE("url: refused inputs carry a clear error and never echo credentials") {
    for (std::string_view bad : {"ftp://h/", "h/path", "http:/h", "http://", "http://h:0/", "http://h:65536/",
                                 "http://h:12a/", "http://h:-1/", "http://h h/", "http://h/a b", "http://h/\r\nX: y",
                                 "http://h%41/", "mailto:x@y"}) {
        auto r = Url::parse(bad);
        CHECK_MESSAGE(!r.ok(), bad);
        if (!r.ok()) CHECK(r.error().code == "http.bad_url");
    }
    auto r = Url::parse("http://user:hunter2@acs.example.com/");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("hunter2") == std::string::npos);
    CHECK(r.error().message.find("user information") != std::string::npos);
    auto r2 = Url::parse("ftp://user:hunter2@h/");
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.error().message.find("hunter2") == std::string::npos);
    CHECK(Url::parse("gopher://h/").error().message.find("scheme") != std::string::npos);
}

TEST_CASE("url: resolving Location headers") {
    Url base = must_parse("http://acs.example.com:7547/cwmp/v1/session?id=1");
    auto r = [&](std::string_view loc) {
        auto u = base.resolve(loc);
        REQUIRE_MESSAGE(u.ok(), loc);
        return u->to_string();
    };
    CHECK(r("https://other.example.com/acs") == "https://other.example.com/acs");
    CHECK(r("//other.example.com:8080/x") == "http://other.example.com:8080/x");
    CHECK(r("/new") == "http://acs.example.com:7547/new");
    CHECK(r("/a/../b?z=2") == "http://acs.example.com:7547/b?z=2");
    CHECK(r("next") == "http://acs.example.com:7547/cwmp/v1/next");
    CHECK(r("../up") == "http://acs.example.com:7547/cwmp/up");
    CHECK(r("../../../../top") == "http://acs.example.com:7547/top");
    CHECK(r("./here#frag") == "http://acs.example.com:7547/cwmp/v1/here");
    CHECK(r("?id=2") == "http://acs.example.com:7547/cwmp/v1/session?id=2");
    CHECK(r("") == base.to_string());
    CHECK(r("  /trimmed  ") == "http://acs.example.com:7547/trimmed");

    CHECK_FALSE(base.resolve("ftp://x/").ok());
    CHECK_FALSE(base.resolve("/a\r\nInjected: 1").ok());
    CHECK_FALSE(base.resolve("http://u:p@h/").ok());
}

TEST_CASE("message: case-insensitive headers") {
    http::Response res;
    res.headers = {{"WWW-Authenticate", "Basic realm=\"a\""}, {"content-type", "text/xml"},
                   {"www-authenticate", "Digest realm=\"b\", nonce=\"n\""}};
    REQUIRE(res.find("Content-Type"));
    CHECK(*res.find("CONTENT-TYPE") == "text/xml");
    CHECK(res.find("Missing") == nullptr);
    CHECK(res.find_all("WWW-Authenticate").size() == 2);

    http::Request req;
    CHECK(req.method == "POST");
    req.headers = {{"Cookie", "a=1"}, {"X", "y"}, {"cookie", "b=2"}};
    req.set("COOKIE", "c=3");
    CHECK(req.find_all("cookie").size() == 1);
    CHECK(*req.find("Cookie") == "c=3");
    req.set("Authorization", "Basic x");
    CHECK(*req.find("authorization") == "Basic x");
    CHECK(req.headers.size() == 3);
}
