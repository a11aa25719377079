#include "bridge/app/cluster_node.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <unistd.h>

#include "bridge/app/async_callback.hpp"
#include "bridge/app/cluster_forward.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/core/log.hpp"
#include "bridge/net/http_server.hpp"
#include "bridge/state/pg_secrets.hpp"

namespace app {
namespace asio = boost::asio;

namespace {

bool wildcard(std::string_view host) { return host.empty() || host == "0.0.0.0" || host == "::" || host == "*"; }

}  // namespace

core::Result<std::unique_ptr<ClusterNode>> ClusterNode::open(const Config& config, state::PgStore& store) {
    std::unique_ptr<ClusterNode> n(new ClusterNode(config, store));
    n->node_ = config.state_postgres.node_id;
    auto leases = state::PgLeases::open(config.state_postgres.dsn);
    if (!leases) return leases.error();
    n->leases_ = std::move(*leases);
    auto dir = state::PgCluster::open(config.state_postgres.dsn);
    if (!dir) return dir.error();
    n->directory_ = std::move(*dir);
    n->fenced_ = std::make_unique<state::FencedStore>(store, store);
    n->routes_ = std::make_unique<ClusterRoutes>(n->node_);
    return n;
}

ClusterNode::~ClusterNode() { stop(); }

core::Result<std::unique_ptr<state::Store>> ClusterNode::registry_store() const {
    auto s = state::PgRegistryStore::open(config_.state_postgres.dsn);
    if (!s) return s.error();
    return std::unique_ptr<state::Store>(std::move(*s));
}

core::Result<std::unique_ptr<SharedReplayWindow>> ClusterNode::replay_window() const {
    auto nonces = state::PgNonces::open({config_.state_postgres.dsn, [] { return cmp::unix_now(); }});
    if (!nonces) return nonces.error();
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(cmp::ListenerOptions{}.auth_window).count();
    return std::make_unique<SharedReplayWindow>(std::move(*nonces), window);
}

core::Result<std::unique_ptr<SharedSecrets>> ClusterNode::shared_secrets() const {
    auto dir = state::PgSecrets::open(config_.state_postgres.dsn);
    if (!dir) return dir.error();
    return std::make_unique<SharedSecrets>(std::move(*dir));
}

core::Status ClusterNode::remember_cr_path(const std::string& path, const std::string& gateway) {
    return directory_->put_cr_path(path, gateway);
}

core::Status ClusterNode::forget_cr_paths(const std::string& gateway) { return directory_->remove_cr_paths(gateway); }

state::NodeInfo ClusterNode::describe_self(const Config& config, unsigned short cmp_port, unsigned short cr_port) {
    auto host_of = [&](const std::string& listen) {
        if (!config.state_postgres.advertise_host.empty()) return config.state_postgres.advertise_host;
        auto addr = net::split_host_port(listen);
        std::string h = addr ? addr->first : std::string();
        if (wildcard(h)) {
            char name[256] = {};
            ::gethostname(name, sizeof name - 1);
            h = name;
        }
        return h;
    };
    auto url = [](const std::string& scheme, std::string host, unsigned short port) {
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        return scheme + "://" + host + ":" + std::to_string(port);
    };
    state::NodeInfo self;
    self.node = config.state_postgres.node_id;
    self.cmp_url = url(config.cmp.listen_tls ? "https" : "http", host_of(config.cmp.listen), cmp_port);
    self.cr_url = url("http", host_of(config.connection_request.listen), cr_port);
    return self;
}

void ClusterNode::start(state::NodeInfo self, KeeperHooks hooks) {
    core::log::info("cluster", "node " + self.node + ": CMP " + self.cmp_url + ", connection requests " + self.cr_url +
                                   ", lease TTL " + std::to_string(config_.state_postgres.lease_ttl.count()) + " s");
    keeper_ = std::make_unique<LeaseKeeper>(*leases_, *directory_, *fenced_, *routes_, std::move(self),
                                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                                config_.state_postgres.lease_ttl),
                                            std::move(hooks));
    keeper_->start();
}

void ClusterNode::drain(std::set<std::string> handing_over) {
    // As long as the daemon's graceful stop waits for sessions (main.cpp): then it stops regardless.
    constexpr auto kDrainBound = std::chrono::seconds(10);
    if (keeper_) keeper_->drain(std::move(handing_over), kDrainBound);
}

void ClusterNode::stop() {
    if (keeper_) keeper_->stop();
    if (keeper_ && !left_) {
        left_ = true;
        if (auto st = directory_->leave(node_); !st)
            core::log::warn("cluster", "could not leave bridge.nodes (the others wait for the heartbeat to age): " +
                                           st.error().message);
    }
}

asio::awaitable<bool> ClusterNode::take(std::string gateway) {
    auto ask = [keeper = keeper_.get(), gateway](auto done) {
        keeper->take(gateway, [done = std::move(done)](bool ok) mutable { done(ok); });
    };
    bool ok = co_await async_from_callback<bool>(std::move(ask), asio::use_awaitable);
    co_return ok;
}

asio::awaitable<void> ClusterNode::refresh() {
    auto ask = [keeper = keeper_.get()](auto done) {
        keeper->refresh([done = std::move(done)]() mutable { done(true); });
    };
    co_await async_from_callback<bool>(std::move(ask), asio::use_awaitable);
}

asio::awaitable<std::optional<http::Response>> ClusterNode::route_cmp(http::Request req, std::string rg_id, bool running,
                                                                      bool member) {
    // Ours, or a gateway this node does not know as of its last round (a
    // new self-registration, or one to refuse): here. Not refreshed per
    // request: with accept_registrations any well-formed id passes the
    // pre-body check, and a database read per such message is what a flood
    // would then cost.
    if (running || !keeper_ || !member) co_return std::nullopt;
    const bool relayed = req.find(kForwardedHeader) != nullptr;
    ClusterRoute route = routes_->for_gateway(rg_id, false);
    if (route.kind == ClusterRoute::Kind::forward && !relayed) {
        http::Response answer = co_await forward_request(route.url, std::move(req), node_);
        co_return answer;
    }
    if (route.kind == ClusterRoute::Kind::take || (route.kind == ClusterRoute::Kind::forward && relayed)) {
        if (co_await take(rg_id)) co_return std::nullopt;
        co_return cluster_unavailable("the gateway is served by another node; try again");
    }
    // This node holds the lease and its CPE is starting or handing over.
    co_return cluster_unavailable("the gateway's CPE is starting or moving; try again");
}

asio::awaitable<std::optional<http::Response>> ClusterNode::route_cr(http::Request req, std::string path) {
    if (!keeper_) co_return std::nullopt;
    ClusterRoute route = routes_->for_cr_path(path);
    if (route.kind == ClusterRoute::Kind::unknown) {
        // Perhaps a CPE created at another node since the last round.
        co_await refresh();
        route = routes_->for_cr_path(path);
    }
    const bool relayed = req.find(kForwardedHeader) != nullptr;
    switch (route.kind) {
        case ClusterRoute::Kind::unknown:
            co_return std::nullopt;  // 404 here, as for any unknown path
        case ClusterRoute::Kind::forward:
            if (!relayed) {
                http::Response answer = co_await forward_request(route.url, std::move(req), node_);
                co_return answer;
            }
            [[fallthrough]];
        case ClusterRoute::Kind::take:
            if (co_await take(route.gateway)) co_return std::nullopt;
            co_return cluster_unavailable("the CPE is served by another node; try again");
        case ClusterRoute::Kind::here:
            break;
    }
    co_return cluster_unavailable("the CPE is starting or moving; try again");
}

}  // namespace app
