// bench-canned: this machine's HTTP transport limit for the fleet benchmark
// (bench/fleet.sh, docs/performance.md "Fleet benchmark"). A Beast server that
// answers canned bodies (the same server code as bench-load-acs,
// bench/bench_http.hpp) and a Beast client that replays the exchanges of one
// CWMP session with bodies of the same sizes (--sizes "req:resp,..." as
// bench-load-acs reports them) over C concurrent keep-alive connections, until
// the given number of exchanges is done. By default a connection is closed after
// each session and a new one opened, as the load ACS closes after its 204; with
// --keep-connections the connections live for the whole run. Prints exchanges/s.
// --gateway-sizes adds the session's CMP exchanges ("K:req:resp": before the
// K-th ACS exchange, counted from 0), sent to a second canned server over one
// keep-alive connection per client connection, as the bridge keeps one
// connection per gateway: so the baseline has the same exchange count as the
// bridge's session, on both of its sides.
// Each server and the client run one io_context on their own thread.
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/bench_http.hpp"

namespace {

using namespace benchhttp;
using Clock = std::chrono::steady_clock;

struct CannedServer {
    std::mutex mu;
    std::map<std::size_t, std::string> bodies;
    const std::string& body(std::size_t n) {
        std::lock_guard lock(mu);
        auto it = bodies.find(n);
        if (it == bodies.end()) it = bodies.emplace(n, std::string(n, 'x')).first;
        return it->second;
    }
    void handle(Request& req, Response& res) {
        std::size_t n = 0;
        auto v = req["X-Reply-Size"];
        for (char c : v) n = n * 10 + static_cast<std::size_t>(c - '0');
        res.result(bhttp::status::ok);
        res.set(bhttp::field::content_type, "text/xml; charset=\"utf-8\"");
        res.body() = body(n);
    }
};

struct Exchange {
    std::size_t request = 0, response = 0;
};

struct GatewayExchange {
    std::size_t before = 0;  // before this ACS exchange (index)
    Exchange sizes;
    std::string body;
};

// One keep-alive connection to the gateway server, reopened when it fails.
struct KeptConnection {
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bool connected = false;
    explicit KeptConnection(const asio::any_io_executor& ex) : stream(ex) { buffer.reserve(8 * 1024); }
};

struct Client {
    std::vector<Exchange> exchanges;
    std::vector<std::string> bodies;  // canned request bodies
    std::vector<GatewayExchange> gateway;  // sorted by `before`
    tcp::endpoint server, gateway_server;
    bool keep_connections = false;
    std::atomic<long> sessions_left{0};
    std::atomic<std::uint64_t> done{0}, errors{0}, gateway_done{0};

    // One exchange; false (and ec set) when it failed or the answer is not the canned size.
    static asio::awaitable<bool> exchange(beast::tcp_stream& stream, beast::flat_buffer& buffer, const std::string& body,
                                          std::size_t answer, bool keep_alive, beast::error_code& ec) {
        Request req{bhttp::verb::post, "/acs", 11};
        req.set(bhttp::field::host, "127.0.0.1");
        req.set(bhttp::field::content_type, "text/xml; charset=\"utf-8\"");
        req.set("X-Reply-Size", std::to_string(answer));
        req.body() = body;
        req.keep_alive(keep_alive);
        req.prepare_payload();
        stream.expires_after(std::chrono::seconds(30));
        co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return false;
        Response res;
        co_await bhttp::async_read(stream, buffer, res, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && res.body().size() != answer) ec = beast::http::error::bad_value;
        co_return !ec;
    }

