// LeaseKeeper rounds against an in-memory cluster: leases with expiry and
// tokens as PgLeases grants them, heartbeats, and a store that refuses a
// write whose token is not the lease's current one (as PgStore's fenced
// writes). Several keepers share it, as several bridges share PostgreSQL;
// time is the test's.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <memory>

#include "bridge/app/cluster_keeper.hpp"

using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kTtl = 6000ms;

struct World {
    milliseconds now{1'000'000};
    struct Row {
        std::string node;
        std::int64_t token = 0;
        milliseconds expires{0};
    };
    std::map<std::string, Row> leases;
    std::map<std::string, milliseconds> seen;
    std::map<std::string, std::string> state;  // what the fenced store let through
    std::size_t fenced = 0;
    std::map<std::string, std::string> cr_paths;
    std::atomic<int> cr_path_reads{0};
    int node_reads = 0;

    state::Lease lease(const std::string& key) const {
        const Row& r = leases.at(key);
        return state::Lease{key, r.node, r.token, std::chrono::system_clock::time_point(r.expires)};
    }
    bool live_row(const Row& r) const { return !r.node.empty() && r.expires > now; }
    std::size_t owned_by(const std::string& node) const {
        std::size_t n = 0;
        for (const auto& [k, r] : leases) n += (r.node == node && live_row(r)) ? 1 : 0;
        return n;
    }
};

class FakeLeases : public state::Leases {
public:
    explicit FakeLeases(World& w) : w_(w) {}
    core::Result<std::optional<state::Lease>> acquire(std::string_view key, std::string_view node,
                                                      milliseconds ttl) override {
        auto got = acquire_many({std::string(key)}, node, ttl);
        if (got->empty()) return std::optional<state::Lease>{};
        return std::optional<state::Lease>{got->front()};
    }
    core::Result<std::vector<state::Lease>> acquire_many(const std::vector<std::string>& keys, std::string_view node,
                                                         milliseconds ttl) override {
        std::vector<state::Lease> out;
        for (const auto& k : keys) {
            auto& r = w_.leases[k];
            if (r.node.empty() || r.expires <= w_.now || r.node == node) {
                r.node = std::string(node);
                ++r.token;
                r.expires = w_.now + ttl;
                out.push_back(w_.lease(k));
            }
        }
        ++acquire_calls;
        return out;
    }
    core::Status renew(state::Lease&, milliseconds) override { return core::Ok{}; }
    core::Result<std::vector<state::Lease>> renew_all(std::string_view node, milliseconds ttl) override {
        if (down) return core::make_error("state.unavailable", "database down");
        std::vector<state::Lease> out;
        for (auto& [k, r] : w_.leases)
            if (r.node == node) {
                r.expires = w_.now + ttl;
                out.push_back(w_.lease(k));
            }
        return out;
    }
    core::Status release(const state::Lease& l) override {
        auto& r = w_.leases[l.key];
        if (r.node == l.node && r.token == l.token) {
            r.node.clear();
            r.expires = milliseconds(0);
            ++r.token;
        }
        return core::Ok{};
    }
    core::Result<std::optional<state::Lease>> owner(std::string_view key) override {
        auto it = w_.leases.find(std::string(key));
        if (it == w_.leases.end() || !w_.live_row(it->second)) return std::optional<state::Lease>{};
        return std::optional<state::Lease>{w_.lease(it->first)};
    }
    bool down = false;
    int acquire_calls = 0;

private:
    World& w_;
};

