// net::HttpClient against a raw Beast peer that behaves like real ACSes and
// gateways: it closes idle keep-alive connections after a short time, or
// closes right after answering while still saying keep-alive. A request that
// has to be sent again on a fresh connection must carry the same body: the
// bug this guards against resent a moved-from (empty) request.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bridge/net/http_client.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// What the peer does with a connection after answering a request.
enum class PeerMode {
    idle_close,     // keeps it open, but closes it after `idle` without a request
    close_after_1,  // answers one request ("keep-alive"), then closes at once
};

struct Seen {
    std::string body;
    std::string content_length;
    std::string marker;  // X-Test header, to tell requests apart
    unsigned short client_port = 0;
};

struct RawPeer {
    asio::io_context& ioc;
    tcp::acceptor acceptor;
    PeerMode mode;
    std::chrono::milliseconds idle;
    std::vector<Seen> seen;

    RawPeer(asio::io_context& c, PeerMode m, std::chrono::milliseconds i = 100ms)
        : ioc(c), acceptor(c, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), mode(m), idle(i) {
        asio::co_spawn(ioc, accept_loop(), asio::detached);
    }
    unsigned short port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(nothrow);
            if (ec) co_return;
            asio::co_spawn(ioc, serve(std::move(sock)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket sock) {
        beast::tcp_stream stream(std::move(sock));
        const unsigned short port = stream.socket().remote_endpoint().port();
        beast::flat_buffer buf;
        for (;;) {
            bhttp::request<bhttp::string_body> req;
            stream.expires_after(idle);
            auto [rec, n] = co_await bhttp::async_read(stream, buf, req, nothrow);
            (void)n;
            if (rec) break;  // idle too long (or the client went away): close, as real peers do
            seen.push_back({req.body(), std::string(req[bhttp::field::content_length]),
                            std::string(req["X-Test"]), port});
            bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
            res.keep_alive(true);
            res.body() = "echo:" + req.body();
            res.prepare_payload();
            stream.expires_after(5s);
            auto [wec, wn] = co_await bhttp::async_write(stream, res, nothrow);
            (void)wn;
            if (wec || mode == PeerMode::close_after_1) break;
        }
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.socket().close(ignored);
    }
};

http::Request post(std::string marker, std::string body) {
    http::Request r;
    r.method = "POST";
    r.headers.push_back({"X-Test", std::move(marker)});
    r.headers.push_back({"Content-Type", "text/xml"});
    r.body = std::move(body);
    return r;
}

// Runs `exchanges` through one client, pausing `pause` before each but the
// first. (A free coroutine: a lambda's captures would die before its frame.)
asio::awaitable<void> client_run(RawPeer& peer, http::Url url, int exchanges, std::chrono::milliseconds pause,
                                 std::vector<core::Result<http::Response>>& out) {
    // Named first: GCC 12 destroys a braced temporary twice inside a coroutine.
    net::ClientOptions options;
    options.connect_timeout = 2000ms;
    options.io_timeout = 2000ms;
    auto ex = co_await asio::this_coro::executor;
    net::HttpClient client(ex, options);
    for (int i = 0; i < exchanges; ++i) {
        if (i > 0) {
            asio::steady_timer t(co_await asio::this_coro::executor, pause);
            co_await t.async_wait(nothrow);
        }
        std::string body = "<Envelope>request " + std::to_string(i) + " " + std::string(300, 'x') + "</Envelope>";
        out.push_back(co_await client.send(url, post(std::to_string(i), body)));
    }
    peer.acceptor.close();
}

std::vector<core::Result<http::Response>> run_client(asio::io_context& ioc, RawPeer& peer, int exchanges,
                                                     std::chrono::milliseconds pause) {
    std::vector<core::Result<http::Response>> out;
    auto url = http::Url::parse("http://127.0.0.1:" + std::to_string(peer.port()) + "/cwmp");
    REQUIRE(url);
    asio::co_spawn(ioc, client_run(peer, *url, exchanges, pause, out), asio::detached);
    ioc.run();
    return out;
}

}  // namespace

TEST_CASE("a request resent after the peer closed the idle keep-alive connection carries its body") {
    asio::io_context ioc;
    RawPeer peer(ioc, PeerMode::idle_close, 100ms);
    auto results = run_client(ioc, peer, 3, 400ms);  // every pause outlasts the peer's idle timeout
    REQUIRE(results.size() == 3);
    for (std::size_t i = 0; i < results.size(); ++i) {
        INFO("exchange " << i);
        REQUIRE(results[i]);
        CHECK(results[i]->status == 200);
        CHECK(results[i]->body.find("request " + std::to_string(i)) != std::string::npos);
    }
    // Every copy the peer received, first sends and resends alike, is whole.
    REQUIRE(peer.seen.size() >= 3);
    for (auto& s : peer.seen) {
        INFO("request " << s.marker);
        CHECK(s.body.find("<Envelope>request " + s.marker) == 0);
        CHECK(s.content_length == std::to_string(s.body.size()));
    }
}

