#include "bridge/app/cluster_keeper.hpp"

#include <algorithm>

#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"

namespace app {
using namespace std::chrono;

LeaseKeeper::LeaseKeeper(state::Leases& leases, state::ClusterDirectory& directory, state::FencedStore& store,
                         ClusterRoutes& routes, state::NodeInfo self, milliseconds ttl, KeeperHooks hooks,
                         ClusterPolicy policy)
    : leases_(leases),
      directory_(directory),
      store_(store),
      routes_(routes),
      self_(std::move(self)),
      ttl_(ttl),
      hooks_(std::move(hooks)),
      policy_(policy),
      last_renewed_(steady_clock::now()) {}

LeaseKeeper::~LeaseKeeper() { stop(); }

void LeaseKeeper::start() {
    run_round();
    thread_ = std::thread([this] { run(); });
}

void LeaseKeeper::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Nobody will answer these any more.
    std::deque<std::pair<std::string, std::function<void(bool)>>> takes;
    std::deque<std::function<void()>> refreshes;
    {
        std::lock_guard lock(mutex_);
        takes.swap(takes_);
        refreshes.swap(refreshes_);
    }
    for (auto& [id, done] : takes) done(false);
    for (auto& done : refreshes) done();
}

std::size_t LeaseKeeper::held() const {
    std::lock_guard lock(mutex_);
    return held_count_;
}

std::size_t LeaseKeeper::rounds() const {
    std::lock_guard lock(mutex_);
    return rounds_;
}

milliseconds LeaseKeeper::spread_for(std::size_t starts) const {
    // About 100 first Informs per second, as a whole fleet's start (Bridge::start_forward).
    return milliseconds(starts * 10);
}

void LeaseKeeper::run() {
    // Renewals every TTL/3: two may fail (a slow database, a reconnect) before a lease expires.
    const auto period = ttl_ / 3;
    auto next = steady_clock::now() + period;
    constexpr auto kRefreshInterval = seconds(1);
    std::unique_lock lock(mutex_);
    while (!stop_) {
        if (draining_ || drain_request_) {
            lock.unlock();
            drain_loop();
            lock.lock();
            break;
        }
        auto refresh_due = [&] { return !refreshes_.empty() && steady_clock::now() >= last_refresh_ + kRefreshInterval; };
        const auto deadline = refreshes_.empty() ? next : std::min(next, last_refresh_ + kRefreshInterval);
        wake_.wait_until(lock, deadline, [&] {
            return stop_ || drain_request_ || !takes_.empty() || !handed_.empty() || refresh_due();
        });
        if (stop_) break;
        if (drain_request_) continue;
        auto takes = std::move(takes_);
        takes_.clear();
        std::deque<std::function<void()>> refreshes;
        if (refresh_due()) {
            refreshes.swap(refreshes_);
            last_refresh_ = steady_clock::now();
        }
        const bool handed = !handed_.empty();
        lock.unlock();
        for (auto& [id, done] : takes) take_now(id, done);
        if (handed) release_handed_over();
        if (!refreshes.empty()) {
            refresh_now();
            for (auto& done : refreshes) done();
        }
        if (steady_clock::now() >= next) {
            run_round();
            next = steady_clock::now() + period;
        }
        lock.lock();
    }
}

void LeaseKeeper::drain(std::set<std::string> handing_over, milliseconds bound) {
    {
        std::lock_guard lock(mutex_);
        if (stop_ || draining_ || drain_request_) return;
        drain_request_ = std::move(handing_over);
        drain_deadline_ = steady_clock::now() + bound;
        drain_left_ = drain_request_->size();  // counted from now: the caller may wait on draining() at once
    }
    wake_.notify_all();
}

void LeaseKeeper::drain_now(const std::set<std::string>& handing_over) {
    {
        std::lock_guard lock(mutex_);
        draining_ = true;
        drain_request_.reset();
    }
    // First out of the live nodes: the others' shares grow at their next round.
    if (auto st = directory_.leave(self_.node); !st)
        core::log::warn("cluster", "could not leave bridge.nodes (the others wait for the heartbeat to age): " +
                                       st.error().message);
    for (const auto& id : handing_over)
        if (held_.count(id)) releasing_.insert(id);
    std::vector<std::string> idle;
    for (const auto& [id, lease] : held_)
        if (!releasing_.count(id)) idle.push_back(id);
    for (const auto& id : idle) release_now(id);  // no CPE runs it here: nothing to wait for
    core::log::info("cluster", "stopping: " + std::to_string(idle.size()) + " leases released, " +
                                   std::to_string(releasing_.size()) + " released as their CPEs hand over");
    std::lock_guard lock(mutex_);
    held_count_ = held_.size();
    drain_left_ = releasing_.size();
}

void LeaseKeeper::handed_over(const std::string& id) {
    {
        std::lock_guard lock(mutex_);
        handed_.push_back(id);
    }
    wake_.notify_all();
}

std::size_t LeaseKeeper::draining() const {
    std::lock_guard lock(mutex_);
    return drain_left_;
}

