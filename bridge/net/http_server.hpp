#pragma once
// An HTTP/1.1 server (plain or TLS) with keep-alive, a strand per connection,
// bounded request size and a timeout on every read and write. What to answer
// is the handler's business: it is a coroutine so it may do async work, but
// listeners that must answer fast (Connection Requests) answer first and
// start their work afterwards.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <string>

#include "bridge/core/result.hpp"
#include "bridge/http/message.hpp"
#include "bridge/net/tls.hpp"

namespace net {

struct ServerOptions {
    std::chrono::milliseconds read_timeout{30'000};
    std::chrono::milliseconds write_timeout{30'000};
    std::size_t body_limit = 1024 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::size_t max_connections = 20'000;
    std::optional<TlsServerConfig> tls;
};

struct PeerInfo {
    std::string address;
    unsigned short port = 0;
    bool tls = false;
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

private:
    struct State;
    std::shared_ptr<State> state_;
};

// Splits "127.0.0.1:7547" / "[::1]:7547" into host and port.
core::Result<std::pair<std::string, std::string>> split_host_port(std::string_view listen);

}  // namespace net
