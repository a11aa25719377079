#pragma once
// Where a request for a gateway this node does not run should go, decided
// without blocking from a snapshot the lease keeper refreshes every round
// (owners of unexpired leases, live nodes and their URLs, Connection
// Request paths): to the owner's listener, or nowhere alive (take the lease
// over and serve it here). Thread-safe.
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/state/pg_cluster.hpp"

namespace app {

struct ClusterRoute {
    enum class Kind {
        here,     // this node holds the lease (its CPE may be starting or handing over)
        forward,  // to `url`, the owner's listener
        take,     // no live owner: take the lease and serve it here
        unknown,  // not a gateway (or path) of the fleet
    };
    Kind kind = Kind::unknown;
    std::string url;
    std::string gateway;
    std::string owner;
};

class ClusterRoutes {
public:
    explicit ClusterRoutes(std::string self) : self_(std::move(self)) {}

    void publish(std::map<std::string, std::string> owners, const std::vector<state::NodeInfo>& live,
                 std::map<std::string, std::string> cr_paths);
    // A gateway's owner as of now: this node took or lost it between rounds.
    void set_owner(const std::string& gateway, const std::string& node);

    // For the CMP listener (cmp_url) or the Connection Request listener (cr_url).
    ClusterRoute for_gateway(std::string_view gateway, bool connection_request) const;
    ClusterRoute for_cr_path(std::string_view path) const;

    const std::string& self() const { return self_; }

private:
    ClusterRoute route_locked(std::string_view gateway, bool connection_request) const;

    const std::string self_;
    mutable std::mutex mutex_;
    std::map<std::string, std::string, std::less<>> owners_;
    std::map<std::string, state::NodeInfo, std::less<>> live_;
    std::map<std::string, std::string, std::less<>> cr_paths_;
};

}  // namespace app
