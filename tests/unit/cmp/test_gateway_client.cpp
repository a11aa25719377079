// cmp::GatewayClient against a local net::HttpServer playing the gateway:
// retries (a get once, a set never, not even on a stale keep-alive
// connection), the per-call timeout, bounded concurrency, response
// signatures and the legacy SEED mode over real sockets.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/gateway_client.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/net/http_server.hpp"

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
    cmp::Verifier verifier;
    net::HttpServer server{ioc, net::ServerOptions{}, [this](http::Request r, net::PeerInfo) { return handle(std::move(r)); }};

    explicit FakeGateway(asio::io_context& c) : ioc(c) { REQUIRE(server.listen("127.0.0.1", "0")); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/cmp/GW-0001"; }

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
    FakeGateway gw{ioc};
    std::unique_ptr<cmp::GatewayClient> client;

    explicit Bench(std::chrono::milliseconds timeout = 3000ms, unsigned concurrency = 2, bool legacy = false) {
        gw.legacy = legacy;
        client = std::make_unique<cmp::GatewayClient>(
            ioc.get_executor(),
            cmp::GatewayClientOptions{"GW-0001", *http::Url::parse(gw.url()), kSecret, timeout, concurrency, {}, legacy});
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
    Bench b(300ms);
    b.gw.mode = FakeGateway::Mode::stall;
    auto t0 = std::chrono::steady_clock::now();
    auto set = b.run1("setRgTime");
    auto set_time = std::chrono::steady_clock::now() - t0;
    REQUIRE_FALSE(set);
    CHECK(set.error().code == "net.timeout");
    CHECK(set_time >= 250ms);
    CHECK(set_time < 1500ms);
    t0 = std::chrono::steady_clock::now();
    auto get = b.run1("getRgInfo");
    auto get_time = std::chrono::steady_clock::now() - t0;
    REQUIRE_FALSE(get);
    CHECK(get.error().code == "net.timeout");
    CHECK(get_time >= 550ms);
    CHECK(get_time < 1900ms);
    CHECK(b.gw.requests == 3);
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
