#pragma once
// The decisions of one lease-keeper round (app::LeaseKeeper), sans I/O:
// given what the database said this round — the leases this node still
// holds, how many nodes are alive, the fleet — which CPEs must stop at once
// (their lease is gone), which held leases must be started, how many more
// leases to ask for, and which to hand over to the others.
//
//   share    = ceil(gateways / live nodes): what a fair node holds
//   acquire  up to share, at most max_acquire per round (a node joining or
//            picking up a dead node's gateways does it over a few rounds,
//            not in one storm of Informs)
//   release  only above share + slack (no flapping over a rounding
//            difference), down to share, at most max_release per round
//   lost     a running CPE whose lease was not renewed; all of them when
//            renewals have failed for a whole TTL (the others may hold
//            them by now)
#include <chrono>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

namespace app {

struct ClusterPolicy {
    // 0: derived from the share (a third of it, at least 16): three rounds to a full share.
    std::size_t max_acquire = 0;
    std::size_t max_release = 0;
    // 0: a twentieth of the share, at least 1.
    std::size_t slack = 0;
};

struct RoundView {
    std::set<std::string> fleet;      // every gateway the cluster serves
    bool renewed = true;              // renew_all answered this round
    std::set<std::string> held;       // the leases it returned (meaningless unless renewed)
    std::set<std::string> running;    // CPEs this node runs
    std::set<std::string> releasing;  // handed over, their lease released once the CPE is done
    std::size_t live_nodes = 1;       // alive by their heartbeat, this one included
    std::chrono::milliseconds since_renewed{0};  // since the last renewal that succeeded
    std::chrono::milliseconds ttl{30'000};
};

struct RoundPlan {
    std::size_t share = 0;
    std::vector<std::string> stop;        // lost: stop at once, write nothing more
    std::vector<std::string> start;       // held but not running (a restarted node's own leases)
    std::size_t acquire = 0;              // ask for this many of `candidates`
    std::vector<std::string> candidates;  // fleet members this node does not hold
    std::vector<std::string> release;     // hand over, then release
};

RoundPlan plan_round(const RoundView& view, const ClusterPolicy& policy = {});

}  // namespace app
