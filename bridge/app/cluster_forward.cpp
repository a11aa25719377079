#include "bridge/app/cluster_forward.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <array>
#include <cctype>

#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/http_client.hpp"

namespace app {
namespace asio = boost::asio;

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Hop-by-hop and framing headers: each connection has its own (the client and the server set them).
constexpr std::array<std::string_view, 9> kHopHeaders{"Host",    "Content-Length", "Transfer-Encoding",
                                                      "Connection", "Keep-Alive", "TE",
                                                      "Upgrade", "User-Agent", "Proxy-Connection"};

void drop_hop_headers(http::Headers& headers) {
    std::erase_if(headers, [](const http::Header& h) {
        return std::any_of(kHopHeaders.begin(), kHopHeaders.end(), [&](std::string_view n) { return iequals(h.name, n); });
    });
}

}  // namespace

http::Response cluster_unavailable(std::string why) {
    http::Response r;
    r.status = 503;
    r.headers.push_back({"Retry-After", "5"});
    r.headers.push_back({"Content-Type", "text/plain"});
    r.body = std::move(why) + "\n";
    return r;
}

asio::awaitable<http::Response> forward_request(std::string base_url, http::Request req, std::string self_node,
                                                ForwardOptions options) {
    while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
    auto url = http::Url::parse(base_url + (req.target.empty() ? "/" : req.target));
    if (!url) co_return cluster_unavailable("the owner's address is unusable");
    drop_hop_headers(req.headers);
    req.set(kForwardedHeader, self_node);
    net::ClientOptions co;
    co.connect_timeout = options.connect_timeout;
    co.io_timeout = options.io_timeout;
    co.body_limit = options.body_limit;
    co.user_agent = "cmp-cwmp-bridge/" + self_node;
    net::HttpClient client(co_await asio::this_coro::executor, co);
    // Not resent on a stale connection: the owner may have acted on the first copy (a fresh client has none anyway).
    auto res = co_await client.send(*url, std::move(req), false);
    client.close();
    if (!res) {
        core::log::warn_from("cluster", url->authority(), "forward",
                             "cannot forward to " + url->authority() + ": " + res.error().message);
        co_return cluster_unavailable("the gateway's node cannot be reached");
    }
    drop_hop_headers(res->headers);
    co_return std::move(*res);
}

}  // namespace app
