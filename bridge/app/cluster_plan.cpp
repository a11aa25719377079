#include "bridge/app/cluster_plan.hpp"

#include <algorithm>

namespace app {

RoundPlan plan_round(const RoundView& v, const ClusterPolicy& policy) {
    RoundPlan p;
    const std::size_t nodes = std::max<std::size_t>(1, v.live_nodes);
    p.share = (v.fleet.size() + nodes - 1) / nodes;
    if (!v.renewed) {
        // The database did not answer: the leases may still be ours until
        // they expire. Past that, the others may have taken them.
        if (v.since_renewed >= v.ttl) p.stop.assign(v.running.begin(), v.running.end());
        return p;
    }
    for (const auto& id : v.running)
        if (!v.held.count(id)) p.stop.push_back(id);
    // A lease held for a gateway no longer in the fleet (dropped, removed by
    // a reload) is let go; its CPE, if any, is stopped by whoever removed it.
    std::vector<std::string> kept;
    for (const auto& id : v.held) {
        if (v.releasing.count(id)) continue;
        if (!v.fleet.count(id)) {
            p.release.push_back(id);
            continue;
        }
        kept.push_back(id);
        if (!v.running.count(id)) p.start.push_back(id);
    }
    const std::size_t max_acquire = policy.max_acquire ? policy.max_acquire : std::max<std::size_t>(16, p.share / 3);
    const std::size_t max_release = policy.max_release ? policy.max_release : std::max<std::size_t>(16, p.share / 3);
    const std::size_t slack = policy.slack ? policy.slack : std::max<std::size_t>(1, p.share / 20);
    const std::size_t holding = kept.size() + v.releasing.size();
    if (holding < p.share) {
        p.acquire = std::min(p.share - holding, max_acquire);
        for (const auto& id : v.fleet)
            if (!v.held.count(id)) p.candidates.push_back(id);
        if (p.candidates.empty()) p.acquire = 0;
    } else if (kept.size() > p.share + slack) {
        // The last ones in order: every node agrees on nothing here, and needs not.
        const std::size_t n = std::min(kept.size() - p.share, max_release);
        p.release.insert(p.release.end(), kept.end() - static_cast<std::ptrdiff_t>(n), kept.end());
        // Not started just to be handed over.
        std::erase_if(p.start, [&](const std::string& id) {
            return std::find(p.release.begin(), p.release.end(), id) != p.release.end();
        });
    }
    return p;
}

}  // namespace app
