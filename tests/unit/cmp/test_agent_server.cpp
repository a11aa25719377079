// app::CmpAgentServer fed crafted HTTP requests (no sockets): every check a
// gateway owes a HOMS call, in order, and what is answered for each.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>

#include "bridge/app/cmp_agent_server.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/wire.hpp"

namespace asio = boost::asio;

namespace {

const std::string kRg = "GW/7";
const std::string kPath = "/cmp/GW%2F7";
const std::string kSecret = "agent-server-secret-0123456789";

struct Bench {
    asio::io_context ioc;
    int handled = 0;
    app::CmpAgentServer server{ioc, app::CmpAgentServerOptions{},
                               [](std::string_view rg) -> std::optional<cmp::PeerKeys> {
                                   if (rg != kRg) return std::nullopt;
                                   return cmp::PeerKeys{kRg, kSecret, false};
                               },
                               [this](std::string, cmp::Request req) -> asio::awaitable<cmp::Response> {
                                   ++handled;
                                   cmp::Response r = cmp::make_response(req);
                                   r.fields.set("memTotal", "1024").set("memFree", "512");
                                   co_return r;
                               }};

    http::Response serve(http::Request req) {
        std::optional<http::Response> out;
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                net::PeerInfo peer{"192.0.2.1", 1, false};  // named: no braced temporary inside co_await (GCC 12)
                out = co_await server.serve(req, peer);
            },
            asio::detached);
        ioc.restart();
        ioc.run();
        REQUIRE(out);
        return *out;
    }
    static cmp::Request request(std::string function = "getRgMemRsc", std::string rg = kRg) {
        cmp::Request m;
        m.header = {std::move(rg), "tx-1", "2026-12-03T10:00:00Z"};
        m.function = std::move(function);
        return m;
    }
    static http::Request signed_request(const cmp::Request& m, std::string path = kPath, std::string secret = kSecret,
                                        std::string signer = kRg) {
        auto out = cmp::make_http_request(m, path, cmp::PeerKeys{std::move(signer), std::move(secret), false},
                                          cmp::unix_now());
        REQUIRE(out);
        return out->http;
    }
    // The answer as the HOMS reads it (signature checked).
    static core::Result<cmp::Response> read(const http::Response& res, const http::Request& sent,
                                            const std::string& function) {
        auto params = cmp::parse_auth_header(*sent.find(cmp::kAuthHeader));
        return cmp::read_http_response(res, sent.target, cmp::PeerKeys{kRg, kSecret, false}, params->nonce,
                                       cmp::unix_now(), function);
    }
};

}  // namespace

TEST_CASE("a signed call for the gateway of the path reaches the handler; the answer is signed") {
    Bench b;
    http::Request req = Bench::signed_request(Bench::request());
    http::Response res = b.serve(req);
    CHECK(res.status == 200);
    auto answer = Bench::read(res, req, "getRgMemRsc");
    REQUIRE(answer);
    CHECK(answer->result_code == 0);
    CHECK(answer->fields.get("memTotal") == "1024");
    CHECK(answer->header.transaction_id == "tx-1");
    CHECK(b.handled == 1);

    SUBCASE("the same request again is a replay") {
        CHECK(b.serve(req).status == 401);
        CHECK(b.handled == 1);
    }
}

TEST_CASE("refusals before the handler") {
    Bench b;
    SUBCASE("no gateway of ours at the path: 401 with resultCode 4 (as a wrong MAC), before and after the body") {
        http::Request req = Bench::signed_request(Bench::request(), "/cmp/OTHER");
        auto early = b.server.precheck(req, {"192.0.2.1", 1, false});
        REQUIRE(early);
        CHECK(early->status == 401);
        http::Response res = b.serve(req);
        CHECK(res.status == 401);
        CHECK(res.body.find("<resultCode>4</resultCode>") != std::string::npos);
        CHECK(b.serve(Bench::signed_request(Bench::request(), "/cmp/GW%2")).status == 401);  // bad escape
        // Outside the CMP prefix there is nothing at all.
        CHECK(b.serve(Bench::signed_request(Bench::request(), "/elsewhere")).status == 404);
    }
    SUBCASE("not POST: 405") {
        http::Request req = Bench::signed_request(Bench::request());
        req.method = "GET";
        CHECK(b.server.precheck(req, {"192.0.2.1", 1, false})->status == 405);
    }
    SUBCASE("unsigned: 401 before the body") {
        http::Request req = Bench::signed_request(Bench::request());
        req.headers.erase(std::remove_if(req.headers.begin(), req.headers.end(),
                                         [](auto& h) { return http::iequals(h.name, cmp::kAuthHeader); }),
                          req.headers.end());
        CHECK(b.server.precheck(req, {"192.0.2.1", 1, false})->status == 401);
        CHECK(b.serve(req).status == 401);
    }
    SUBCASE("signed by another gateway, even one we serve elsewhere: 401") {
        http::Request req = Bench::signed_request(Bench::request("getRgMemRsc", "GW-8"), kPath, kSecret, "GW-8");
        CHECK(b.server.precheck(req, {"192.0.2.1", 1, false})->status == 401);
        CHECK(b.serve(req).status == 401);
    }
    SUBCASE("wrong secret: 401 after the body (the MAC)") {
        http::Request req = Bench::signed_request(Bench::request(), kPath, "not-the-secret-0123456789");
        CHECK_FALSE(b.server.precheck(req, {"192.0.2.1", 1, false}));
        CHECK(b.serve(req).status == 401);
    }
    SUBCASE("header rgId of another gateway: resultCode 4") {
        http::Request req = Bench::signed_request(Bench::request("getRgMemRsc", "GW-8"));
        auto answer = Bench::read(b.serve(req), req, "getRgMemRsc");
        REQUIRE(answer);
        CHECK(answer->result_code == cmp::result_code::unauthorized);
    }
    SUBCASE("SOAPAction naming another function: a SOAP Fault, 14") {
        http::Request req = Bench::signed_request(Bench::request());
        for (auto& h : req.headers)
            if (h.name == "SOAPAction") h.value = cmp::soap_action("rebootRg");
        http::Response res = b.serve(req);
        CHECK(res.status == 500);
        auto answer = Bench::read(res, req, "getRgMemRsc");
        REQUIRE(answer);
        CHECK(answer->result_code == cmp::result_code::malformed_message);
    }
    SUBCASE("a gateway -> HOMS function: resultCode 3") {
        cmp::Request m = Bench::request("notifyHomeDevLeave");
        m.args.set("devId", "x");
        http::Request req = Bench::signed_request(m);
        auto answer = Bench::read(b.serve(req), req, "notifyHomeDevLeave");
        REQUIRE(answer);
        CHECK(answer->result_code == cmp::result_code::unknown_function);
    }
    SUBCASE("not an envelope: a SOAP Fault") {
        // Signed over the new body: the MAC passes, the envelope does not.
        auto out = cmp::make_http_request(Bench::request(), kPath, cmp::PeerKeys{kRg, kSecret, false}, cmp::unix_now());
        REQUIRE(out);
        out->http.body = "<not-soap/>";
        for (auto& h : out->http.headers)
            if (http::iequals(h.name, cmp::kAuthHeader))
                h.value = cmp::sign(kSecret, kRg, "POST", kPath, out->http.body, cmp::unix_now(), out->nonce);
        CHECK(b.serve(out->http).status == 500);
    }
    CHECK(b.handled == 0);
}
