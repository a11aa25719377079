// cmp::GatewayClient against a local net::HttpServer playing the gateway:
// connection reuse, retries (a get once, a set never, not even on a stale
// keep-alive connection), the per-call timeout, bounded concurrency, response
// signatures, TLS with verification and a client certificate (a PKI made at
// test time) and the legacy SEED mode over real sockets.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <set>

#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/gateway_client.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/net/http_server.hpp"
#include "tests/unit/cmp/pki_util.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "client-test-secret-0123456789";

// The gateway: answers, drops the connection, or stalls, as told per request.
struct FakeGateway {
    enum class Mode { answer, drop, drop_once, stall };
    asio::io_context& ioc;
    Mode mode = Mode::answer;
    std::string secret = kSecret;  // what it signs answers with ("" = unsigned)
    bool legacy = false;
    int requests = 0, in_flight = 0, max_in_flight = 0;
    std::chrono::milliseconds stall{2000};
    std::set<unsigned short> connections;  // client ports seen: one per TCP connection
    cmp::Verifier verifier;
    std::optional<net::TlsServerConfig> tls;
    std::unique_ptr<net::HttpServer> server;

    explicit FakeGateway(asio::io_context& c, std::optional<net::TlsServerConfig> t = {}) : ioc(c), tls(std::move(t)) {
        net::ServerOptions so;
        so.tls = tls;
        server = std::make_unique<net::HttpServer>(ioc, so, [this](http::Request r, net::PeerInfo peer) {
            connections.insert(peer.port);
            return handle(std::move(r));
        });
        REQUIRE(server->listen("127.0.0.1", "0"));
    }
    std::string url(const std::string& host = "127.0.0.1") const {
        return std::string(tls ? "https" : "http") + "://" + host + ":" + std::to_string(server->port()) + "/cmp/GW-0001";
    }

    asio::awaitable<http::Response> handle(http::Request req) {
        ++requests;
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        struct Done {
            int& n;
            ~Done() { --n; }
        } done{in_flight};
        Mode m = mode;
        if (m == Mode::drop_once) mode = Mode::answer;
        if (m == Mode::drop || m == Mode::drop_once) co_return http::Response{};  // status 0: close, no answer
        if (m == Mode::stall) {
            asio::steady_timer t(co_await asio::this_coro::executor, stall);
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        cmp::Incoming in = cmp::open_request(req, verifier, true, cmp::unix_now(), [&](std::string_view rg) {
            return std::optional<cmp::PeerKeys>(cmp::PeerKeys{std::string(rg), kSecret, legacy});
        });
        REQUIRE(in.ok());
        auto msg = cmp::decode_request(in.xml);
        REQUIRE(msg);
        in.keys.secret = secret;
        co_return cmp::make_http_response(200, cmp::encode(cmp::make_response(*msg)), in, cmp::unix_now());
    }
};

struct Bench {
    asio::io_context ioc;
    FakeGateway gw;
    std::unique_ptr<cmp::GatewayClient> client;

    explicit Bench(std::chrono::milliseconds timeout = 3000ms, unsigned concurrency = 2, bool legacy = false)
        : gw(ioc) {
        gw.legacy = legacy;
        client = std::make_unique<cmp::GatewayClient>(
            ioc.get_executor(),
            cmp::GatewayClientOptions{"GW-0001", *http::Url::parse(gw.url()), kSecret, timeout, concurrency, {}, legacy});
    }
    // Over TLS: the gateway serves `server`, the client trusts and presents `client`; host is the URL's host.
    Bench(net::TlsServerConfig server, net::TlsClientConfig tls, const std::string& host = "127.0.0.1")
        : gw(ioc, std::move(server)) {
        client = std::make_unique<cmp::GatewayClient>(
            ioc.get_executor(),
            cmp::GatewayClientOptions{"GW-0001", *http::Url::parse(gw.url(host)), kSecret, 3000ms, 2, std::move(tls)});
    }
    // Runs the calls concurrently and returns their results in order.
    std::vector<core::Result<cmp::Response>> run(std::vector<std::string> functions) {
        std::vector<core::Result<cmp::Response>> results(functions.size(), core::make_error("test", "not run"));
        std::size_t left = functions.size();
        for (std::size_t i = 0; i < functions.size(); ++i) {
            asio::co_spawn(
                ioc,
                [&, i]() -> asio::awaitable<void> {
                    cmp::Request r;
                    r.function = functions[i];
                    if (r.function == "setRgTime") r.args.set("ntpServer1", "pool.ntp.org");
                    results[i] = co_await client->call(r);
                    if (--left == 0) ioc.stop();
                },
                asio::detached);
        }
        ioc.restart();
        ioc.run_for(20s);
        return results;
    }
    core::Result<cmp::Response> run1(const std::string& fn) { return run({fn}).front(); }
};

}  // namespace

TEST_CASE("answers are verified and decoded") {
    Bench b;
    auto r = b.run1("getRgInfo");
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    CHECK(r->ok());
    CHECK(r->function == "getRgInfo");
    CHECK(r->header.rg_id == "GW-0001");
    CHECK(b.gw.requests == 1);
}

TEST_CASE("an answer not signed with the gateway's secret is refused, not retried") {
    Bench b;
    b.gw.secret = "an-impostor-key";
    auto r = b.run1("getRgInfo");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "cmp.bad_signature");
    CHECK(r.error().message.find("bad_mac") != std::string::npos);
    b.gw.secret = "";
    r = b.run1("getRgInfo");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("missing") != std::string::npos);
    CHECK(b.gw.requests == 2);
}

