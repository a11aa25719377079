#pragma once
// What the admin listener shows of a cluster (state.backend: postgresql):
// the nodes of bridge.nodes and the leases each holds, as the lease keeper
// read them in its last round. A snapshot: an HTTP request never costs a
// database call on the event loop.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace app {

struct ClusterNodeView {
    std::string node;
    std::string cmp_url, cr_url;     // empty: not in bridge.nodes any more (left or gone), leases not expired yet
    std::int64_t heartbeat_age_ms = -1;  // -1: no heartbeat row
    bool alive = false;              // heartbeat younger than the lease TTL
    std::size_t leases = 0;          // unexpired leases it holds
};

struct ClusterView {
    std::string self;  // this node's id
    std::chrono::system_clock::time_point as_of{};
    std::chrono::milliseconds lease_ttl{0};
    std::size_t gateways = 0;  // the fleet, as of the round
    std::size_t owned = 0;     // gateways with an unexpired lease
    std::vector<ClusterNodeView> nodes;  // by node id
};

}  // namespace app
