#include "bridge/net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "bridge/core/log_limiter.hpp"
#include "bridge/net/beast_convert.hpp"

namespace net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
// The first read of a request: enough for a typical header, small enough
// that thousands of waiting connections hold next to nothing.
constexpr std::size_t kFirstRead = 1024;
// Body bytes pass through the connection's buffer in chunks of at most this
// (beyond the header limit), so a connection's buffer never grows with the body.
constexpr std::size_t kBodyChunk = 8 * 1024;
// How often summaries of rate-limited warnings are written when nothing else logs.
constexpr auto kLogFlush = std::chrono::seconds(5);

http::Response simple_response(int status, std::string_view text) {
    http::Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "text/plain"});
    r.body = std::string(text) + "\n";
    return r;
}

http::Response busy_response(std::string_view text, std::chrono::seconds retry_after) {
    http::Response r = simple_response(503, text);
    r.headers.push_back({"Retry-After", std::to_string(retry_after.count())});
    return r;
}

bool quiet_end(const boost::system::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
           ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
           ec == asio::ssl::error::stream_truncated;
}

template <class Fields>
http::Request headers_of(const bhttp::request_header<Fields>& h) {
    http::Request out;
    out.method = std::string(h.method_string());
    out.target = std::string(h.target());
    copy_headers(h, out.headers);
    return out;
}
}  // namespace

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
    asio::io_context& ioc;
    ServerOptions options;
    Handler handler;
    tcp::acceptor acceptor;
    asio::steady_timer flush_timer;
    std::shared_ptr<asio::ssl::context> ssl_ctx;
    std::atomic<bool> stopped{false};

    std::atomic<std::size_t> connections{0}, budget_in_use{0}, buffer_bytes{0};
    std::atomic<std::uint64_t> accepted{0}, refused_listener{0}, refused_source{0}, refused_before_body{0},
        refused_budget{0};
    std::mutex sources_mutex;
    std::unordered_map<std::string, std::size_t> per_source;  // open connections per address; no zero entries

    State(asio::io_context& c, ServerOptions o, Handler h)
        : ioc(c),
          options(std::move(o)),
          handler(std::move(h)),
          acceptor(asio::make_strand(c)),
          flush_timer(acceptor.get_executor()) {}

    void warn(const std::string& address, std::string_view kind, const std::string& what) {
        core::log::warn_from(options.log_name, address, kind, what + " from " + address);
    }

    // ---- admission: counted at accept time, so a burst cannot overshoot ----

    // Empty: admitted (and counted). Otherwise the reason for the refusal.
    std::string admit(const std::string& address) {
        if (options.max_connections && connections.load() >= options.max_connections) {
            ++refused_listener;
            return "listener limit";
        }
        std::lock_guard lock(sources_mutex);
        std::size_t& n = per_source[address];
        if (options.max_connections_per_source && n >= options.max_connections_per_source) {
            ++refused_source;
            return "per-source limit";
        }
        ++n;
        ++connections;
        return {};
    }

    void release(const std::string& address) {
        std::lock_guard lock(sources_mutex);
        auto it = per_source.find(address);
        if (it != per_source.end() && --it->second == 0) per_source.erase(it);
        --connections;
    }

    // A refused connection costs one non-blocking write (plain only: TLS would
    // need a handshake) and a close; its request is never read.
    template <class Socket>
    void refuse_connection(Socket& socket) {
        boost::system::error_code ec;
        if (!options.tls) {
            const std::string busy = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: " +
                                     std::to_string(options.retry_after.count()) +
                                     "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            socket.non_blocking(true, ec);
            if (!ec) socket.write_some(asio::buffer(busy), ec);
        }
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
    }

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        while (!stopped) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), use_nothrow);
            if (ec) {
                if (ec == asio::error::operation_aborted || stopped) co_return;
                continue;  // EMFILE and friends: keep serving the connections we have
            }
            ++accepted;
            boost::system::error_code rec;
            auto rep = socket.remote_endpoint(rec);
            if (rec) continue;  // gone already
            std::string address = rep.address().to_string();
            if (std::string why = admit(address); !why.empty()) {
                refuse_connection(socket);
                warn(address, why,
                     "refused a connection (" + why + ": " +
                         std::to_string(why == "listener limit" ? options.max_connections
                                                                : options.max_connections_per_source) +
                         ")");
                continue;
            }
            auto ex = socket.get_executor();
            asio::co_spawn(ex, serve(std::move(socket), PeerInfo{std::move(address), rep.port(), bool(ssl_ctx)}),
                           asio::detached);
        }
    }

    asio::awaitable<void> flush_loop() {
        auto self = shared_from_this();
        while (!stopped) {
            flush_timer.expires_after(kLogFlush);
            auto [ec] = co_await flush_timer.async_wait(use_nothrow);
            if (ec == asio::error::operation_aborted) co_return;
            core::log::flush_suppressed();
        }
    }

    // ---- per connection ----

    // Keeps buffer_bytes equal to the capacity of every connection's buffer.
    struct HeldBuffer {
        State& s;
        beast::flat_buffer& buffer;
        std::size_t counted = 0;
        void update() {
            const std::size_t now = buffer.capacity();
            if (now >= counted) s.buffer_bytes += now - counted;
            else s.buffer_bytes -= counted - now;
            counted = now;
        }
        ~HeldBuffer() { s.buffer_bytes -= counted; }
    };

    // Body bytes reserved from the listener's budget for one request.
    struct Reservation {
        State& s;
        std::size_t bytes = 0;
        bool take(std::size_t n) {
            std::size_t used = s.budget_in_use.load();
            do {
                if (n > s.options.body_budget || used > s.options.body_budget - n) return false;
            } while (!s.budget_in_use.compare_exchange_weak(used, used + n));
            bytes = n;
            return true;
        }
        void give_back() {
            s.budget_in_use -= bytes;
            bytes = 0;
        }
        ~Reservation() { give_back(); }
    };

    template <class Stream>
    asio::awaitable<bool> write(Stream& stream, beast::tcp_stream& low, http::Response res, bool keep) {
        auto bres = to_beast(std::move(res), keep);
        low.expires_after(options.write_timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream, bres, use_nothrow);
        (void)wn;
        co_return !wec;
    }

    template <class Stream>
    asio::awaitable<void> serve_stream(Stream& stream, beast::tcp_stream& low, const PeerInfo& peer) {
        beast::flat_buffer buffer(options.header_limit + kBodyChunk);
        HeldBuffer held{*this, buffer};
        for (bool first = true;; first = false) {
            // Waiting for a request: a fresh connection must start promptly, a kept-alive one may idle.
            if (buffer.size() == 0) {
                low.expires_after(first ? options.header_timeout : options.idle_timeout);
                auto space = buffer.prepare(kFirstRead);  // all a waiting connection holds
                held.update();
                auto [ec, n] = co_await stream.async_read_some(space, use_nothrow);
                if (ec) co_return;
                buffer.commit(n);
                held.update();
            }
            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
            parser.body_limit(boost::none);  // decided below, from the headers
            low.expires_after(options.header_timeout);
            auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow);
            (void)hn;
            held.update();
            if (hec) {
                if (quiet_end(hec)) co_return;  // timeouts and resets: nothing sensible to answer
                const bool big = hec == bhttp::error::header_limit || hec == bhttp::error::buffer_overflow;
                if (big) warn(peer.address, "header limit", "refused a request header over the limit");
                // Named, not a temporary in the co_await: GCC 12 destroys a conditional's temporary twice there.
                http::Response refusal = big ? simple_response(431, "request header too large")
                                             : simple_response(400, "malformed HTTP request");
                co_await write(stream, low, std::move(refusal), false);
                co_return;
            }
            const bool keep = parser.get().keep_alive();
            std::size_t limit = options.body_limit;
            if (options.pre_body) {
                PreBodyDecision d = options.pre_body(headers_of(parser.get()), peer);
                if (d.refuse) {
                    // The listener's own refusal, logged by the listener; the body stays unread.
                    ++refused_before_body;
                    co_await write(stream, low, std::move(*d.refuse), false);
                    co_return;
                }
                if (d.body_limit) limit = std::min(limit, *d.body_limit);
            }
            const auto length = parser.content_length();
            if ((length && *length > limit) || (parser.chunked() && limit == 0)) {
                ++refused_before_body;
                warn(peer.address, "body limit", "refused a body over the limit (" + std::to_string(limit) + " bytes)");
                http::Response refusal = simple_response(413, "request body too large");
                co_await write(stream, low, std::move(refusal), false);
                co_return;
            }
            // Chunked bodies have no announced size: they reserve the whole limit.
            Reservation reserved{*this};
            const std::size_t need = length ? static_cast<std::size_t>(*length) : parser.chunked() ? limit : 0;
            if (need > 0 && !reserved.take(need)) {
                ++refused_budget;
                warn(peer.address, "body budget", "refused a body: the listener's body budget is in use");
                http::Response refusal = busy_response("busy, try again later", options.retry_after);
                co_await write(stream, low, std::move(refusal), false);
                co_return;
            }
            if (!parser.is_done()) {
                // Read the body in chunks of up to kBodyChunk, not the 1 KiB of the wait: fewer reads.
                buffer.reserve(std::min(buffer.max_size(), buffer.size() + std::min(need ? need : limit, kBodyChunk)));
                held.update();
                parser.body_limit(limit);
                low.expires_after(options.read_timeout);
                auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
                (void)bn;
                held.update();
                if (bec == bhttp::error::body_limit) {
                    ++refused_before_body;  // a chunked body that grew past the limit
                    http::Response refusal = simple_response(413, "request body too large");
                    co_await write(stream, low, std::move(refusal), false);
                    co_return;
                }
                if (bec) {
                    if (!quiet_end(bec)) {
                        http::Response refusal = simple_response(400, "malformed HTTP request");
                        co_await write(stream, low, std::move(refusal), false);
                    }
                    co_return;
                }
            }
            http::Response res = co_await handler(from_beast(parser.release()), peer);
            reserved.give_back();  // the request (and its body) is gone with the handler's frame
            if (res.status == 0) co_return;  // the handler wants no answer at all
            if (!co_await write(stream, low, std::move(res), keep) || !keep) co_return;
            // Idle between requests: give the buffer back unless the next request is already in it.
            if (buffer.size() == 0) buffer.shrink_to_fit();
            held.update();
        }
    }

    asio::awaitable<void> serve(tcp::socket socket, PeerInfo peer) {
        auto self = shared_from_this();
        struct Guard {
            State& s;
            const std::string& address;
            ~Guard() { s.release(address); }
        } guard{*this, peer.address};
        boost::system::error_code ec;
        if (ssl_ctx) {
            beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *ssl_ctx);
            auto& low = beast::get_lowest_layer(stream);
            low.expires_after(options.header_timeout);
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
    asio::co_spawn(acc.get_executor(), state_->flush_loop(), asio::detached);
    return core::Ok{};
}

unsigned short HttpServer::port() const {
    boost::system::error_code ec;
    auto ep = state_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void HttpServer::stop() {
    if (!state_ || state_->stopped.exchange(true)) return;
    asio::post(state_->acceptor.get_executor(), [s = state_] {
        boost::system::error_code ec;
        s->acceptor.close(ec);
        s->flush_timer.cancel();
    });
    // Here, not on the event loop (which may stop right after this): the
    // counts of a flood just before a shutdown are not lost.
    core::log::flush_suppressed(true);
}

ServerStats HttpServer::stats() const {
    const State& s = *state_;
    return ServerStats{s.accepted.load(),       s.refused_listener.load(), s.refused_source.load(),
                       s.refused_before_body.load(), s.refused_budget.load(),   s.connections.load(),
                       s.budget_in_use.load(),  s.buffer_bytes.load()};
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
