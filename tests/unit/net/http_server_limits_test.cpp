// net::HttpServer's limits (issue 10, memory before authentication): how
// many connections a listener and one source address may hold, the header
// size, what a listener may refuse from the headers alone, the shared budget
// of buffered bodies, and what an idle keep-alive connection still holds.
#include <doctest/doctest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <vector>

#include "tests/unit/net/server_fixture.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nettest::connect_from;
using nettest::read_status;
using nettest::send_all;

namespace {

std::atomic<int> g_handled{0};

asio::awaitable<http::Response> answer_ok(http::Request req, net::PeerInfo) {
    ++g_handled;
    http::Response r;
    r.status = 200;
    r.body = "got " + std::to_string(req.body.size());
    co_return r;
}

struct Fds {
    std::vector<int> fds;
    ~Fds() {
        for (int fd : fds)
            if (fd >= 0) ::close(fd);
    }
};

}  // namespace

TEST_CASE("one source address holds at most 64 connections by default; other sources are still served") {
    nettest::RunningServer srv(net::ServerOptions{}, answer_ok);
    Fds held;
    for (int i = 0; i < 80; ++i) held.fds.push_back(connect_from("127.0.0.2", srv.port()));
    int served = 0;
    for (int fd : held.fds) {
        REQUIRE(fd >= 0);
        if (send_all(fd, nettest::get()) && read_status(fd) == 200) ++served;
    }
    CHECK(served == 64);
    int other = connect_from("127.0.0.3", srv.port());
    REQUIRE(other >= 0);
    CHECK((send_all(other, nettest::get()) && read_status(other) == 200));
    ::close(other);
}

TEST_CASE("a request header over 8 KiB is refused with 431") {
    nettest::RunningServer srv(net::ServerOptions{}, answer_ok);
    int fd = connect_from("127.0.0.1", srv.port());
    REQUIRE(fd >= 0);
    send_all(fd, nettest::get("X-Padding: " + std::string(9 * 1024, 'p') + "\r\n"));
    CHECK(read_status(fd) == 431);
    ::close(fd);
}

TEST_CASE("over max_connections the listener refuses at once, counts it, and serves again when one closes") {
    net::ServerOptions so;
    so.max_connections = 4;
    so.max_connections_per_source = 0;  // only the listener limit
    nettest::RunningServer srv(so, answer_ok);
    Fds held;
    for (int i = 0; i < 4; ++i) {
        held.fds.push_back(connect_from("127.0.0.1", srv.port()));
        REQUIRE((send_all(held.fds.back(), nettest::get()) && read_status(held.fds.back()) == 200));
    }
    int extra = connect_from("127.0.0.4", srv.port());
    REQUIRE(extra >= 0);
    std::string answer;
    send_all(extra, nettest::get());
    const int status = read_status(extra, &answer);
    CHECK(status != 200);  // a 503 or a plain close, never a request read
    if (status == 503) CHECK(answer.find("Retry-After: 5") != std::string::npos);
    ::close(extra);
    CHECK(srv.server->stats().refused_listener_limit == 1);
    ::close(held.fds.back());
    held.fds.pop_back();
    int served = 0;
    for (int attempt = 0; attempt < 50 && !served; ++attempt) {  // the slot is freed asynchronously
        int fd = connect_from("127.0.0.4", srv.port());
        if (fd >= 0 && send_all(fd, nettest::get()) && read_status(fd) == 200) served = 1;
        if (fd >= 0) ::close(fd);
        if (!served) std::this_thread::sleep_for(20ms);
    }
    CHECK(served == 1);
}

