// http::write_request: the exact bytes a client sends, read back by Beast's
// parser as the peer would, and every refusal of what would let a header
// value or a target inject another header or request.
#include <doctest/doctest.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bridge/http/request_writer.hpp"

namespace bhttp = boost::beast::http;

namespace {

http::Url url(const char* s) {
    auto u = http::Url::parse(s);
    REQUIRE(u);
    return *u;
}

http::Request post(std::string body) {
    http::Request r;
    r.headers.push_back({"Content-Type", "text/xml; charset=\"utf-8\""});
    r.headers.push_back({"SOAPAction", "\"\""});
    r.body = std::move(body);
    return r;
}

// Parses `wire` as the peer would; the whole of it must be one request.
bhttp::request<bhttp::string_body> parse(const std::string& wire) {
    bhttp::request_parser<bhttp::string_body> p;
    p.eager(true);
    boost::beast::error_code ec;
    const std::size_t used = p.put(boost::asio::buffer(wire), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(p.is_done());
    CHECK(used == wire.size());
    return p.release();
}

}  // namespace

TEST_CASE("a POST: request line, Host, User-Agent, the caller's headers in order, Content-Length, body") {
    std::string wire;
    REQUIRE(http::write_request(post("<a/>"), url("http://127.0.0.1:7547/acs"), "cmp-cwmp-bridge/1", wire));
    CHECK(wire ==
          "POST /acs HTTP/1.1\r\nHost: 127.0.0.1:7547\r\nUser-Agent: cmp-cwmp-bridge/1\r\n"
          "Content-Type: text/xml; charset=\"utf-8\"\r\nSOAPAction: \"\"\r\nContent-Length: 4\r\n\r\n<a/>");
    auto m = parse(wire);
    CHECK(m.method() == bhttp::verb::post);
    CHECK(m.target() == "/acs");
    CHECK(m.keep_alive());
    CHECK(m[bhttp::field::host] == "127.0.0.1:7547");
    CHECK(m["SOAPAction"] == "\"\"");
    CHECK(m.body() == "<a/>");
}

TEST_CASE("an empty POST still has Content-Length: 0; a GET without a body has none") {
    std::string wire;
    REQUIRE(http::write_request(post(""), url("http://acs.example.net/cwmp"), "ua", wire));
    CHECK(wire.find("Content-Length: 0\r\n\r\n") != std::string::npos);
    CHECK(parse(wire).body().empty());
    http::Request get;
    get.method = "GET";
    REQUIRE(http::write_request(get, url("http://acs.example.net/cwmp?x=1"), "ua", wire));
    CHECK(wire == "GET /cwmp?x=1 HTTP/1.1\r\nHost: acs.example.net\r\nUser-Agent: ua\r\n\r\n");
}

TEST_CASE("Host: the default port left out, an IPv6 literal in brackets, the request's own target first") {
    std::string wire;
    REQUIRE(http::write_request(post("x"), url("https://acs.example.net:443/a"), "ua", wire));
    CHECK(wire.rfind("POST /a HTTP/1.1\r\nHost: acs.example.net\r\n", 0) == 0);
    REQUIRE(http::write_request(post("x"), url("http://[::1]:8080/a"), "ua", wire));
    CHECK(wire.rfind("POST /a HTTP/1.1\r\nHost: [::1]:8080\r\n", 0) == 0);
    auto r = post("x");
    r.target = "/cmp/GW-1?token=a%20b";
    REQUIRE(http::write_request(r, url("http://127.0.0.1:80/other"), "ua", wire));
    CHECK(wire.rfind("POST /cmp/GW-1?token=a%20b HTTP/1.1\r\nHost: 127.0.0.1\r\n", 0) == 0);
}

TEST_CASE("Host, User-Agent, Content-Length and Transfer-Encoding are the writer's own") {
    auto r = post("12345");
    r.headers.push_back({"host", "evil.example"});
    r.headers.push_back({"Content-Length", "1"});
    r.headers.push_back({"Transfer-Encoding", "chunked"});
    r.headers.push_back({"user-agent", "other"});
    r.headers.push_back({"Cookie", "s=1"});
    std::string wire;
    REQUIRE(http::write_request(r, url("http://127.0.0.1:7547/acs"), "ua", wire));
    auto m = parse(wire);
    CHECK(m[bhttp::field::host] == "127.0.0.1:7547");
    CHECK(m[bhttp::field::user_agent] == "ua");
    CHECK(m[bhttp::field::content_length] == "5");
    CHECK(m.count(bhttp::field::transfer_encoding) == 0);
    CHECK(m.count(bhttp::field::host) == 1);
    CHECK(m[bhttp::field::cookie] == "s=1");
    CHECK(m.body() == "12345");
}

TEST_CASE("what could inject a header or a request is refused, and nothing is written") {
    const auto u = url("http://127.0.0.1:7547/acs");
    auto refused = [&](const http::Request& r, std::string_view ua = "ua") {
        std::string wire = "stale";
        auto st = http::write_request(r, u, ua, wire);
        REQUIRE_FALSE(st);
        CHECK(st.error().code == "http.bad_request");
        CHECK(wire.empty());
    };
    for (const char* v : {"a\r\nX-Injected: 1", "a\nb", "a\rb"}) {
        auto r = post("");
        r.headers.push_back({"Cookie", v});
        refused(r);
    }
    auto nul = post("");
    nul.headers.push_back({"Cookie", std::string("a\0b", 3)});
    refused(nul);
    for (const char* n : {"Bad Name", "Bad:Name", "", "X\r\nY"}) {
        auto r = post("");
        r.headers.push_back({n, "v"});
        refused(r);
    }
    auto m = post("");
    m.method = "POST /x HTTP/1.1\r\n";
    refused(m);
    auto t = post("");
    t.target = "/a b";
    refused(t);
    t.target = "/a\r\nHost: x";
    refused(t);
    refused(post(""), "ua\r\nX: 1");
}