TEST_CASE("a dropped connection: a get is retried once, a set is not") {
    Bench b;
    b.gw.mode = FakeGateway::Mode::drop;
    CHECK_FALSE(b.run1("getRgInfo"));
    CHECK(b.gw.requests == 2);
    b.gw.requests = 0;
    CHECK_FALSE(b.run1("setRgTime"));
    CHECK(b.gw.requests == 1);

    b.gw.mode = FakeGateway::Mode::drop_once;
    b.gw.requests = 0;
    auto get = b.run1("getRgInfo");
    CHECK(get);
    CHECK(b.gw.requests == 2);
    b.gw.mode = FakeGateway::Mode::drop_once;
    b.gw.requests = 0;
    CHECK_FALSE(b.run1("setRgTime"));
    CHECK(b.gw.requests == 1);
}

TEST_CASE("a set is not resent even on a reused keep-alive connection") {
    Bench b(3000ms, 1);  // one connection: the second call reuses it
    REQUIRE(b.run1("getRgInfo"));
    CHECK(b.gw.requests == 1);
    b.gw.mode = FakeGateway::Mode::drop;
    CHECK_FALSE(b.run1("setRgTime"));
    CHECK(b.gw.requests == 2);  // exactly one more: the gateway may have applied it
}

TEST_CASE("the per-call timeout fires; a get gets one more try") {
    // The gateway stalls far longer than the timeout: only the client's own deadline can end these calls.
    Bench b(300ms);
    b.gw.mode = FakeGateway::Mode::stall;
    b.gw.stall = 30s;
    for (const char* fn : {"setRgTime", "getRgInfo"}) {
        CAPTURE(fn);
        auto r = b.run1(fn);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == "net.timeout");
    }
    CHECK(b.gw.requests == 3);  // the set once, the get twice
}

TEST_CASE("calls reuse one keep-alive connection") {
    Bench b;
    for (const char* fn : {"getRgInfo", "setRgTime", "getRgTime", "getRgMemRsc"}) CHECK(b.run1(fn));
    CHECK(b.gw.requests == 4);
    CHECK(b.gw.connections.size() == 1);
}

TEST_CASE("TLS towards the gateway: verified against the CA, client certificate when the gateway asks") {
    const auto dir = pki::temp_dir("cmp-client-tls");
    const pki::Pki ca = pki::make(dir, "good");
    const pki::Pki other = pki::make(dir, "other");  // a CA that signed nothing the gateway uses
    const net::TlsServerConfig plain_tls{ca.server_cert(), ca.server_key(), ""};
    const net::TlsServerConfig mutual_tls{ca.server_cert(), ca.server_key(), ca.ca()};
    const net::TlsClientConfig with_cert{true, ca.ca(), "", ca.client_cert(), ca.client_key()};
    const net::TlsClientConfig no_cert{true, ca.ca(), "", "", ""};

    SUBCASE("the right CA, no client certificate needed") {
        Bench b(plain_tls, no_cert);
        auto r = b.run1("getRgInfo");
        REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
        CHECK(r->ok());
        CHECK(b.run1("setRgTime"));
        CHECK(b.gw.connections.size() == 1);  // TLS sessions are kept alive too
    }
    SUBCASE("the gateway requires a client certificate: presented and accepted") {
        Bench b(mutual_tls, with_cert);
        auto r = b.run1("getRgInfo");
        REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
        CHECK(r->ok());
    }
    SUBCASE("the gateway requires a client certificate the bridge does not have: nothing reaches it") {
        Bench b(mutual_tls, no_cert);
        CHECK_FALSE(b.run1("getRgInfo"));
        CHECK(b.gw.requests == 0);
    }
    SUBCASE("a client certificate from another CA is refused by the gateway") {
        Bench b(mutual_tls, net::TlsClientConfig{true, ca.ca(), "", other.client_cert(), other.client_key()});
        CHECK_FALSE(b.run1("getRgInfo"));
        CHECK(b.gw.requests == 0);
    }
    SUBCASE("a gateway certificate the configured CA did not sign: refused, nothing sent") {
        Bench b(plain_tls, net::TlsClientConfig{true, other.ca(), "", "", ""});
        auto r = b.run1("getRgInfo");
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("certificate verify failed") != std::string::npos);
        CHECK(b.gw.requests == 0);
    }
    SUBCASE("the right CA but a host name the certificate does not name: refused") {
        Bench b(plain_tls, no_cert, "localhost");
        CHECK_FALSE(b.run1("getRgInfo"));
        CHECK(b.gw.requests == 0);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("concurrency per gateway is bounded by the pool") {
    Bench b(5000ms, 2);
    b.gw.mode = FakeGateway::Mode::stall;
    b.gw.stall = 150ms;
    auto results = b.run({"getRgInfo", "getRgMemRsc", "getRgCpuRsc", "getRgInfo", "getRgTime"});
    for (auto& r : results) CHECK(r);
    CHECK(b.gw.requests == 5);
    CHECK(b.gw.max_in_flight == 2);
}

TEST_CASE("legacy SEED gateway over HTTP, both directions encrypted") {
    Bench b(3000ms, 2, true);
    auto r = b.run1("getRgInfo");
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    CHECK(r->ok());
}