class FakeDirectory : public state::ClusterDirectory {
public:
    explicit FakeDirectory(World& w) : w_(w) {}
    core::Status heartbeat(const state::NodeInfo& self) override {
        w_.seen[self.node] = w_.now;
        urls[self.node] = self;
        return core::Ok{};
    }
    core::Result<std::vector<state::NodeInfo>> live_nodes(milliseconds within) override {
        std::vector<state::NodeInfo> out;
        for (const auto& [n, t] : w_.seen)
            if (t > w_.now - within) out.push_back(state::NodeInfo{n, "http://" + n + ":1", "http://" + n + ":2"});
        return out;
    }
    core::Result<std::vector<std::string>> unowned(const std::vector<std::string>& keys, std::size_t limit) override {
        std::vector<std::string> out;
        for (const auto& k : keys) {
            auto it = w_.leases.find(k);
            if (it == w_.leases.end() || !w_.live_row(it->second)) out.push_back(k);
            if (out.size() == limit) break;
        }
        return out;
    }
    core::Result<std::map<std::string, std::string>> owners() override {
        std::map<std::string, std::string> out;
        for (const auto& [k, r] : w_.leases)
            if (w_.live_row(r)) out[k] = r.node;
        return out;
    }
    core::Result<std::map<std::string, std::string>> cr_paths() override {
        ++w_.cr_path_reads;
        return w_.cr_paths;
    }
    core::Status leave(std::string_view node) override {
        w_.seen.erase(std::string(node));
        return core::Ok{};
    }
    core::Result<std::vector<state::NodeStatus>> all_nodes() override {
        ++w_.node_reads;
        std::vector<state::NodeStatus> out;
        for (const auto& [n, t] : w_.seen)
            out.push_back(state::NodeStatus{state::NodeInfo{n, "http://" + n + ":1", "http://" + n + ":2"}, (w_.now - t).count()});
        return out;
    }
    std::map<std::string, state::NodeInfo> urls;

private:
    World& w_;
};

class FakeWriter : public state::FencedWriter {
public:
    explicit FakeWriter(World& w) : w_(w) {}
    void save_async_fenced(std::string key, std::string blob, std::int64_t token, state::Store::Done done) override {
        auto it = w_.leases.find(key);
        if (it == w_.leases.end() || it->second.token != token) {
            ++w_.fenced;
            return done(core::make_error("state.fenced", "token moved on"));
        }
        w_.state[key] = std::move(blob);
        done(core::Ok{});
    }

private:
    World& w_;
};

std::set<std::string> fleet_of(int n) {
    std::set<std::string> out;
    for (int i = 1; i <= n; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "GW-%04d", i);
        out.insert(id);
    }
    return out;
}

struct Node {
    Node(World& w, std::string name, const std::set<std::string>& fleet)
        : leases(w), directory(w), writer(w), store(memory, writer), routes(name), fleet(fleet) {
        app::KeeperHooks h;
        h.fleet = [this] { return this->fleet; };
        h.start = [this](const std::string& id, milliseconds) {
            running.insert(id);
            ++starts;
            return true;
        };
        h.stop = [this](const std::string& id) {
            running.erase(id);
            stopped.push_back(id);
        };
        h.hand_over = [this](const std::string& id, std::function<void()> done) {
            running.erase(id);
            handed.push_back(id);
            done();
        };
        h.running = [this] { return running; };
        keeper = std::make_unique<app::LeaseKeeper>(leases, directory, store, routes,
                                                    state::NodeInfo{name, "http://" + name + ":1", "http://" + name + ":2"},
                                                    kTtl, h);
    }
    void round() {
        keeper->release_handed_over();
        keeper->run_round();
    }

    FakeLeases leases;
    FakeDirectory directory;
    FakeWriter writer;
    state::MemoryStore memory;
    state::FencedStore store;
    app::ClusterRoutes routes;
    std::set<std::string> fleet;
    std::set<std::string> running;
    std::vector<std::string> stopped, handed;
    std::size_t starts = 0;
    std::unique_ptr<app::LeaseKeeper> keeper;
};

// Every live lease has one holder and that holder runs it; nobody runs a gateway it does not hold.
void check_exclusive(const World& w, const std::vector<Node*>& nodes) {
    for (const auto* n : nodes)
        for (const auto& id : n->running) CHECK_MESSAGE(w.leases.at(id).node == n->routes.self(), id);
    std::map<std::string, int> runners;
    for (const auto* n : nodes)
        for (const auto& id : n->running) ++runners[id];
    for (const auto& [id, count] : runners) CHECK_MESSAGE(count == 1, (id + " runs on several nodes"));
}

void tick(World& w, std::vector<Node*> nodes) {
    w.now += kTtl / 3;
    for (auto* n : nodes) n->round();
}

}  // namespace

