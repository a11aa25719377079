#include "bridge/app/connection_request_server.hpp"

#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"
#include "bridge/http/encoding.hpp"

namespace app {
namespace asio = boost::asio;

namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A Connection Request is a bodiless GET (TR-069 3.2.2) decided on its
// headers alone (Digest): the listener buffers nothing beyond a header, and
// a request announcing a body is refused before any of it is read.
net::ServerOptions cr_server_options(const ConnectionRequestConfig& config) {
    net::ServerOptions so;
    so.max_connections = config.limits.max_connections;
    so.body_limit = 0;
    so.log_name = "cr";
    // One ACS sends the Connection Requests of all its CPEs from one address,
    // possibly many at once; each costs at most a header, so it may hold a
    // quarter of the listener (an attacker needs several addresses to fill it).
    so.max_connections_per_source = config.limits.max_connections_per_source;
    so.pre_body = [](const http::Request& head, const net::PeerInfo& peer) {
        net::PreBodyDecision d;
        const std::string* length = head.find("Content-Length");
        const bool body = head.find("Transfer-Encoding") || (length && length->find_first_not_of("0 \t") != std::string::npos);
        if (body) {
            core::log::warn_from("cr", peer.address, "body",
                                 "connection request from " + peer.address + " refused: it has a body");
            http::Response r;
            r.status = 413;
            r.headers.push_back({"Content-Type", "text/plain"});
            r.body = "a Connection Request has no body\n";
            d.refuse = std::move(r);
        }
        return d;
    };
    return so;
}

}  // namespace

ConnectionRequestServer::ConnectionRequestServer(asio::io_context& ioc, const ConnectionRequestConfig& config,
                                                 Lookup lookup, Forward forward)
    : ioc_(ioc),
      config_(config),
      lookup_(std::move(lookup)),
      forward_(std::move(forward)),
      // Nonces are bound to this process (random secret): a restart invalidates them, which costs an ACS one 401.
      gate_(http::DigestVerifierOptions{"cmp-cwmp-bridge", http::random_token(32), 300, 4096}, config.max_per_minute) {}

ConnectionRequestServer::~ConnectionRequestServer() { stop(); }

core::Status ConnectionRequestServer::start() {
    auto addr = net::split_host_port(config_.listen);
    if (!addr) return core::make_error("config.invalid", "connection_request.listen: " + addr.error().message);
    server_ = std::make_unique<net::HttpServer>(
        ioc_, cr_server_options(config_), [this](http::Request r, net::PeerInfo p) { return handle(std::move(r), std::move(p)); });
    if (auto st = server_->listen(addr->first, addr->second); !st) return st;
    url_base_ = config_.url_base;
    if (url_base_.empty()) {
        bool v6 = addr->first.find(':') != std::string::npos;
        url_base_ = "http://" + (v6 ? "[" + addr->first + "]" : addr->first) + ":" + std::to_string(server_->port());
    }
    while (!url_base_.empty() && url_base_.back() == '/') url_base_.pop_back();
    return core::Ok{};
}

void ConnectionRequestServer::stop() {
    if (server_) server_->stop();
}

unsigned short ConnectionRequestServer::port() const { return server_ ? server_->port() : 0; }

net::ServerStats ConnectionRequestServer::stats() const { return server_ ? server_->stats() : net::ServerStats{}; }

asio::awaitable<http::Response> ConnectionRequestServer::handle(http::Request req, net::PeerInfo peer) {
    auto cpe = lookup_(cpe::target_path(req.target));
    if (!cpe && forward_) {
        // Digest stays end to end: the owner's gate challenges and verifies.
        const std::string path(cpe::target_path(req.target));
        std::optional<http::Response> relayed = co_await forward_(req, path);
        if (relayed) co_return std::move(*relayed);
        cpe = lookup_(path);
    }
    std::optional<cpe::CrTarget> target;
    if (cpe) target = cpe->cr_target();
    auto d = gate_.decide(req, target, unix_now());
    const std::string who = cpe ? cpe->id() : std::string("cr");
    if (d.start_session) {
        core::log::info(who, "connection request from " + peer.address);
        // Answer first (the ACS waits only briefly); the session follows on the CPE's strand.
        cpe->request_session("6 CONNECTION REQUEST");
    } else if (d.response.status != 401 || req.find("Authorization")) {
        // Rate-limited per source and answer: wrong digests cost an attacker nothing, they must not cost the log.
        core::log::warn_from(who, peer.address, std::to_string(d.response.status),
                             "connection request from " + peer.address + " refused: " + d.log);
    }
    co_return d.response;
}

}  // namespace app