    asio::awaitable<bool> gateway_exchange(KeptConnection& c, const GatewayExchange& g) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            beast::error_code ec;
            if (!c.connected) {
                c.stream.expires_after(std::chrono::seconds(30));
                co_await c.stream.async_connect(gateway_server, asio::redirect_error(asio::use_awaitable, ec));
                if (ec) co_return false;
                c.stream.socket().set_option(tcp::no_delay(true), ec);
                c.connected = true;
            }
            if (co_await exchange(c.stream, c.buffer, g.body, g.sizes.response, true, ec)) {
                ++gateway_done;
                co_return true;
            }
            c.stream.close();  // a kept connection the server closed: once more on a new one
            c.buffer.clear();
            c.connected = false;
        }
        co_return false;
    }

    asio::awaitable<void> run_connection() {
        auto ex = co_await asio::this_coro::executor;
        KeptConnection gw(ex);
        beast::tcp_stream stream(ex);
        beast::flat_buffer buffer;
        buffer.reserve(8 * 1024);  // as the bridge's client does
        bool connected = false;
        while (sessions_left.fetch_sub(1) > 0) {
            beast::error_code ec;
            if (!connected) {
                stream.expires_after(std::chrono::seconds(30));
                co_await stream.async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
                if (ec) {
                    ++errors;
                    continue;
                }
                stream.socket().set_option(tcp::no_delay(true), ec);
                connected = true;
            }
            std::size_t next_gw = 0;
            for (std::size_t i = 0; i < exchanges.size() && !ec; ++i) {
                for (; next_gw < gateway.size() && gateway[next_gw].before <= i; ++next_gw)
                    if (!co_await gateway_exchange(gw, gateway[next_gw])) ec = beast::http::error::bad_value;
                if (ec) break;
                const bool last = i + 1 == exchanges.size();
                if (!co_await exchange(stream, buffer, bodies[i], exchanges[i].response, keep_connections || !last, ec))
                    break;
                ++done;
            }
            if (ec) ++errors;
            if (ec || !keep_connections) {
                stream.socket().shutdown(tcp::socket::shutdown_both, ec);
                stream.close();
                buffer.clear();
                connected = false;
            }
        }
    }
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"bench-canned: HTTP exchanges/s with canned bodies (the transport limit of bench/fleet.sh)"};
    std::string sizes = "1500:600,0:1900,2400:900,400:0";
    std::uint64_t exchanges = 20000;
    std::size_t concurrency = 100;
    bool keep = false;
    cli.add_option("--sizes", sizes, "request:response body bytes of each exchange of a session")->capture_default_str();
    cli.add_option("--exchanges", exchanges, "at least this many exchanges in total")->capture_default_str();
    cli.add_option("--concurrency", concurrency, "connections at once")->capture_default_str();
    cli.add_flag("--keep-connections", keep, "one connection per client for the whole run");
    std::string gateway_sizes;
    cli.add_option("--gateway-sizes", gateway_sizes,
                   "the session's CMP exchanges, K:request:response bytes, K = the ACS exchange they precede (from 0)");
    CLI11_PARSE(cli, argc, argv);

    Client client;
    for (std::stringstream ss(sizes); std::getline(ss, sizes, ',');) {
        Exchange e;
        if (std::sscanf(sizes.c_str(), "%zu:%zu", &e.request, &e.response) != 2) {
            std::cerr << "error: bad --sizes entry '" << sizes << "'\n";
            return 2;
        }
        client.exchanges.push_back(e);
        client.bodies.emplace_back(e.request, 'x');
    }
    if (client.exchanges.empty() || concurrency == 0) return 2;
    for (std::stringstream ss(gateway_sizes); std::getline(ss, gateway_sizes, ',');) {
        GatewayExchange g;
        if (std::sscanf(gateway_sizes.c_str(), "%zu:%zu:%zu", &g.before, &g.sizes.request, &g.sizes.response) != 3 ||
            g.before >= client.exchanges.size()) {
            std::cerr << "error: bad --gateway-sizes entry '" << gateway_sizes << "' (K:request:response, K < "
                      << client.exchanges.size() << ")\n";
            return 2;
        }
        g.body.assign(g.sizes.request, 'x');
        client.gateway.push_back(std::move(g));
    }
    std::stable_sort(client.gateway.begin(), client.gateway.end(),
                     [](const GatewayExchange& a, const GatewayExchange& b) { return a.before < b.before; });
    const long sessions = static_cast<long>((exchanges + client.exchanges.size() - 1) / client.exchanges.size());
    client.sessions_left = sessions;
    client.keep_connections = keep;

    asio::io_context server_ioc, gateway_ioc, client_ioc;
    CannedServer server, gateway_server;
    auto acceptor = benchhttp::listen(server_ioc, "127.0.0.1", 0);
    client.server = tcp::endpoint(asio::ip::make_address("127.0.0.1"), acceptor->local_endpoint().port());
    asio::co_spawn(server_ioc, accept_loop(*acceptor, server_ioc, server, std::chrono::seconds(60)), asio::detached);
    auto work = asio::make_work_guard(server_ioc);
    std::thread server_thread([&] { server_ioc.run(); });
    auto gateway_acceptor = benchhttp::listen(gateway_ioc, "127.0.0.1", 0);
    client.gateway_server = tcp::endpoint(asio::ip::make_address("127.0.0.1"), gateway_acceptor->local_endpoint().port());
    asio::co_spawn(gateway_ioc, accept_loop(*gateway_acceptor, gateway_ioc, gateway_server, std::chrono::seconds(60)),
                   asio::detached);
    auto gateway_work = asio::make_work_guard(gateway_ioc);
    std::thread gateway_thread;
    if (!client.gateway.empty()) gateway_thread = std::thread([&] { gateway_ioc.run(); });

    const auto start = Clock::now();
    for (std::size_t i = 0; i < concurrency; ++i)
        asio::co_spawn(asio::make_strand(client_ioc), client.run_connection(), asio::detached);
    client_ioc.run();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    asio::post(server_ioc, [&] { acceptor->close(); });
    work.reset();
    server_ioc.stop();
    server_thread.join();
    asio::post(gateway_ioc, [&] { gateway_acceptor->close(); });
    gateway_work.reset();
    gateway_ioc.stop();
    if (gateway_thread.joinable()) gateway_thread.join();

    // Sessions: ACS exchanges done / ACS exchanges per session (each session's
    // gateway exchanges come before its last ACS exchange).
    const double rate = s > 0 ? static_cast<double>(client.done) / s : 0;
    const double gateway_rate = s > 0 ? static_cast<double>(client.gateway_done) / s : 0;
    std::printf("exchanges: %llu\ngateway_exchanges: %llu\nerrors: %llu\nconcurrency: %zu\nexchanges_per_session: %zu\n"
                "gateway_exchanges_per_session: %zu\nelapsed_s: %.3f\nexchanges_per_s: %.0f\nsessions_per_s: %.0f\n",
                static_cast<unsigned long long>(client.done.load()),
                static_cast<unsigned long long>(client.gateway_done.load()),
                static_cast<unsigned long long>(client.errors.load()), concurrency, client.exchanges.size(),
                client.gateway.size(), s, rate + gateway_rate, rate / static_cast<double>(client.exchanges.size()));
    return client.errors == 0 ? 0 : 1;
}