TEST_CASE("LeaseKeeper: three nodes share 300 gateways fairly, no gateway on two nodes") {
    World w;
    const auto fleet = fleet_of(300);
    Node a(w, "a", fleet), b(w, "b", fleet), c(w, "c", fleet);
    std::vector<Node*> all{&a, &b, &c};
    for (int i = 0; i < 8; ++i) {
        tick(w, all);
        check_exclusive(w, all);
    }
    for (auto* n : all) {
        CHECK(n->running.size() == 100);
        CHECK(w.owned_by(n->routes.self()) == 100);
        CHECK(n->keeper->held() == 100);
    }
    // Writes go through with the holder's token; another node's are refused.
    const std::string mine = *a.running.begin();
    CHECK(a.store.save(mine, "a's state"));
    CHECK(w.state[mine] == "a's state");
    auto refused = b.store.save(mine, "b's state");
    REQUIRE(!refused);
    CHECK(refused.error().code == "state.fenced");
    CHECK(w.state[mine] == "a's state");
}

TEST_CASE("LeaseKeeper: a killed node's gateways are taken within the TTL and a bounded number per round") {
    World w;
    const auto fleet = fleet_of(300);
    Node a(w, "a", fleet), b(w, "b", fleet), c(w, "c", fleet);
    for (int i = 0; i < 8; ++i) tick(w, {&a, &b, &c});
    REQUIRE(c.running.size() == 100);
    const auto c_had = c.running;

    // c stops answering: its heartbeat and leases age out after one TTL.
    int rounds = 0;
    while ((a.running.size() + b.running.size() < 300) && rounds < 20) {
        const std::size_t before = a.running.size() + b.running.size();
        tick(w, {&a, &b});
        ++rounds;
        CHECK(a.running.size() + b.running.size() - before <= 2 * 50);  // a third of the share of 150 each
        check_exclusive(w, {&a, &b});
    }
    CHECK(a.running.size() + b.running.size() == 300);
    CHECK(a.running.size() == 150);
    CHECK(b.running.size() == 150);
    // TTL / (TTL/3) rounds for the leases to expire, then at most two more.
    CHECK(rounds <= 3 + 3);

    // c comes back (SIGCONT): its writes are refused before its keeper even notices...
    const std::string lost = *c_had.begin();
    const std::string owner_state = w.state.count(lost) ? w.state[lost] : "";
    const auto fenced_before = w.fenced;
    auto st = c.store.save(lost, "stale state from c");
    REQUIRE(!st);
    CHECK(st.error().code == "state.fenced");
    CHECK(w.fenced == fenced_before + 1);
    CHECK((w.state.count(lost) ? w.state[lost] : "") == owner_state);
    // ... and its first round stops every CPE it lost, tokens first.
    c.round();
    CHECK(c.running.empty());
    CHECK(c.stopped.size() == 100);
    CHECK(!c.store.token(lost));
    check_exclusive(w, {&a, &b, &c});
}

TEST_CASE("LeaseKeeper: a node joining takes its share over a few rounds, the others hand over above share") {
    World w;
    const auto fleet = fleet_of(300);
    Node a(w, "a", fleet), b(w, "b", fleet), c(w, "c", fleet);
    for (int i = 0; i < 8; ++i) tick(w, {&a, &b, &c});
    Node d(w, "d", fleet);
    std::size_t most_in_a_round = 0;
    for (int i = 0; i < 12; ++i) {
        const std::size_t before = d.starts;
        tick(w, {&a, &b, &c, &d});
        most_in_a_round = std::max(most_in_a_round, d.starts - before);
        check_exclusive(w, {&a, &b, &c, &d});
    }
    CHECK(d.running.size() == 75);
    for (auto* n : {&a, &b, &c}) {
        CHECK(n->running.size() == 75);
        CHECK(n->handed.size() == 25);  // handed over (the CPE finished first), not stopped
        CHECK(n->stopped.empty());
    }
    CHECK(most_in_a_round <= 25);  // a third of the share per round: no storm of Informs
    CHECK(most_in_a_round > 0);
}

