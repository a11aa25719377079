#pragma once
// An HTTP/1.1 server (plain or TLS) with keep-alive, a strand per connection
// and a timeout on every read and write. What to answer is the handler's
// business: it is a coroutine so it may do async work, but listeners that
// must answer fast (Connection Requests) answer first and start their work
// afterwards.
//
// Memory before authentication (issue 10): a listener faces peers that have
// not proven anything yet, so everything a peer can make the server hold is
// bounded before it is allocated:
//   - connections per listener and per source address (over the limit: a
//     one-shot 503 on plain listeners, a close on TLS ones, never a read);
//   - the header (header_limit, 431) and its deadline (header_timeout, for
//     slow senders), read alone first;
//   - then the listener looks at the headers (pre_body) and may refuse at
//     once, without reading the body, or lower the body limit;
//   - the body: Content-Length over the limit is 413 before reading; within
//     it, its bytes are reserved from the listener's shared body_budget
//     before reading (over budget: 503 + Retry-After);
//   - between keep-alive requests a connection keeps no buffer capacity.
// Every refusal closes the connection, is counted (stats()) and logged
// through core::log::warn_from (rate-limited per source).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/core/result.hpp"
#include "bridge/http/message.hpp"
#include "bridge/net/tls.hpp"

namespace net {

struct PeerInfo {
    std::string address;
    unsigned short port = 0;
    bool tls = false;
};

// A listener's verdict on a request from its headers alone (the body is unread).
struct PreBodyDecision {
    // Set: send this answer and close the connection; the body is never read.
    std::optional<http::Response> refuse;
    // Set: the body limit for this request, when lower than ServerOptions::body_limit.
    std::optional<std::size_t> body_limit;
};
// headers_only has method, target and headers; its body is empty.
using PreBodyCheck = std::function<PreBodyDecision(const http::Request& headers_only, const PeerInfo& peer)>;

struct ServerOptions {
    // A new connection must send its header, and any header must be
    // complete, within this (slow senders hold a connection no longer); the
    // TLS handshake too.
    std::chrono::milliseconds header_timeout{10'000};
    // A kept-alive connection may wait this long for its next request.
    std::chrono::milliseconds idle_timeout{30'000};
    // The body must arrive within this, the response be written within write_timeout.
    std::chrono::milliseconds read_timeout{30'000};
    std::chrono::milliseconds write_timeout{30'000};
    std::size_t body_limit = 1024 * 1024;
    std::size_t header_limit = 8 * 1024;
    std::size_t max_connections = 1024;            // per listener; 0 = no limit
    std::size_t max_connections_per_source = 64;   // per remote address; 0 = no limit
    // Body bytes all connections of the listener may buffer at once.
    std::size_t body_budget = 32 * 1024 * 1024;
    std::chrono::seconds retry_after{5};  // in the 503s of the connection limits and the budget
    PreBodyCheck pre_body;                // optional
    std::string log_name = "http";        // log component of the server's own refusals
    std::optional<TlsServerConfig> tls;
};

// Counters since the server started, and what it holds now.
struct ServerStats {
    std::uint64_t accepted = 0;
    std::uint64_t refused_listener_limit = 0;  // max_connections reached
    std::uint64_t refused_source_limit = 0;    // max_connections_per_source reached
    std::uint64_t refused_before_body = 0;     // pre_body refusals and 413s from Content-Length
    std::uint64_t refused_budget = 0;          // body_budget exhausted
    std::size_t connections = 0;               // open now
    std::size_t budget_in_use = 0;             // body bytes reserved now
    std::size_t buffer_bytes = 0;              // read-buffer capacity held by all connections now
};

// A response with status 0 closes the connection without answering (a
// simulated peer that went away mid-request).
using Handler = std::function<boost::asio::awaitable<http::Response>(http::Request, PeerInfo)>;

class HttpServer {
public:
    HttpServer(boost::asio::io_context& ioc, ServerOptions options, Handler handler);
    ~HttpServer();

    // Binds "host:port" (port 0 = ephemeral) and starts accepting.
    core::Status listen(std::string_view host, std::string_view port);
    unsigned short port() const;
    void stop();
    ServerStats stats() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

// Splits "127.0.0.1:7547" / "[::1]:7547" into host and port.
core::Result<std::pair<std::string, std::string>> split_host_port(std::string_view listen);

}  // namespace net
