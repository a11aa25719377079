#include "bridge/net/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/ssl.hpp>

#include "bridge/http/request_writer.hpp"
#include "bridge/net/beast_convert.hpp"

#include <boost/asio/post.hpp>

#include <list>
#include <mutex>
#include <vector>

namespace net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// Errors of an exchange on an open connection: the peer is there but slow
// (net.timeout) or went away mid-exchange (net.io).
core::Error net_error(std::string_view what, const boost::system::error_code& ec) {
    std::string code = ec == beast::error::timeout ? "net.timeout" : "net.io";
    return core::make_error(code, std::string(what) + ": " + ec.message());
}

// Errors before any byte was exchanged (resolve, connect, TLS handshake):
// the peer cannot be reached at all. Callers treat only these as "offline".
constexpr std::size_t kReadReserve = 8 * 1024;

core::Error connect_error(std::string_view what, const boost::system::error_code& ec) {
    return core::make_error("net.connect", std::string(what) + ": " + ec.message());
}
}  // namespace

struct HttpClient::Connection {
    std::string origin;  // scheme://host:port
    // Bumped by the owner (on its executor) whenever the connection stops
    // being idle: an eviction of an older idle period does not close it.
    std::uint64_t generation = 0;
    // Guarded by the idle list's mutex.
    bool parked = false;
    std::list<struct IdleEntry>::iterator parked_at;
    std::shared_ptr<asio::ssl::context> ssl_ctx;
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
    bool alive = false;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

// One idle connection in the process-wide list, oldest first.
struct IdleEntry {
    HttpClient::Connection* conn;  // valid while listed: close() unlists before the Connection goes
    std::weak_ptr<HttpClient::Connection> weak;
    asio::any_io_executor ex;
    std::uint64_t generation;
};

namespace {
struct IdleList {
    std::mutex mutex;
    std::list<IdleEntry> entries;
    std::size_t limit = 1024;
};
IdleList& idle_list() {
    static IdleList list;
    return list;
}
}  // namespace

void set_idle_connection_limit(std::size_t limit) {
    std::lock_guard lock(idle_list().mutex);
    idle_list().limit = limit;
}

std::size_t idle_connections() {
    std::lock_guard lock(idle_list().mutex);
    return idle_list().entries.size();
}

void HttpClient::park() {
    if (!options_.bounded_idle || !conn_ || !conn_->alive) return;
    std::vector<IdleEntry> evicted;
    {
        IdleList& l = idle_list();
        std::lock_guard lock(l.mutex);
        if (l.limit == 0 || conn_->parked) return;
        l.entries.push_back({conn_.get(), conn_, ex_, conn_->generation});
        conn_->parked = true;
        conn_->parked_at = std::prev(l.entries.end());
        while (l.entries.size() > l.limit) {
            IdleEntry& oldest = l.entries.front();
            oldest.conn->parked = false;
            evicted.push_back(std::move(oldest));
            l.entries.pop_front();
        }
    }
    for (auto& e : evicted) {
        // Closed on its owner's executor, and only if it is still idle since then.
        asio::post(e.ex, [weak = std::move(e.weak), generation = e.generation] {
            auto c = weak.lock();
            if (!c || c->generation != generation || !c->alive) return;
            c->alive = false;
            boost::system::error_code ec;
            c->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
            c->lowest().close();
        });
    }
}

void HttpClient::unpark() {
    if (!conn_) return;
    ++conn_->generation;
    IdleList& l = idle_list();
    std::lock_guard lock(l.mutex);
    if (!conn_->parked) return;
    l.entries.erase(conn_->parked_at);
    conn_->parked = false;
}

HttpClient::HttpClient(asio::any_io_executor ex, ClientOptions options)
    : ex_(std::move(ex)), options_(std::move(options)) {}

HttpClient::~HttpClient() { close(); }

bool HttpClient::connected() const { return conn_ && conn_->alive; }

void HttpClient::close() {
    if (!conn_) return;
    unpark();
    boost::system::error_code ec;
    conn_->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    conn_->lowest().close();
    conn_.reset();
}

asio::awaitable<core::Status> HttpClient::connect(const http::Url& url) {
    close();
    auto conn = std::make_shared<Connection>();
    conn->origin = url.scheme + "://" + url.host + ":" + url.port;
    // Beast reads at most max(512, free capacity) per recv: an empty buffer
    // took a 4 KB answer in 512-byte reads, 14 of a bootstrap session's 36
    // recvmsg calls. One reservation covers most CWMP and CMP messages.
    conn->buffer.reserve(kReadReserve);

    tcp::resolver resolver(ex_);
    auto [rec, results] = co_await resolver.async_resolve(url.host, url.port, use_nothrow);
    if (rec) co_return connect_error("resolve " + url.host, rec);

    if (url.scheme == "https") {
        // Shared, rebuilt when a certificate file changed on disk (tls.hpp).
        auto ctx = client_context(options_.tls);
        if (!ctx) co_return ctx.error();
        conn->ssl_ctx = *ctx;
        conn->tls.emplace(ex_, *conn->ssl_ctx);
        if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), url.host.c_str()))
            co_return core::make_error("tls.sni", "cannot set TLS SNI host name");
        if (options_.tls.verify)
            conn->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    } else {
        conn->plain.emplace(ex_);
    }
    auto& low = conn->lowest();
    low.expires_after(options_.connect_timeout);
    auto [cec, ep] = co_await low.async_connect(results, use_nothrow);
    if (cec) co_return connect_error("connect " + url.host + ":" + url.port, cec);
    if (conn->tls) {
        low.expires_after(options_.connect_timeout);
        auto [hec] = co_await conn->tls->async_handshake(asio::ssl::stream_base::client, use_nothrow);
        if (hec) co_return connect_error("TLS handshake with " + url.host, hec);
    }
    conn->alive = true;
    conn_ = std::move(conn);
    co_return core::Ok{};
}

