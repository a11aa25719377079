#pragma once
// One keep-alive HTTP/1.1 connection to whichever origin the caller names,
// plain or TLS. Deliberately dumb: authentication, cookies and redirects are
// decided by the sans-I/O session engines, which see every response; this
// class only moves bytes, with a timeout on every step.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "bridge/core/result.hpp"
#include "bridge/http/message.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/tls.hpp"

namespace net {

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds io_timeout{30'000};
    std::size_t body_limit = 4 * 1024 * 1024;
    TlsClientConfig tls;
    std::string user_agent = "cmp-cwmp-bridge/0.1";
    // An idle keep-alive connection counts towards the process-wide bound
    // (set_idle_connection_limit) and may be closed to respect it. False for
    // a connection that must survive idle moments (an ACS session's: some
    // ACSes bind Digest nonces to the socket).
    bool bounded_idle = true;
};

// The most idle keep-alive connections all HttpClients of the process keep
// open; beyond it the least recently used one is closed (on its client's
// executor; its next request reconnects). 100,000 gateways each keeping the
// connection of their last call open would hold 100,000 descriptors. 0: no
// bound. Default 1024.
void set_idle_connection_limit(std::size_t limit);
std::size_t idle_connections();

class HttpClient {
public:
    HttpClient(boost::asio::any_io_executor ex, ClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends req to url's origin (reusing the open connection when it is to
    // the same origin and still alive) and reads the response. Host,
    // Content-Length and User-Agent are filled in here. Must be awaited on
    // the executor given at construction; one exchange at a time.
    // resend_on_stale: a request on a reused connection whose response never
    // came is sent once more on a fresh connection (the peer usually closed
    // the idle connection). Pass false for non-idempotent requests: the peer
    // may have processed the first copy.
    boost::asio::awaitable<core::Result<http::Response>> send(const http::Url& url, http::Request req,
                                                              bool resend_on_stale = true);

    void close();
    bool connected() const;

    struct Connection;  // opaque; public only for the idle list in http_client.cpp

private:
    boost::asio::awaitable<core::Status> connect(const http::Url& url);

    // Idle bookkeeping (http_client.cpp): park after an exchange that kept
    // the connection open, unpark before the next one or on close.
    void park();
    void unpark();

    boost::asio::any_io_executor ex_;
    ClientOptions options_;
    std::shared_ptr<Connection> conn_;  // shared: an eviction's close holds a weak_ptr
};

}  // namespace net
