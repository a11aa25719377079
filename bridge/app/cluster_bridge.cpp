// app::Bridge with several bridges sharing PostgreSQL: the lease keeper's
// hooks (which CPEs this node runs) and self-registration through a lease.
#include <future>

#include "bridge/app/bridge.hpp"
#include "bridge/core/log.hpp"

namespace app {

std::set<std::string> Bridge::cluster_fleet() {
    std::map<std::string, GatewayConfig, std::less<>> fleet;
    {
        std::lock_guard lock(mutex_);
        for (const auto& g : gateways_) fleet[g.id] = g;
    }
    // Configured gateways win over a registry entry of the same id (as GatewayEvents::open decides).
    for (auto& g : gateway_events_->shared_registered()) fleet.emplace(g.id, std::move(g));
    std::set<std::string> ids;
    for (const auto& [id, g] : fleet) ids.insert(id);
    std::lock_guard lock(fleet_mutex_);
    fleet_ = std::move(fleet);
    return ids;
}

bool Bridge::in_fleet(std::string_view id) const {
    std::lock_guard lock(fleet_mutex_);
    return fleet_.count(id) > 0;
}

KeeperHooks Bridge::cluster_hooks() {
    KeeperHooks h;
    h.fleet = [this] { return cluster_fleet(); };
    h.start = [this](const std::string& id, std::chrono::milliseconds spread) {
        if (find_by_id(id)) return true;
        GatewayConfig g;
        {
            std::lock_guard lock(fleet_mutex_);
            auto it = fleet_.find(id);
            if (it == fleet_.end()) return false;
            g = it->second;
        }
        // The nonces the previous owner accepted are refused here before
        // anything of the gateway is: a captured message must not replay at
        // the new owner. Unknown (the database did not answer): not served.
        if (auto st = gateway_events_->restore_replay_window(id); !st) {
            core::log::error(id, "not served: its replay window could not be read: " + st.error().message);
            return false;
        }
        // Loaded from the store now: what the previous owner made durable.
        if (auto st = add_gateway(g); !st) {
            core::log::error(id, "cannot serve the gateway whose lease this node took: " + st.error().message);
            return false;
        }
        auto cpe = find_by_id(id);
        if (!cpe) return false;
        cpe->start(std::min<std::chrono::milliseconds>(spread,
                                                       std::chrono::seconds(config_.periodic_inform.start_spread_s)));
        return true;
    };
    auto take_out = [this](const std::string& id) {
        std::lock_guard lock(mutex_);
        auto it = by_id_.find(id);
        if (it == by_id_.end()) return std::shared_ptr<VirtualCpe>();
        auto cpe = it->second;
        by_id_.erase(it);
        by_cr_path_.erase("/" + cpe->cr_path());  // Connection Requests for it are forwarded from now on
        return cpe;
    };
    h.stop = [take_out](const std::string& id) {
        if (auto cpe = take_out(id)) cpe->stop();
    };
    h.hand_over = [take_out](const std::string& id, std::function<void()> done) {
        auto cpe = take_out(id);
        if (!cpe) return done();
        cpe->hand_over([cpe, done = std::move(done)](bool stored) {
            if (!stored) core::log::warn(cpe->id(), "handed over with its last state not stored (the next owner has the one before)");
            done();
        });
    };
    h.running = [this] {
        std::set<std::string> ids;
        std::lock_guard lock(mutex_);
        for (const auto& [id, cpe] : by_id_) ids.insert(id);
        return ids;
    };
    return h;
}

void Bridge::cluster_drain() {
    std::vector<std::shared_ptr<VirtualCpe>> cpes;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, cpe] : by_id_) cpes.push_back(cpe);
        by_id_.clear();
        by_cr_path_.clear();
    }
    std::set<std::string> ids;
    for (const auto& cpe : cpes) ids.insert(cpe->id());
    // The keeper knows every one before the first hand-over can complete. (Once: a second stop changes nothing.)
    cluster_->drain(ids);
    for (const auto& cpe : cpes)
        cpe->hand_over([node = cluster_.get(), cpe](bool stored) {
            if (!stored) core::log::warn(cpe->id(), "stopping with its last state not stored (the next owner has the one before)");
            node->handed_over(cpe->id());
        });
}

core::Status Bridge::cluster_enroll(const GatewayConfig& g) {
    // On the CMP listener's blocking thread: waiting for the keeper is fine here.
    {
        std::lock_guard lock(fleet_mutex_);
        fleet_[g.id] = g;
    }
    std::promise<bool> taken;
    auto result = taken.get_future();
    // The registry entry is written already: the keeper finds the gateway in the fleet.
    cluster_->take(g.id, [&taken](bool ok) { taken.set_value(ok); });
    // Not taken: another node holds it (it enrolled there a moment ago and this
    // node's view is a round old), or the database did not answer. Either way
    // the registry entry is written and shared, so the gateway stays enrolled
    // and whichever node holds or takes its lease serves it. An error here
    // would make GatewayEvents remove the shared entry: the owner would then
    // drop the gateway.
    if (!result.get())
        core::log::info(g.id, "self-registered gateway enrolled; its CPE runs where its lease is (not here yet)");
    return core::Ok{};
}

}  // namespace app