TEST_CASE("LeaseKeeper: a lease taken away stops its CPE at once; take() serves an orphan outside the rounds") {
    World w;
    const auto fleet = fleet_of(30);
    Node a(w, "a", fleet), b(w, "b", fleet);
    for (int i = 0; i < 6; ++i) tick(w, {&a, &b});
    REQUIRE(a.running.size() + b.running.size() == 30);
    REQUIRE(a.running.size() >= 14);  // share 15, slack 1
    const std::string id = *a.running.begin();
    // An operator (or a split brain healed) moves the lease: a's next round notices.
    auto& row = w.leases[id];
    row.node = "b";
    ++row.token;
    a.round();
    CHECK(a.running.count(id) == 0);
    CHECK(a.stopped == std::vector<std::string>{id});
    CHECK(!a.store.token(id));

    // b never ran it: a request for it at b takes it now.
    bool served = false;
    b.keeper->take_now(id, [&](bool ok) { served = ok; });
    CHECK(served);
    CHECK(b.running.count(id) == 1);
    CHECK(b.store.token(id) == w.leases[id].token);
    // Not a member of the fleet: refused.
    bool stranger = true;
    b.keeper->take_now("GW-9999", [&](bool ok) { stranger = ok; });
    CHECK(!stranger);
}

TEST_CASE("LeaseKeeper: the database down keeps CPEs running within the TTL, takes nothing") {
    World w;
    const auto fleet = fleet_of(30);
    Node a(w, "a", fleet);
    for (int i = 0; i < 3; ++i) tick(w, {&a});
    REQUIRE(a.running.size() == 30);
    a.leases.down = true;
    const int calls = a.leases.acquire_calls;
    tick(w, {&a});
    CHECK(a.running.size() == 30);  // well within the TTL by the keeper's own clock
    CHECK(a.leases.acquire_calls == calls);
    a.leases.down = false;
    tick(w, {&a});
    CHECK(a.running.size() == 30);
}

TEST_CASE("LeaseKeeper: a path created at another node since the last round resolves after a shared refresh") {
    World w;
    const auto fleet = fleet_of(10);
    Node a(w, "a", fleet), b(w, "b", fleet);
    for (int i = 0; i < 4; ++i) tick(w, {&a, &b});
    REQUIRE(!b.running.empty());
    const std::string theirs = *b.running.begin();
    w.cr_paths["/new-path"] = theirs;  // b created the CPE's state after a's last round
    CHECK(a.routes.for_cr_path("/new-path").kind == app::ClusterRoute::Kind::unknown);

    a.keeper->start();  // the thread serves refreshes (its first round runs here)
    const int reads = w.cr_path_reads.load();
    std::vector<std::promise<void>> done(5);
    for (auto& d : done) a.keeper->refresh([&d] { d.set_value(); });
    for (auto& d : done) CHECK(d.get_future().wait_for(5s) == std::future_status::ready);
    // Five callers, at most two reads: one refresh per second, shared by whoever waits for it.
    CHECK(w.cr_path_reads.load() - reads <= 2);
    auto route = a.routes.for_cr_path("/new-path");
    CHECK(route.kind == app::ClusterRoute::Kind::forward);
    CHECK(route.url == "http://b:2");
    a.keeper->stop();
    bool called = false;
    a.keeper->refresh([&] { called = true; });  // stopped: answered at once
    CHECK(called);
}

TEST_CASE("LeaseKeeper: a node stopping gracefully releases each lease once its CPE handed over; others take them at their next round") {
    World w;
    const auto fleet = fleet_of(300);
    Node a(w, "a", fleet), b(w, "b", fleet), c(w, "c", fleet);
    for (int i = 0; i < 8; ++i) tick(w, {&a, &b, &c});
    REQUIRE(c.running.size() == 100);
    // c's bridge hands every CPE over (as Bridge::cluster_drain); two are still in session.
    const auto c_had = c.running;
    auto it = c_had.begin();
    const std::string slow1 = *it++, slow2 = *it++;
    c.keeper->drain_now(c_had);
    CHECK(c.keeper->draining() == 100);
    CHECK_FALSE(w.seen.count("c"));  // left bridge.nodes at once
    for (const auto& id : c_had)
        if (id != slow1 && id != slow2) c.keeper->handed_over(id);
    c.keeper->release_handed_over();
    CHECK(c.keeper->draining() == 2);
    CHECK(w.owned_by("c") == 2);
    // A hand-over's release moves the token on: a late write of the old holder is refused.
    const std::string released = *std::next(c_had.begin(), 5);
    CHECK(w.leases.at(released).node.empty());
    CHECK_FALSE(c.store.save(released, "late"));
    // One round of the others (a third of the TTL, not a whole TTL): they hold all but the two in session.
    tick(w, {&a, &b});
    CHECK(w.owned_by("a") + w.owned_by("b") == 298);
    check_exclusive(w, {&a, &b});
    c.keeper->handed_over(slow1);
    c.keeper->handed_over(slow2);
    c.keeper->release_handed_over();
    CHECK(c.keeper->draining() == 0);
    CHECK(w.owned_by("c") == 0);
    tick(w, {&a, &b});
    CHECK(w.owned_by("a") + w.owned_by("b") == 300);
    CHECK(w.owned_by("a") == 150);
}