void LeaseKeeper::drain_loop() {
    std::set<std::string> handing_over;
    {
        std::lock_guard lock(mutex_);
        if (drain_request_) handing_over = std::move(*drain_request_);
    }
    drain_now(handing_over);
    std::unique_lock lock(mutex_);
    while (!stop_) {
        // Nothing is taken any more; whoever waits hears so at once.
        auto takes = std::move(takes_);
        takes_.clear();
        auto refreshes = std::move(refreshes_);
        refreshes_.clear();
        const bool handed = !handed_.empty();
        const bool done = drain_left_ == 0;
        const bool late = steady_clock::now() >= drain_deadline_;
        lock.unlock();
        for (auto& [id, cb] : takes) cb(false);
        for (auto& cb : refreshes) cb();
        if (handed) release_handed_over();
        if (late && !done) {
            core::log::warn("cluster", "stopping: " + std::to_string(releasing_.size()) +
                                           " leases not released in time (their CPEs are still in session): they expire");
            for (const auto& id : releasing_) store_.clear_token(id);
            releasing_.clear();
        }
        lock.lock();
        if (late) drain_left_ = 0;
        if (drain_left_ == 0 && handed_.empty()) {
            // Done: wait for stop() (a late take() still gets its answer).
            wake_.wait(lock, [&] { return stop_ || !takes_.empty() || !refreshes_.empty(); });
            continue;
        }
        wake_.wait_until(lock, drain_deadline_, [&] {
            return stop_ || !handed_.empty() || !takes_.empty() || !refreshes_.empty();
        });
    }
}

void LeaseKeeper::take(std::string id, std::function<void(bool)> done) {
    {
        std::lock_guard lock(mutex_);
        if (stop_) {
            done(false);
            return;
        }
        takes_.emplace_back(std::move(id), std::move(done));
    }
    wake_.notify_all();
}

void LeaseKeeper::refresh(std::function<void()> done) {
    {
        std::lock_guard lock(mutex_);
        if (!stop_) {
            refreshes_.push_back(std::move(done));
            done = nullptr;
        }
    }
    if (done) return done();
    wake_.notify_all();
}

void LeaseKeeper::refresh_now() {
    hooks_.fleet();
    publish_routes(directory_.live_nodes(ttl_));
}

std::shared_ptr<const ClusterView> LeaseKeeper::view() const {
    std::lock_guard lock(mutex_);
    return view_;
}

