// Bridge::reload (SIGHUP): what of a new configuration file can take effect
// while the bridge runs. Gateways are added, removed or replaced; everything
// else (the ACS, the listeners, state_dir, defaults) is read at start only, so
// a change there is reported and waits for a restart. A file or mapping table
// that does not load refuses the whole reload: nothing changes.
#include <algorithm>
#include <chrono>
#include <future>

#include "bridge/app/bridge.hpp"
#include "bridge/core/log.hpp"

namespace app {

namespace {

std::string tls_digest(const net::TlsClientConfig& t) {
    return std::to_string(t.verify) + "|" + t.ca_file + "|" + t.ca_path + "|" + t.cert_file + "|" + t.key_file;
}

// The settings a running bridge keeps until it restarts, one line per section.
std::map<std::string, std::string> restart_only(const Config& c) {
    std::map<std::string, std::string> m;
    const auto& a = c.acs;
    m["acs"] = a.url + "|" + a.username + "|" + a.password + "|" + std::to_string(static_cast<int>(a.cwmp_version)) +
               "|" + std::to_string(a.timeout.count()) + "|" + tls_digest(a.tls);
    const auto& r = c.connection_request;
    m["connection_request"] = r.listen + "|" + r.url_base + "|" + std::to_string(r.max_per_minute) + "|" +
                              std::to_string(r.limits.max_connections) + "|" +
                              std::to_string(r.limits.max_connections_per_source);
    const auto& p = c.cmp;
    m["cmp"] = p.listen + "|" + std::to_string(p.require_auth) + "|" + std::to_string(p.timeout.count()) + "|" +
               std::to_string(p.concurrency) + "|" + tls_digest(p.tls) + "|" +
               (p.listen_tls ? p.listen_tls->cert_file + p.listen_tls->key_file + p.listen_tls->client_ca_file : "") +
               "|" + std::to_string(p.keepalive_s) + "|" + std::to_string(p.accept_registrations) + "|" +
               p.registration_secret + "|" + p.secrets_file + "|" + std::to_string(p.max_registered) + "|" +
               std::to_string(p.limits.max_connections) + "|" + std::to_string(p.limits.max_connections_per_source);
    m["state_dir"] = c.state_dir + "|" + std::to_string(static_cast<int>(c.state_backend));
    const auto& sp = c.state_postgres;
    m["state"] = sp.dsn + "|" + sp.node_id + "|" + std::to_string(sp.lease_ttl.count()) + "|" +
                 std::to_string(sp.commit_timeout.count());
    m["periodic_inform"] = std::to_string(c.periodic_inform.enable) + "|" + std::to_string(c.periodic_inform.interval_s) +
                           "|" + std::to_string(c.periodic_inform.start_spread_s);
    m["defaults"] = c.default_mapping + "|" + c.default_secret;
    m["admin"] = c.admin.listen + "|" + c.admin.username + "|" + c.admin.password + "|" + c.admin.token;
    return m;
}

bool same_gateway(const GatewayConfig& a, const GatewayConfig& b) {
    return a.url == b.url && a.mapping == b.mapping && a.secret == b.secret && a.legacy_seed == b.legacy_seed;
}

// A CPE hands over once its session (if any) ended and its state is
// stored; the replacement starts from that state. Blocking: a worker thread.
bool hand_over_and_wait(const std::shared_ptr<VirtualCpe>& cpe) {
    auto stored = std::make_shared<std::promise<bool>>();
    auto f = stored->get_future();
    cpe->hand_over([stored](bool ok) { stored->set_value(ok); });
    // Bounded: a session ends within its own timeouts; a stopping bridge never answers.
    return f.wait_for(std::chrono::seconds(120)) == std::future_status::ready && f.get();
}

}  // namespace

bool Bridge::replace_running(const GatewayConfig& g, const char* why) {
    std::shared_ptr<VirtualCpe> cpe;
    {
        std::lock_guard lock(mutex_);
        auto it = by_id_.find(g.id);
        if (it == by_id_.end()) return false;
        cpe = it->second;
        by_id_.erase(it);
        by_cr_path_.erase("/" + cpe->cr_path());
    }
    if (!hand_over_and_wait(cpe)) core::log::error(g.id, "the state could not be stored before the replacement");
    // Several bridges: the lease stays this node's, and so does its fencing token.
    if (auto st = add_gateway(g); !st) {
        core::log::error(g.id, std::string(why) + ": cannot serve the gateway any more: " + st.error().message);
        return true;
    }
    core::log::info(g.id, why);
    if (auto fresh = find_by_id(g.id)) fresh->start();
    return true;
}

void Bridge::rekey_gateway(const GatewayConfig& g) {
    if (cluster_) {
        // The keeper starts CPEs from the fleet: one it takes from now on has the new secret too.
        std::lock_guard lock(fleet_mutex_);
        if (auto it = fleet_.find(g.id); it != fleet_.end()) it->second.secret = g.secret;
    }
    if (!ready_ || !find_by_id(g.id)) return;
    std::lock_guard lock(workers_mutex_);
    workers_.emplace_back([this, g] {
        std::lock_guard one(reload_mutex_);  // in turn with reloads, which replace CPEs too
        replace_running(g, "secret changed: CPE replaced, it signs with the new secret");
    });
}

bool Bridge::is_configured(std::string_view id) const {
    for (const auto& g : gateways_)
        if (g.id == id) return true;
    return false;
}

void Bridge::reload() {
    // Files, tables and the store are read off the event loop.
    std::lock_guard lock(workers_mutex_);
    workers_.emplace_back([this] {
        std::lock_guard one(reload_mutex_);
        reload_now();
    });
}

void Bridge::reload_now() {
    core::log::info("bridge", "reload: reading " + config_.file);
    auto fresh = load_config(config_.file);
    if (!fresh) {
        core::log::error("bridge", "reload refused, the running configuration stays: " + fresh.error().message);
        return;
    }
    // Every table the new file names loads, or nothing changes.
    std::map<std::string, std::shared_ptr<const mapping::Table>> tables;
    for (const auto& g : fresh->gateways) {
        if (tables.count(g.mapping)) continue;
        auto t = mapping::Table::load_file(g.mapping);
        if (!t) {
            core::log::error("bridge", "reload refused, the running configuration stays: " + t.error().message);
            return;
        }
        tables[g.mapping] = *t;
    }
    const auto before = restart_only(config_), after = restart_only(fresh.value());
    for (const auto& [section, digest] : after)
        if (before.at(section) != digest)
            core::log::warn("bridge", "reload: " + section + " changed: it takes effect at the next restart");

    // What changes: by id, against the running list and the tables in use.
    std::vector<GatewayConfig> added, changed;
    std::vector<std::string> removed;
    {
        std::lock_guard lock(mutex_);
        std::lock_guard tl(tables_mutex_);
        for (const auto& g : fresh->gateways) {
            auto old = std::find_if(gateways_.begin(), gateways_.end(), [&](const GatewayConfig& o) { return o.id == g.id; });
            if (old == gateways_.end()) {
                added.push_back(g);
                continue;
            }
            auto in_use = tables_.find(g.mapping);
            const bool table_changed = in_use == tables_.end() || in_use->second->hash() != tables[g.mapping]->hash();
            if (!same_gateway(*old, g) || table_changed) changed.push_back(g);
        }
        for (const auto& o : gateways_)
            if (std::none_of(fresh->gateways.begin(), fresh->gateways.end(),
                             [&](const GatewayConfig& g) { return g.id == o.id; }))
                removed.push_back(o.id);
        gateways_ = fresh->gateways;
        for (auto& [path, t] : tables) tables_[path] = t;  // new CPEs take the tables just loaded
    }
    gateway_events_->set_configured(fresh->gateways);

    auto take = [this](const std::string& id) {
        std::lock_guard lock(mutex_);
        auto it = by_id_.find(id);
        if (it == by_id_.end()) return std::shared_ptr<VirtualCpe>{};
        auto cpe = it->second;
        by_id_.erase(it);
        by_cr_path_.erase("/" + cpe->cr_path());
        return cpe;
    };
    for (const auto& id : removed)
        if (auto cpe = take(id)) {
            hand_over_and_wait(cpe);
            core::log::info(id, "reload: removed from the configuration (its state stays in state_dir)");
        }
    for (const auto& g : changed) {
        if (replace_running(g, "reload: replaced (url, secret or mapping table changed)")) continue;
        // Several bridges: only the node running it (the lease holder) replaces it; its lease token stays.
        if (cluster_) continue;
        if (auto st = add_gateway(g); !st) {
            core::log::error(g.id, "reload: cannot serve the changed gateway: " + st.error().message);
            continue;
        }
        core::log::info(g.id, "reload: replaced (url, secret or mapping table changed)");
        if (auto cpe = find_by_id(g.id)) cpe->start();
    }
    for (const auto& g : added) {
        if (cluster_) {
            // Several bridges: a gateway runs where the lease keeper takes it (its next round), never unleased.
            core::log::info(g.id, "reload: new gateway, served by the node that takes its lease");
            continue;
        }
        if (auto st = add_gateway(g); !st) {
            core::log::error(g.id, "reload: cannot serve the new gateway: " + st.error().message);
            continue;
        }
        core::log::info(g.id, "reload: new gateway");
        if (auto cpe = find_by_id(g.id)) cpe->start();
    }
    core::log::info("bridge", "reload done: " + std::to_string(added.size()) + " added, " +
                                  std::to_string(removed.size()) + " removed, " + std::to_string(changed.size()) +
                                  " replaced");
}

}  // namespace app