asio::awaitable<core::Result<http::Response>> HttpClient::send(const http::Url& url, http::Request req,
                                                                bool resend_on_stale) {
    const std::string origin = url.scheme + "://" + url.host + ":" + url.port;
    // Written once into one buffer, so a resend on a fresh connection sends
    // exactly the same bytes (body and signature included).
    std::string wire;
    if (auto st = http::write_request(req, url, options_.user_agent, wire); !st) co_return st.error();
    // A reused keep-alive connection may have been closed by the peer while
    // idle; that shows up as an error on the first write/read, and the
    // request is then retried once on a fresh connection.
    unpark();  // busy from here: not the idle bound's to close
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool reused = conn_ && conn_->alive && conn_->origin == origin;
        if (!reused) {
            auto st = co_await connect(url);
            if (!st) co_return st.error();
        }
        auto& conn = *conn_;
        conn.lowest().expires_after(options_.io_timeout);
        boost::system::error_code wec;
        if (conn.tls) std::tie(wec, std::ignore) = co_await asio::async_write(*conn.tls, asio::buffer(wire), use_nothrow);
        else std::tie(wec, std::ignore) = co_await asio::async_write(*conn.plain, asio::buffer(wire), use_nothrow);
        if (wec) {
            close();
            if (reused) continue;
            co_return net_error("write to " + origin, wec);
        }
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(options_.body_limit);
        parser.header_limit(16 * 1024);
        conn.lowest().expires_after(options_.io_timeout);
        boost::system::error_code rec;
        if (conn.tls) std::tie(rec, std::ignore) = co_await bhttp::async_read(*conn.tls, conn.buffer, parser, use_nothrow);
        else std::tie(rec, std::ignore) = co_await bhttp::async_read(*conn.plain, conn.buffer, parser, use_nothrow);
        if (rec) {
            close();
            if (reused && resend_on_stale &&
                (rec == bhttp::error::end_of_stream || rec == asio::error::eof ||
                 rec == asio::error::connection_reset))
                continue;
            co_return net_error("read from " + origin, rec);
        }
        auto bres = parser.release();
        bool keep = bres.keep_alive();
        http::Response res = from_beast(std::move(bres));
        if (!keep) close();
        else park();
        co_return res;
    }
    co_return core::make_error("net.io", "connection to " + origin + " closed repeatedly");
}

}  // namespace net
