#pragma once
// The benchmarks' own minimal HTTP/1.1 server: Beast on one io_context, a
// strand and a coroutine per connection, keep-alive, no thread per connection.
// Deliberately without the bridge's listener limits and budgets
// (bridge/net/http_server.hpp): the load generator and the canned-reply server
// share this code, so that their difference is the bridge, not the server.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <memory>

namespace benchhttp {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// Handler: void handle(Request&, Response&); Response::keep_alive(false) closes
// the connection after the answer. Called on the connection's strand, so with
// more than one thread running the io_context it must be thread-safe.
template <class Handler>
asio::awaitable<void> serve_connection(tcp::socket socket, Handler& handler, std::chrono::seconds idle) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    buffer.reserve(8 * 1024);  // as the bridge's client: whole messages per recv, not 512 bytes
    beast::error_code ec;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(8 * 1024 * 1024);
        stream.expires_after(idle);
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        Request req = parser.release();
        Response res;
        res.version(11);
        res.keep_alive(req.keep_alive());
        handler.handle(req, res);
        const bool keep = res.keep_alive();
        res.prepare_payload();
        stream.expires_after(idle);
        co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !keep) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

template <class Handler>
asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::io_context& ioc, Handler& handler,
                                  std::chrono::seconds idle) {
    for (;;) {
        beast::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {  // EMFILE and friends: back off a little, keep serving the open connections
            asio::steady_timer t(ioc, std::chrono::milliseconds(10));
            co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto ex = socket.get_executor();
        asio::co_spawn(ex, serve_connection(std::move(socket), handler, idle), asio::detached);
    }
}

// Binds 127.0.0.1:port (0 = ephemeral) with a deep backlog (a storm connects all at once).
inline std::unique_ptr<tcp::acceptor> listen(asio::io_context& ioc, const std::string& host, unsigned short port) {
    auto acceptor = std::make_unique<tcp::acceptor>(ioc);
    tcp::endpoint ep(asio::ip::make_address(host), port);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen(65535);
    return acceptor;
}

}  // namespace benchhttp