TEST_CASE("a peer that closes right after answering gets the next request whole on a new connection") {
    asio::io_context ioc;
    RawPeer peer(ioc, PeerMode::close_after_1);
    auto results = run_client(ioc, peer, 4, 50ms);
    REQUIRE(results.size() == 4);
    for (std::size_t i = 0; i < results.size(); ++i) {
        INFO("exchange " << i);
        REQUIRE(results[i]);
        CHECK(results[i]->body.find("request " + std::to_string(i)) != std::string::npos);
    }
    int empty = 0;
    for (auto& s : peer.seen)
        if (s.body.empty()) ++empty;
    CHECK(empty == 0);
    // Each exchange needed its own connection.
    std::set<unsigned short> ports;
    for (auto& s : peer.seen) ports.insert(s.client_port);
    CHECK(ports.size() >= 4);
}

namespace {
// Each of `clients` sends one request, then all of them (still alive, idle)
// report whether their connection is open; then each sends a second one.
asio::awaitable<void> many_clients(RawPeer& peer, http::Url url, int clients, std::vector<bool>& open_when_idle,
                                   std::size_t& idle_counted, int& second_ok, bool bounded) {
    net::ClientOptions options;
    options.connect_timeout = 2000ms;
    options.io_timeout = 2000ms;
    options.bounded_idle = bounded;
    auto ex = co_await asio::this_coro::executor;
    std::vector<std::unique_ptr<net::HttpClient>> all;
    for (int i = 0; i < clients; ++i) {
        all.push_back(std::make_unique<net::HttpClient>(ex, options));
        auto r = co_await all.back()->send(url, post("first" + std::to_string(i), "a"));
        REQUIRE(r);
    }
    // Let the evictions' posted closes run.
    asio::steady_timer t(ex, 50ms);
    co_await t.async_wait(nothrow);
    idle_counted = net::idle_connections();
    for (auto& c : all) open_when_idle.push_back(c->connected());
    for (int i = 0; i < clients; ++i) {
        auto r = co_await all[i]->send(url, post("second" + std::to_string(i), "b"));
        second_ok += r && r->status == 200;
    }
    all.clear();
    peer.acceptor.close();
}
}  // namespace

TEST_CASE("idle keep-alive connections are bounded process-wide: the least recently used ones are closed") {
    net::set_idle_connection_limit(3);
    asio::io_context ioc;
    RawPeer peer(ioc, PeerMode::idle_close, 5000ms);
    auto url = http::Url::parse("http://127.0.0.1:" + std::to_string(peer.port()) + "/cmp");
    REQUIRE(url);
    std::vector<bool> open;
    std::size_t idle = 0;
    int second_ok = 0;
    asio::co_spawn(ioc, many_clients(peer, *url, 8, open, idle, second_ok, true), asio::detached);
    ioc.run_for(10s);
    REQUIRE(open.size() == 8);
    CHECK(idle == 3);
    // The three used last keep their connection; the five before were closed.
    for (int i = 0; i < 5; ++i) CHECK_FALSE(open[i]);
    for (int i = 5; i < 8; ++i) CHECK(open[i]);
    CHECK(second_ok == 8);  // a closed one reconnects
    CHECK(net::idle_connections() == 0);  // destroyed clients leave nothing behind
    net::set_idle_connection_limit(1024);
}

TEST_CASE("a client outside the bound (an ACS session's) keeps its idle connection") {
    net::set_idle_connection_limit(1);
    asio::io_context ioc;
    RawPeer peer(ioc, PeerMode::idle_close, 5000ms);
    auto url = http::Url::parse("http://127.0.0.1:" + std::to_string(peer.port()) + "/acs");
    REQUIRE(url);
    std::vector<bool> open;
    std::size_t idle = 0;
    int second_ok = 0;
    asio::co_spawn(ioc, many_clients(peer, *url, 4, open, idle, second_ok, false), asio::detached);
    ioc.run_for(10s);
    REQUIRE(open.size() == 4);
    for (bool o : open) CHECK(o);
    CHECK(idle == 0);
    CHECK(second_ok == 4);
    net::set_idle_connection_limit(1024);
}
