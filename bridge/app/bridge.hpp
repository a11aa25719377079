#pragma once
// Wiring of one bridge process: the virtual CPE registry, the Connection
// Request listener (ACS side) and the CMP listener (gateway side), all on one
// io_context.
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bridge/app/admin_server.hpp"
#include "bridge/app/cluster_node.hpp"
#include "bridge/app/config.hpp"
#include "bridge/app/reverse_bridge.hpp"
#include "bridge/app/connection_request_server.hpp"
#include "bridge/app/gateway_events.hpp"
#include "bridge/app/virtual_cpe.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/http/auth.hpp"
#include "bridge/mapping/table.hpp"
#include "bridge/net/http_server.hpp"
#include "bridge/state/store.hpp"

namespace app {

class Bridge {
public:
    Bridge(boost::asio::io_context& ioc, Config config);
    ~Bridge();

    // Loads mappings and state, binds the listeners, starts every virtual CPE.
    core::Status start();
    // Stops the listeners and every CPE's timers; sessions in progress go on
    // to their end (sessions_in_progress() says how many are left).
    void stop();
    std::size_t sessions_in_progress() const;

    unsigned short cr_port() const;
    unsigned short cmp_port() const;
    unsigned short admin_port() const;  // 0: no admin listener

    // ---- for the admin listener (thread-safe) ----
    std::vector<GatewayView> gateway_views() const;
    // Drops a self-registered gateway: out of the registry maps at once, its
    // CPE retired, then (on a thread of its own) its registry entry and its
    // state removed; `done(status, message)`: 200, 404 unknown, 409 configured.
    void drop_gateway(const std::string& id, std::function<void(int, std::string)> done);
    // SIGHUP: re-reads the configuration file and applies what can change
    // while running (bridge_reload.cpp): gateways added, removed or changed
    // (URL, secret, mapping table or the table's content), on a thread of its
    // own; a bad file or table is refused with file:line:col and nothing
    // changes. Sessions in progress are not cut.
    void reload();
    // `run --record`: every session is recorded (docs/traces.md). Before start().
    void record_sessions(SessionRecorderFactory* recorder) { recorder_ = recorder; }
    // The same in reverse mode: HOMS calls and CPE sessions. Before start().
    void record_reverse(ReverseRecording* recorder) { reverse_recorder_ = recorder; }

private:
    core::Status start_forward();
    core::Result<std::shared_ptr<const mapping::Table>> table_for(const std::string& path);
    core::Status add_gateway(const GatewayConfig& g);
    std::shared_ptr<VirtualCpe> find_by_id(std::string_view id);
    void reload_now();  // on a worker thread
    // A self-registered gateway's secret changed (bridge_reload.cpp): its CPE,
    // if it runs here, hands over and is replaced with `g` on a worker thread.
    void rekey_gateway(const GatewayConfig& g);
    // Hands `id`'s CPE over and starts `g` in its place (worker thread); false: it did not run here.
    bool replace_running(const GatewayConfig& g, const char* why);
    bool is_configured(std::string_view id) const;  // under mutex_
    // Several bridges sharing PostgreSQL (cluster_bridge.cpp): which CPEs
    // this node runs is the lease keeper's decision.
    KeeperHooks cluster_hooks();
    std::set<std::string> cluster_fleet();  // configured + shared registry; refreshes fleet_
    core::Status cluster_enroll(const GatewayConfig& g);  // a self-registration: its lease first
    bool in_fleet(std::string_view id) const;
    // A graceful stop with several bridges: every CPE hands over (its session
    // ends, its state is stored) and then its lease is released for another node.
    void cluster_drain();

    boost::asio::io_context& ioc_;
    Config config_;
    std::unique_ptr<state::Store> store_;
    // state.backend postgresql: leases, forwarding, the fenced store (after
    // store_: the CPEs write through it until they are gone).
    std::unique_ptr<ClusterNode> cluster_;
    mutable std::mutex fleet_mutex_;
    std::map<std::string, GatewayConfig, std::less<>> fleet_;  // what the cluster serves, as of the keeper's last look
    std::unique_ptr<CpeEnvironment> env_;
    std::mutex tables_mutex_;  // table_for runs at start, from self-registration and from a reload
    std::map<std::string, std::shared_ptr<const mapping::Table>> tables_;
    std::vector<GatewayConfig> gateways_;  // configured gateways as of the last (re)load, under mutex_
    std::mutex reload_mutex_;              // one reload at a time
    mutable std::mutex mutex_;  // guards the registry maps (listeners run on other strands)
    std::map<std::string, std::shared_ptr<VirtualCpe>, std::less<>> by_id_;
    std::map<std::string, std::shared_ptr<VirtualCpe>, std::less<>> by_cr_path_;
    std::unique_ptr<ConnectionRequestServer> cr_server_;
    std::unique_ptr<GatewayEvents> gateway_events_;  // the CMP listener and what gateway messages do
    std::unique_ptr<ReverseBridge> reverse_;         // reverse mode: TR-069 CPEs for a HOMS (docs/reverse.md)
    SessionRecorderFactory* recorder_ = nullptr;
    ReverseRecording* reverse_recorder_ = nullptr;
    std::unique_ptr<AdminServer> admin_;
    std::atomic<bool> ready_{false};  // /readyz: listeners bound, store open, CPEs started
    std::mutex workers_mutex_;
    std::vector<std::thread> workers_;  // drops writing to disk; joined before the store closes
};

}  // namespace app