void LeaseKeeper::publish_view(const std::map<std::string, std::string>& owners) {
    auto nodes = directory_.all_nodes();
    if (!nodes) return;  // the last view stays (its as_of says how old it is)
    auto v = std::make_shared<ClusterView>();
    v->self = self_.node;
    v->as_of = system_clock::now();
    v->lease_ttl = ttl_;
    v->owned = owners.size();
    std::map<std::string, std::size_t> per_node;
    for (const auto& [gateway, node] : owners) ++per_node[node];
    for (const auto& n : *nodes) {
        ClusterNodeView row{n.info.node, n.info.cmp_url, n.info.cr_url, n.heartbeat_age_ms,
                            n.heartbeat_age_ms < ttl_.count(), per_node[n.info.node]};
        per_node.erase(n.info.node);
        v->nodes.push_back(std::move(row));
    }
    // Holders that left bridge.nodes (a graceful stop) while their leases have not expired yet.
    for (const auto& [node, leases] : per_node) v->nodes.push_back(ClusterNodeView{node, "", "", -1, false, leases});
    std::sort(v->nodes.begin(), v->nodes.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
    std::lock_guard lock(mutex_);
    v->gateways = fleet_size_;
    view_ = std::move(v);
}

void LeaseKeeper::publish_routes(const core::Result<std::vector<state::NodeInfo>>& live) {
    auto owners = directory_.owners();
    auto paths = directory_.cr_paths();
    if (owners) publish_view(*owners);
    if (owners && paths && live) routes_.publish(std::move(*owners), *live, std::move(*paths));
}

void LeaseKeeper::take_now(const std::string& id, const std::function<void(bool)>& done) {
    if (held_.count(id) && !releasing_.count(id)) return done(hooks_.running().count(id) > 0);
    if (!hooks_.fleet().count(id)) return done(false);
    auto got = leases_.acquire(id, self_.node, ttl_);
    if (!got || !*got) {
        // Rate-limited: during a failover every gateway of the dead node may ask at once.
        if (!got) core::log::warn_from("cluster", "take", "lease", id + ": cannot take the lease over: " + got.error().message);
        return done(false);
    }
    held_[id] = **got;
    store_.set_token(id, (*got)->token);
    routes_.set_owner(id, self_.node);
    {
        std::lock_guard lock(mutex_);
        held_count_ = held_.size();
    }
    core::log::debug(id, "lease taken over (token " + std::to_string((*got)->token) + "): a request came for it and its owner is gone");
    if (!hooks_.start(id, milliseconds(0))) {
        release_now(id);
        return done(false);
    }
    done(true);
}

void LeaseKeeper::lose(const std::string& id, const char* why) {
    // The token first: from here on the store refuses whatever the CPE still tries to write.
    store_.clear_token(id);
    held_.erase(id);
    releasing_.erase(id);
    core::log::debug(id, std::string("lease lost (") + why + "): CPE stopped, another node serves it");
    hooks_.stop(id);
}

void LeaseKeeper::release_now(const std::string& id) {
    store_.clear_token(id);
    auto it = held_.find(id);
    if (it != held_.end()) {
        if (auto st = leases_.release(it->second); !st)
            core::log::warn(id, "lease release failed (it expires instead): " + st.error().message);
        held_.erase(it);
    }
    releasing_.erase(id);
}

void LeaseKeeper::release_handed_over() {
    std::deque<std::string> handed;
    {
        std::lock_guard lock(mutex_);
        handed.swap(handed_);
    }
    for (const auto& id : handed) {
        // Lost meanwhile: nothing left to release.
        if (!releasing_.count(id)) continue;
        release_now(id);
        core::log::debug(id, "handed over: lease released for another node");
    }
    std::lock_guard lock(mutex_);
    held_count_ = held_.size();
    if (draining_) drain_left_ = std::min(drain_left_, releasing_.size());
}

void LeaseKeeper::run_round() {
    const auto began = steady_clock::now();
    if (auto st = directory_.heartbeat(self_); !st)
        core::log::warn("cluster", "heartbeat failed: " + st.error().message);

    RoundView v;
    v.ttl = ttl_;
    auto renewed = leases_.renew_all(self_.node, ttl_);
    v.renewed = static_cast<bool>(renewed);
    if (renewed) {
        last_renewed_ = began;
        warned_unavailable_ = false;
        std::map<std::string, state::Lease> now_held;
        for (auto& l : *renewed) {
            v.held.insert(l.key);
            store_.set_token(l.key, l.token);
            now_held[l.key] = l;
        }
        held_ = std::move(now_held);
    } else if (!warned_unavailable_) {
        warned_unavailable_ = true;
        core::log::error("cluster", "lease renewal failed: " + renewed.error().message +
                                        " (CPEs keep running until their leases expire)");
    }
    v.since_renewed = duration_cast<milliseconds>(steady_clock::now() - last_renewed_);
    v.fleet = hooks_.fleet();
    {
        std::lock_guard lock(mutex_);
        fleet_size_ = v.fleet.size();
    }
    v.running = hooks_.running();
    v.releasing = releasing_;
    auto live = directory_.live_nodes(ttl_);
    v.live_nodes = live && !live->empty() ? live->size() : 1;

    RoundPlan plan = plan_round(v, policy_);
    for (const auto& id : plan.stop) lose(id, renewed ? "taken or expired" : "renewals failed for a whole TTL");
    if (!plan.stop.empty())  // one line for the lot: a paused node can lose thousands at once
        core::log::warn("cluster", std::to_string(plan.stop.size()) + " leases lost (" +
                                       (renewed ? "taken or expired" : "renewals failed for a whole TTL") +
                                       "): their CPEs stopped, other nodes serve them (first: " + plan.stop.front() + ")");
    if (!renewed) {
        if (!plan.stop.empty()) {
            for (const auto& [id, lease] : held_) store_.clear_token(id);
            held_.clear();
        }
        std::lock_guard lock(mutex_);
        held_count_ = held_.size();
        ++rounds_;
        return;
    }
    for (const auto& id : plan.release) {
        if (v.running.count(id)) {
            releasing_.insert(id);
            hooks_.hand_over(id, [this, id] {
                {
                    std::lock_guard lock(mutex_);
                    handed_.push_back(id);
                }
                wake_.notify_all();
            });
        } else {
            release_now(id);
        }
    }
    if (!plan.release.empty())
        core::log::info("cluster", "handing over " + std::to_string(plan.release.size()) + " gateways (share " +
                                       std::to_string(plan.share) + ", holding " + std::to_string(held_.size()) + ")");

    std::vector<std::string> starting = plan.start;
    if (plan.acquire > 0) {
        auto free = directory_.unowned(plan.candidates, plan.acquire);
        if (!free) {
            core::log::warn("cluster", "cannot list free leases: " + free.error().message);
        } else if (!free->empty()) {
            auto granted = leases_.acquire_many(*free, self_.node, ttl_);
            if (!granted) {
                core::log::warn("cluster", "cannot acquire leases: " + granted.error().message);
            } else {
                for (auto& l : *granted) {
                    store_.set_token(l.key, l.token);
                    held_[l.key] = l;
                    starting.push_back(l.key);
                }
                if (!granted->empty())
                    core::log::info("cluster", "acquired " + std::to_string(granted->size()) + " leases (share " +
                                                   std::to_string(plan.share) + " of " + std::to_string(v.fleet.size()) +
                                                   " over " + std::to_string(v.live_nodes) + " nodes)");
            }
        }
    }
    const auto spread = spread_for(starting.size());
    for (const auto& id : starting)
        if (!hooks_.start(id, spread)) release_now(id);

    publish_routes(live);
    std::lock_guard lock(mutex_);
    held_count_ = held_.size();
    ++rounds_;
}

}  // namespace app