TEST_CASE("LeaseKeeper: a drained keeper's thread answers take() with false and stops within its bound") {
    World w;
    const auto fleet = fleet_of(30);
    Node a(w, "a", fleet);
    for (int i = 0; i < 4; ++i) tick(w, {&a});
    a.keeper->start();  // one more round here, then the thread (its next round is seconds away)
    REQUIRE(a.keeper->held() == 30);
    a.keeper->drain(a.running, 300ms);
    CHECK(a.keeper->draining() == 30);
    std::promise<bool> took;
    a.keeper->take("GW-0001", [&](bool ok) { took.set_value(ok); });
    auto f = took.get_future();
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    CHECK_FALSE(f.get());
    for (int i = 0; i < 10; ++i) a.keeper->handed_over(*std::next(a.running.begin(), i));
    for (int i = 0; i < 100 && a.keeper->draining() > 20; ++i) std::this_thread::sleep_for(10ms);
    CHECK(a.keeper->draining() == 20);
    // The other 20 never hand over: past the bound they are left to expire.
    for (int i = 0; i < 100 && a.keeper->draining() > 0; ++i) std::this_thread::sleep_for(10ms);
    CHECK(a.keeper->draining() == 0);
    a.keeper->stop();
    CHECK(w.owned_by("a") == 20);
}

TEST_CASE("LeaseKeeper: its round publishes the nodes, their heartbeat ages and their leases for the admin listener") {
    World w;
    const auto fleet = fleet_of(300);
    Node a(w, "a", fleet), b(w, "b", fleet), c(w, "c", fleet);
    CHECK(a.keeper->view() == nullptr);
    for (int i = 0; i < 8; ++i) tick(w, {&a, &b, &c});
    auto v = a.keeper->view();
    REQUIRE(v);
    CHECK(v->self == "a");
    CHECK(v->gateways == 300);
    CHECK(v->owned == 300);
    REQUIRE(v->nodes.size() == 3);
    for (const auto& n : v->nodes) {
        CHECK(n.alive);
        CHECK(n.leases == 100);
        CHECK(n.cmp_url == "http://" + n.node + ":1");
    }
    // c stops renewing and heartbeating: a's rounds show it ageing, then not alive, then without leases.
    tick(w, {&a, &b});
    v = a.keeper->view();
    CHECK(v->nodes[2].node == "c");
    CHECK(v->nodes[2].heartbeat_age_ms == (kTtl / 3).count());
    CHECK(v->nodes[2].alive);
    for (int i = 0; i < 6; ++i) tick(w, {&a, &b});
    v = a.keeper->view();
    CHECK_FALSE(v->nodes[2].alive);
    CHECK(v->nodes[2].leases == 0);
    CHECK(v->nodes[0].leases + v->nodes[1].leases == 300);
    // A node that left bridge.nodes while its leases still run shows as a holder without a heartbeat.
    b.keeper->drain_now({});
    w.leases[*fleet.begin()].node = "b";  // one lease b still holds
    w.leases[*fleet.begin()].expires = w.now + kTtl;
    a.keeper->refresh_now();
    v = a.keeper->view();
    auto left = std::find_if(v->nodes.begin(), v->nodes.end(), [](const auto& n) { return n.node == "b"; });
    REQUIRE(left != v->nodes.end());
    CHECK(left->heartbeat_age_ms == -1);
    CHECK_FALSE(left->alive);
    CHECK(left->leases >= 1);
}
