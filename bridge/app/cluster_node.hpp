#pragma once
// One bridge among several sharing PostgreSQL (state.backend: postgresql;
// docs/operations.md, "Several bridges sharing state in PostgreSQL"): the
// leases, the cluster directory, the fenced store the CPEs write through,
// the lease keeper's thread and the routing of requests that reached this
// node for a gateway it does not run. app::Bridge wires it in; the CPEs
// themselves are Bridge's (KeeperHooks).
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

#include "bridge/app/cluster_keeper.hpp"
#include "bridge/app/cluster_replay.hpp"
#include "bridge/app/cluster_secrets.hpp"
#include "bridge/app/cluster_routes.hpp"
#include "bridge/app/config.hpp"
#include "bridge/http/message.hpp"
#include "bridge/state/fenced_store.hpp"
#include "bridge/state/pg_cluster.hpp"
#include "bridge/state/pg_leases.hpp"
#include "bridge/state/pg_store.hpp"

namespace app {

class ClusterNode {
public:
    static core::Result<std::unique_ptr<ClusterNode>> open(const Config& config, state::PgStore& store);
    ~ClusterNode();

    // What the CPEs write through: fenced by this node's leases.
    state::Store& store() { return *fenced_; }
    // The shared registry of self-registered gateways.
    core::Result<std::unique_ptr<state::Store>> registry_store() const;
    // The CMP replay window in bridge.nonces, on connections of its own.
    core::Result<std::unique_ptr<SharedReplayWindow>> replay_window() const;
    // The per-gateway secrets of bridge.secrets, on a connection of its own.
    core::Result<std::unique_ptr<SharedSecrets>> shared_secrets() const;
    // Written before the ACS can learn the path (blocking).
    core::Status remember_cr_path(const std::string& path, const std::string& gateway);
    core::Status forget_cr_paths(const std::string& gateway);

    // The URLs other nodes reach this one at: state.advertise_host (else
    // the listen address, or the host name when that is a wildcard) with
    // the listeners' bound ports.
    static state::NodeInfo describe_self(const Config& config, unsigned short cmp_port, unsigned short cr_port);
    // Heartbeat, first round (this node's share starts now), then the keeper's thread.
    void start(state::NodeInfo self, KeeperHooks hooks);
    // A graceful stop begins (SIGTERM): the node leaves bridge.nodes and
    // releases each lease once its CPE handed over (handed_over), those of
    // CPEs it does not run at once; within kDrainBound, then the rest expire.
    // Never blocks: the keeper's thread does it.
    void drain(std::set<std::string> handing_over);
    void handed_over(const std::string& gateway) {
        if (keeper_) keeper_->handed_over(gateway);
    }
    // Leases the graceful stop still has to release.
    std::size_t draining() const { return keeper_ ? keeper_->draining() : 0; }
    // The keeper stops; the node leaves bridge.nodes. Leases not released expire.
    void stop();

    // `running`: this node runs the gateway's CPE. `member`: whether the
    // gateway is part of the fleet as of the last round. nullopt: serve the
    // request here.
    boost::asio::awaitable<std::optional<http::Response>> route_cmp(http::Request req, std::string rg_id, bool running,
                                                                    bool member);
    boost::asio::awaitable<std::optional<http::Response>> route_cr(http::Request req, std::string path);

    // The lease of `gateway` now, outside the rounds; done(true) once its CPE runs here.
    void take(std::string gateway, std::function<void(bool)> done) {
        if (!keeper_) return done(false);
        keeper_->take(std::move(gateway), std::move(done));
    }

    std::size_t held() const { return keeper_ ? keeper_->held() : 0; }
    // The nodes and their leases as of the keeper's last round (admin listener); null before it.
    std::shared_ptr<const ClusterView> view() const { return keeper_ ? keeper_->view() : nullptr; }
    const std::string& node() const { return node_; }

private:
    ClusterNode(const Config& config, state::PgStore& store) : config_(config), pg_store_(store) {}
    boost::asio::awaitable<bool> take(std::string gateway);
    boost::asio::awaitable<void> refresh();

    const Config& config_;
    state::PgStore& pg_store_;
    std::string node_;
    std::unique_ptr<state::PgLeases> leases_;
    std::unique_ptr<state::PgCluster> directory_;
    std::unique_ptr<state::FencedStore> fenced_;
    std::unique_ptr<ClusterRoutes> routes_;
    std::unique_ptr<LeaseKeeper> keeper_;
    bool left_ = false;
};

}  // namespace app
