#pragma once
// app::LeaseKeeper: which gateways this node serves when several bridges
// share PostgreSQL (docs/operations.md, "Several bridges sharing state in
// PostgreSQL"). A thread of its own (every lease and directory call blocks:
// never on the event loop) runs a round every TTL/3:
//
//   heartbeat       bridge.nodes: this node is alive, at these URLs
//   renew_all       the leases still ours; a running CPE whose lease is gone
//                   stops at once (its token is cleared first, so the
//                   FencedStore refuses anything it still tries to write)
//   plan_round      the decisions (cluster_plan.hpp): share, acquire,
//                   release, start
//   acquire_many    free or expired leases up to the share, a bounded
//                   number per round; each granted CPE is loaded from the
//                   store and started (with the restart spread)
//   hand over       leases above share + slack: the CPE finishes its
//                   session, makes its state durable, then the lease is
//                   released for another node to take
//   routes          the snapshot the listeners forward by (ClusterRoutes)
//
// take() serves a request that reached this node for a gateway nobody alive
// owns: the lease is taken at once, outside the rounds.
//
// drain() is a graceful stop (SIGTERM): no more rounds or take-overs, the
// node leaves bridge.nodes at once (the others' shares grow), and each lease
// is released as soon as its CPE has handed over (session ended, state
// durable), so the other nodes take it at their next round instead of after
// the TTL. What is not released within the bound is left to expire.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bridge/app/cluster_plan.hpp"
#include "bridge/app/cluster_routes.hpp"
#include "bridge/app/cluster_view.hpp"
#include "bridge/state/fenced_store.hpp"
#include "bridge/state/lease.hpp"
#include "bridge/state/pg_cluster.hpp"

namespace app {

struct KeeperHooks {
    // Every gateway of the fleet (configured and self-registered); on the keeper's thread, may block.
    std::function<std::set<std::string>()> fleet;
    // Loads the gateway's state and starts its CPE within `spread`; false: it cannot be served.
    std::function<bool(const std::string& id, std::chrono::milliseconds spread)> start;
    // Stops the CPE at once (its lease is lost).
    std::function<void(const std::string& id)> stop;
    // The CPE ends its session and makes its state durable, then `done` (from any thread).
    std::function<void(const std::string& id, std::function<void()> done)> hand_over;
    // The CPEs this node runs.
    std::function<std::set<std::string>()> running;
};

class LeaseKeeper {
public:
    LeaseKeeper(state::Leases& leases, state::ClusterDirectory& directory, state::FencedStore& store,
                ClusterRoutes& routes, state::NodeInfo self, std::chrono::milliseconds ttl, KeeperHooks hooks,
                ClusterPolicy policy = {});
    ~LeaseKeeper();
    LeaseKeeper(const LeaseKeeper&) = delete;
    LeaseKeeper& operator=(const LeaseKeeper&) = delete;

    // The first round runs before start() returns (the node serves its
    // share from the start), then the thread takes over.
    void start();
    // Ends the thread. Leases are not released: they expire (a restart
    // with the same node id takes them back at once).
    void stop();

    // One round on the caller's thread (tests; start() runs them on the thread).
    void run_round();
    // Hand-overs that completed: their leases are released (the thread does this as they come).
    void release_handed_over();
    // Takes the lease of `id` now and starts its CPE; done(true) once it
    // runs here, done(false) if another node holds it or it cannot be served.
    // From any thread; `done` runs on the keeper's thread.
    void take(std::string id, std::function<void(bool)> done);
    void take_now(const std::string& id, const std::function<void(bool)>& done);
    // Re-reads the fleet and the routing snapshot now: a request named a
    // gateway or a Connection Request path the last round did not know
    // (created at another node since). At most once a second, whoever asks:
    // callers arriving meanwhile share the next one. `done` runs on the
    // keeper's thread (or at once when it has stopped).
    void refresh(std::function<void()> done);
    void refresh_now();

    // Begins a graceful stop; `handing_over`: the CPEs this node runs, each
    // reported by handed_over() once it handed over. Thread-safe, never
    // blocks (the keeper's thread does the database calls). Once only.
    void drain(std::set<std::string> handing_over, std::chrono::milliseconds bound);
    // The same on the caller's thread (tests; drain() has the thread do it).
    void drain_now(const std::set<std::string>& handing_over);
    // A CPE handed over during a drain: its lease is released. From any thread.
    void handed_over(const std::string& id);
    // Leases a graceful stop still has to release (0 when not stopping, or when done or past its bound).
    std::size_t draining() const;

    std::size_t held() const;
    std::size_t rounds() const;
    // The nodes and their leases as of the last round (null before the first). Thread-safe.
    std::shared_ptr<const ClusterView> view() const;

private:
    void run();
    // The thread after drain(): releases leases as CPEs hand over, until done or the bound.
    void drain_loop();
    void lose(const std::string& id, const char* why);
    void release_now(const std::string& id);
    std::chrono::milliseconds spread_for(std::size_t starts) const;
    void publish_routes(const core::Result<std::vector<state::NodeInfo>>& live);
    void publish_view(const std::map<std::string, std::string>& owners);

    state::Leases& leases_;
    state::ClusterDirectory& directory_;
    state::FencedStore& store_;
    ClusterRoutes& routes_;
    const state::NodeInfo self_;
    const std::chrono::milliseconds ttl_;
    KeeperHooks hooks_;
    const ClusterPolicy policy_;

    // The keeper's own bookkeeping, touched only on its thread (or by a test calling rounds).
    std::map<std::string, state::Lease> held_;
    std::set<std::string> releasing_;
    std::chrono::steady_clock::time_point last_renewed_;
    bool warned_unavailable_ = false;

    mutable std::mutex mutex_;  // guards the queues, the counters and stop_
    std::condition_variable wake_;
    std::deque<std::pair<std::string, std::function<void(bool)>>> takes_;
    std::deque<std::string> handed_;
    std::deque<std::function<void()>> refreshes_;
    std::optional<std::set<std::string>> drain_request_;  // drain() asked, the thread has not begun it
    bool draining_ = false;
    std::chrono::steady_clock::time_point drain_deadline_{};
    std::size_t drain_left_ = 0;
    std::chrono::steady_clock::time_point last_refresh_{};
    std::size_t held_count_ = 0;
    std::size_t fleet_size_ = 0;  // as of the last round
    std::shared_ptr<const ClusterView> view_;
    std::size_t rounds_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace app
