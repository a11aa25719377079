#include "bridge/net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>

#include "bridge/net/beast_convert.hpp"

namespace net {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

http::Response simple_response(int status, std::string_view text) {
    http::Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "text/plain"});
    r.body = std::string(text) + "\n";
    return r;
}
}  // namespace

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
    asio::io_context& ioc;
    ServerOptions options;
    Handler handler;
    tcp::acceptor acceptor;
    std::shared_ptr<asio::ssl::context> ssl_ctx;
    std::atomic<std::size_t> connections{0};
    bool stopped = false;

    State(asio::io_context& c, ServerOptions o, Handler h)
        : ioc(c), options(std::move(o)), handler(std::move(h)), acceptor(asio::make_strand(c)) {}

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        while (!stopped) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), use_nothrow);
            if (ec) {
                if (ec == asio::error::operation_aborted || stopped) co_return;
                continue;  // EMFILE and friends: keep serving the connections we have
            }
            if (connections.load() >= options.max_connections) {
                boost::system::error_code ignored;
                socket.close(ignored);
                continue;
            }
            auto ex = socket.get_executor();
            asio::co_spawn(ex, serve(std::move(socket)), asio::detached);
        }
    }

    template <class Stream>
    asio::awaitable<void> serve_stream(Stream& stream, beast::tcp_stream& low, PeerInfo peer) {
        beast::flat_buffer buffer;
        for (;;) {
            beast::http::request_parser<beast::http::string_body> parser;
            parser.body_limit(options.body_limit);
            parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
            low.expires_after(options.read_timeout);
            auto [rec, n] = co_await beast::http::async_read(stream, buffer, parser, use_nothrow);
            (void)n;
            if (rec == beast::http::error::end_of_stream || rec == asio::error::eof) co_return;
            http::Response res;
            bool keep = false;
            if (rec == beast::http::error::body_limit) {
                res = simple_response(413, "request body too large");
            } else if (rec == beast::http::error::header_limit) {
                res = simple_response(431, "request header too large");
            } else if (rec) {
                // Timeouts and resets: nothing sensible to answer.
                if (rec == beast::error::timeout || rec == asio::error::connection_reset ||
                    rec == asio::error::operation_aborted)
                    co_return;
                res = simple_response(400, "malformed HTTP request");
            } else {
                auto breq = parser.release();
                keep = breq.keep_alive();
                res = co_await handler(from_beast(std::move(breq)), peer);
                if (res.status == 0) co_return;  // the handler wants no answer at all
            }
            auto bres = to_beast(std::move(res), keep);
            low.expires_after(options.write_timeout);
            auto [wec, wn] = co_await beast::http::async_write(stream, bres, use_nothrow);
            (void)wn;
            if (wec || !keep) co_return;
        }
    }

    asio::awaitable<void> serve(tcp::socket socket) {
        auto self = shared_from_this();
        ++connections;
        struct Guard {
            std::atomic<std::size_t>& c;
            ~Guard() { --c; }
        } guard{connections};
        PeerInfo peer;
        boost::system::error_code ec;
        auto rep = socket.remote_endpoint(ec);
        if (!ec) {
            peer.address = rep.address().to_string();
            peer.port = rep.port();
        }
        if (ssl_ctx) {
            peer.tls = true;
            beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *ssl_ctx);
            auto& low = beast::get_lowest_layer(stream);
            low.expires_after(options.read_timeout);
            auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_nothrow);
            if (hec) co_return;
            co_await serve_stream(stream, low, peer);
            low.expires_after(std::chrono::seconds(5));
            co_await stream.async_shutdown(use_nothrow);
        } else {
            beast::tcp_stream stream(std::move(socket));
            co_await serve_stream(stream, stream, peer);
            stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        }
    }
};

HttpServer::HttpServer(asio::io_context& ioc, ServerOptions options, Handler handler)
    : state_(std::make_shared<State>(ioc, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

core::Status HttpServer::listen(std::string_view host, std::string_view port) {
    if (state_->options.tls) {
        auto ctx = make_server_context(*state_->options.tls);
        if (!ctx) return ctx.error();
        state_->ssl_ctx = *ctx;
    }
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(std::string(host), ec);
    if (ec) return core::make_error("net.listen", "listen address '" + std::string(host) + "' is not an IP address");
    unsigned long p = 0;
    try {
        p = std::stoul(std::string(port));
    } catch (...) {
        p = 70000;
    }
    if (p > 65535) return core::make_error("net.listen", "bad listen port '" + std::string(port) + "'");
    tcp::endpoint ep(addr, static_cast<unsigned short>(p));
    auto& acc = state_->acceptor;
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return core::make_error("net.listen", "cannot listen on " + std::string(host) + ":" + std::string(port) + ": " + ec.message());
    asio::co_spawn(acc.get_executor(), state_->accept_loop(), asio::detached);
    return core::Ok{};
}

unsigned short HttpServer::port() const {
    boost::system::error_code ec;
    auto ep = state_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void HttpServer::stop() {
    if (!state_ || state_->stopped) return;
    state_->stopped = true;
    asio::post(state_->acceptor.get_executor(), [s = state_] {
        boost::system::error_code ec;
        s->acceptor.close(ec);
    });
}

core::Result<std::pair<std::string, std::string>> split_host_port(std::string_view listen) {
    std::string_view host, port;
    if (!listen.empty() && listen.front() == '[') {
        auto close = listen.find(']');
        if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
            return core::make_error("net.address", "bad address '" + std::string(listen) + "' (want [v6]:port)");
        host = listen.substr(1, close - 1);
        port = listen.substr(close + 2);
    } else {
        auto colon = listen.rfind(':');
        if (colon == std::string_view::npos)
            return core::make_error("net.address", "bad address '" + std::string(listen) + "' (want host:port)");
        host = listen.substr(0, colon);
        port = listen.substr(colon + 1);
    }
    if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos)
        return core::make_error("net.address", "bad address '" + std::string(listen) + "' (want host:port)");
    return std::pair{std::string(host), std::string(port)};
}

}  // namespace net
