#include "bridge/app/cluster_routes.hpp"

namespace app {

void ClusterRoutes::publish(std::map<std::string, std::string> owners, const std::vector<state::NodeInfo>& live,
                            std::map<std::string, std::string> cr_paths) {
    std::map<std::string, state::NodeInfo, std::less<>> by_node;
    for (const auto& n : live) by_node[n.node] = n;
    std::lock_guard lock(mutex_);
    owners_ = {owners.begin(), owners.end()};
    live_ = std::move(by_node);
    cr_paths_ = {cr_paths.begin(), cr_paths.end()};
}

void ClusterRoutes::set_owner(const std::string& gateway, const std::string& node) {
    std::lock_guard lock(mutex_);
    owners_[gateway] = node;
}

ClusterRoute ClusterRoutes::route_locked(std::string_view gateway, bool connection_request) const {
    ClusterRoute r;
    r.gateway = std::string(gateway);
    auto it = owners_.find(gateway);
    if (it == owners_.end()) {
        r.kind = ClusterRoute::Kind::take;
        return r;
    }
    r.owner = it->second;
    if (it->second == self_) {
        r.kind = ClusterRoute::Kind::here;
        return r;
    }
    auto node = live_.find(it->second);
    if (node == live_.end()) {
        // Its heartbeat stopped: the lease expires soon, if it has not already.
        r.kind = ClusterRoute::Kind::take;
        return r;
    }
    r.kind = ClusterRoute::Kind::forward;
    r.url = connection_request ? node->second.cr_url : node->second.cmp_url;
    return r;
}

ClusterRoute ClusterRoutes::for_gateway(std::string_view gateway, bool connection_request) const {
    std::lock_guard lock(mutex_);
    return route_locked(gateway, connection_request);
}

ClusterRoute ClusterRoutes::for_cr_path(std::string_view path) const {
    std::lock_guard lock(mutex_);
    auto it = cr_paths_.find(path);
    if (it == cr_paths_.end()) return ClusterRoute{};
    return route_locked(it->second, true);
}

}  // namespace app