TEST_CASE("the pre-body hook refuses from the headers alone: the announced body is never read") {
    net::ServerOptions so;
    std::atomic<int> hooked{0};
    so.pre_body = [&](const http::Request& head, const net::PeerInfo& peer) {
        ++hooked;
        net::PreBodyDecision d;
        CHECK(head.body.empty());
        CHECK(peer.address == "127.0.0.1");
        if (!head.find("Authorization")) {
            http::Response r;
            r.status = 401;
            d.refuse = r;
        }
        return d;
    };
    so.body_limit = 2 * 1024 * 1024;
    nettest::RunningServer srv(so, answer_ok);
    g_handled = 0;
    int fd = connect_from("127.0.0.1", srv.port(), 1000);
    REQUIRE(fd >= 0);
    // A million bytes announced, none sent: only an answer from the headers can arrive within the timeout.
    send_all(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    CHECK(read_status(fd) == 401);
    ::close(fd);
    CHECK(hooked == 1);
    CHECK(g_handled == 0);
    CHECK(srv.server->stats().refused_before_body == 1);
    CHECK(srv.server->stats().budget_in_use == 0);

    // Admitted by the hook, the request goes on to the handler with its body.
    fd = connect_from("127.0.0.1", srv.port());
    REQUIRE(fd >= 0);
    send_all(fd, "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: yes\r\nContent-Length: 5\r\n\r\nhello");
    std::string answer;
    CHECK(read_status(fd, &answer) == 200);
    CHECK(answer.find("got 5") != std::string::npos);
    ::close(fd);
}

TEST_CASE("the hook's body limit and an announced length over the limit: 413 before reading") {
    net::ServerOptions so;
    so.pre_body = [](const http::Request&, const net::PeerInfo&) { return net::PreBodyDecision{std::nullopt, 0}; };
    nettest::RunningServer srv(so, answer_ok);
    g_handled = 0;
    int fd = connect_from("127.0.0.1", srv.port(), 1000);
    REQUIRE(fd >= 0);
    send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
    CHECK(read_status(fd) == 413);
    ::close(fd);
    fd = connect_from("127.0.0.1", srv.port());
    REQUIRE(fd >= 0);
    send_all(fd, nettest::get());  // no body: fine
    CHECK(read_status(fd) == 200);
    ::close(fd);
    CHECK(g_handled == 1);
}

TEST_CASE("bodies in flight share one budget: over it, 503 with Retry-After before reading") {
    net::ServerOptions so;
    so.body_budget = 100'000;
    nettest::RunningServer srv(so, answer_ok);
    // Two slow bodies of 40,000 bytes each hold 80,000 of the budget while they trickle in.
    Fds slow;
    for (int i = 0; i < 2; ++i) {
        slow.fds.push_back(connect_from("127.0.0.1", srv.port()));
        REQUIRE(send_all(slow.fds.back(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 40000\r\n\r\nabc"));
    }
    for (int i = 0; i < 100 && srv.server->stats().budget_in_use < 80'000; ++i) std::this_thread::sleep_for(10ms);
    CHECK(srv.server->stats().budget_in_use == 80'000);
    // A third one announcing 30,000 does not fit: refused at once, its body unread.
    int third = connect_from("127.0.0.1", srv.port(), 1000);
    REQUIRE(third >= 0);
    send_all(third, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 30000\r\n\r\n");
    std::string answer;
    CHECK(read_status(third, &answer) == 503);
    CHECK(answer.find("Retry-After: 5") != std::string::npos);
    ::close(third);
    CHECK(srv.server->stats().refused_budget == 1);
    // The slow ones complete and give their share back.
    for (int fd : slow.fds) {
        REQUIRE(send_all(fd, std::string(40000 - 3, 'b')));
        CHECK(read_status(fd) == 200);
    }
    for (int i = 0; i < 100 && srv.server->stats().budget_in_use > 0; ++i) std::this_thread::sleep_for(10ms);
    CHECK(srv.server->stats().budget_in_use == 0);
}

TEST_CASE("an idle keep-alive connection holds only a small read buffer after a large request") {
    nettest::RunningServer srv(net::ServerOptions{}, answer_ok);
    int fd = connect_from("127.0.0.1", srv.port());
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n" + std::string(300000, 'z')));
    std::string answer;
    REQUIRE(read_status(fd, &answer) == 200);
    CHECK(answer.find("got 300000") != std::string::npos);
    // The connection stays open (keep-alive) and idle, waiting with a 1 KiB buffer, not the 16 KiB it read with.
    std::size_t held = 0;
    for (int i = 0; i < 100 && (held = srv.server->stats().buffer_bytes) > 1024; ++i) std::this_thread::sleep_for(10ms);
    CHECK(held <= 1024);
    CHECK(held > 0);  // the count is live: the wait's buffer is in it
    CHECK(srv.server->stats().connections == 1);
    CHECK(srv.server->stats().budget_in_use == 0);
    // ... and serves the next request.
    REQUIRE(send_all(fd, nettest::get()));
    CHECK(read_status(fd) == 200);
    ::close(fd);
}

TEST_CASE("a header that does not complete within header_timeout closes the connection") {
    net::ServerOptions so;
    so.header_timeout = 300ms;
    nettest::RunningServer srv(so, answer_ok);
    int fd = connect_from("127.0.0.1", srv.port());
    REQUIRE(fd >= 0);
    const auto t0 = std::chrono::steady_clock::now();
    send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
    CHECK(read_status(fd) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    ::close(fd);
}
