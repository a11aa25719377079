#pragma once
// What several bridges sharing one PostgreSQL need to know about each other
// besides the leases (pg_leases.hpp): which nodes are alive and where their
// listeners are (bridge.nodes, a heartbeat judged by the database's clock),
// which gateway a Connection Request path belongs to (bridge.cr_paths), who
// holds which lease right now (a snapshot for request routing), and the
// self-registered gateways (bridge.registry, through PgRegistryStore).
//
// Blocking calls on one connection of its own: call them off the event loop
// (app::LeaseKeeper's thread, the CMP listener's blocking thread). A
// connection lost since the last call is replaced once, transparently.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/state/pg_conn.hpp"
#include "bridge/state/store.hpp"

namespace state {

struct NodeInfo {
    std::string node;
    std::string cmp_url;  // "http://10.0.0.5:7547": where other nodes forward gateway messages
    std::string cr_url;   // the same for Connection Requests
};

// A node as bridge.nodes has it, with the age of its last heartbeat by the database's clock.
struct NodeStatus {
    NodeInfo info;
    std::int64_t heartbeat_age_ms = 0;
};

// The keeper's view of the cluster (PgCluster; a fake in unit tests).
class ClusterDirectory {
public:
    virtual ~ClusterDirectory() = default;
    virtual core::Status heartbeat(const NodeInfo& self) = 0;
    virtual core::Result<std::vector<NodeInfo>> live_nodes(std::chrono::milliseconds within) = 0;
    virtual core::Result<std::vector<std::string>> unowned(const std::vector<std::string>& keys, std::size_t limit) = 0;
    virtual core::Result<std::map<std::string, std::string>> owners() = 0;
    virtual core::Result<std::map<std::string, std::string>> cr_paths() = 0;
    // A node stopping gracefully says so: the others need not wait for its heartbeat to age.
    virtual core::Status leave(std::string_view node) = 0;
    // Every node of bridge.nodes, alive or not (the admin listener's view).
    virtual core::Result<std::vector<NodeStatus>> all_nodes() = 0;
};

class PgCluster : public ClusterDirectory {
public:
    // Connects and creates or migrates the schema (as PgStore::open).
    static core::Result<std::unique_ptr<PgCluster>> open(const std::string& dsn);

    // This node is alive (now(), the database's clock) at these URLs.
    core::Status heartbeat(const NodeInfo& self) override;
    core::Status leave(std::string_view node) override;
    core::Result<std::vector<NodeStatus>> all_nodes() override;
    // Nodes whose last heartbeat is younger than `within`, by node id.
    core::Result<std::vector<NodeInfo>> live_nodes(std::chrono::milliseconds within) override;
    // Among `keys`, at most `limit` whose lease is free, released or
    // expired (or was never taken), sorted.
    core::Result<std::vector<std::string>> unowned(const std::vector<std::string>& keys, std::size_t limit) override;
    // Every unexpired lease: gateway -> holder.
    core::Result<std::map<std::string, std::string>> owners() override;
    // A CPE's Connection Request path ("/<token>") names its gateway; written
    // when the CPE's state is created, kept as long as the gateway exists.
    core::Status put_cr_path(std::string_view path, std::string_view gateway);
    core::Status remove_cr_paths(std::string_view gateway);
    core::Result<std::map<std::string, std::string>> cr_paths() override;

    core::Result<pg::Rows> query(const std::string& sql, const std::vector<pg::Param>& params = {},
                                 bool binary_result = false);

private:
    explicit PgCluster(std::string dsn) : dsn_(std::move(dsn)) {}

    std::string dsn_;
    std::mutex mutex_;  // guards conn_
    std::unique_ptr<pg::Connection> conn_;
};

// The registry of self-registered gateways (app::GatewayRegistry) in
// bridge.registry, so that a gateway that registered at one node is known
// at every node. Blocking, synchronous writes (one statement each).
class PgRegistryStore : public Store {
public:
    static core::Result<std::unique_ptr<PgRegistryStore>> open(const std::string& dsn);

    core::Result<std::optional<std::string>> load(std::string_view key) override;
    core::Status save(std::string_view key, std::string_view blob) override;
    core::Status remove(std::string_view key) override;
    core::Result<std::vector<std::string>> keys() override;

private:
    explicit PgRegistryStore(std::unique_ptr<PgCluster> db) : db_(std::move(db)) {}
    std::unique_ptr<PgCluster> db_;
};

}  // namespace state
