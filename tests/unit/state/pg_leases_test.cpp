// Leases with fencing against a real PostgreSQL: two "nodes" (two PgLeases
// and two PgStores on their own connections) contend for the same gateways.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "bridge/state/pg_leases.hpp"
#include "bridge/state/pg_store.hpp"
#include "state_test_util.hpp"
#include "tests/pg_server.hpp"

using namespace std::chrono_literals;

namespace {

struct Node {
    std::string id;
    std::unique_ptr<state::PgLeases> leases;
    std::unique_ptr<state::PgStore> store;
};

Node node(test_pg::Server& pg, std::string id) {
    auto l = state::PgLeases::open(pg.dsn());
    REQUIRE_MESSAGE(l, (l ? "" : l.error().message));
    auto s = state::PgStore::open({pg.dsn()});
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    return Node{std::move(id), std::move(*l), std::move(*s)};
}

core::Status fenced_save(state::PgStore& store, const std::string& key, const std::string& blob, std::int64_t token) {
    std::mutex m;
    std::condition_variable cv;
    std::optional<core::Status> result;
    store.save_async_fenced(key, blob, token, [&](core::Status st) {
        std::lock_guard lock(m);
        result = std::move(st);
        cv.notify_one();
    });
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return result.has_value(); });
    return std::move(*result);
}

}  // namespace

TEST_CASE("Leases: takeover only after expiry, the old owner fenced, tokens never go back") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    Node a = node(*pg, "node-a"), b = node(*pg, "node-b");
    const std::string key = "lease-gw-1";
    // Margins of half a TTL: ctest runs other tests beside this one.
    constexpr auto ttl = 1000ms;

    auto la = a.leases->acquire(key, a.id, ttl);
    REQUIRE(la);
    REQUIRE(*la);
    CHECK((*la)->node == "node-a");
    const std::int64_t first = (*la)->token;
    CHECK(first >= 1);
    auto seen = b.leases->owner(key);
    REQUIRE(seen);
    REQUIRE(*seen);
    CHECK((*seen)->node == "node-a");
    CHECK((*seen)->token == first);

    // Held: B is refused.
    auto lb = b.leases->acquire(key, b.id, ttl);
    REQUIRE(lb);
    CHECK(!*lb);
    REQUIRE(fenced_save(*a.store, key, "written by a", first));

    // Renewed: still A's past the first expiry.
    std::this_thread::sleep_for(500ms);
    REQUIRE(a.leases->renew(**la, ttl));
    std::this_thread::sleep_for(600ms);
    lb = b.leases->acquire(key, b.id, ttl);
    REQUIRE(lb);
    CHECK(!*lb);

    // A stops renewing (paused); after expiry B takes over with a larger token.
    std::this_thread::sleep_for(ttl + 100ms);
    auto free = b.leases->owner(key);
    REQUIRE(free);
    CHECK(!*free);
    lb = b.leases->acquire(key, b.id, 30s);
    REQUIRE(lb);
    REQUIRE(*lb);
    CHECK((*lb)->node == "node-b");
    CHECK((*lb)->token > first);

    // A wakes up: its write with the old token is refused and not acknowledged,
    // its renewal too; B's state stands.
    REQUIRE(fenced_save(*b.store, key, "written by b", (*lb)->token));
    auto stale = fenced_save(*a.store, key, "stale write by a", first);
    REQUIRE(!stale);
    CHECK(stale.error().code == "state.fenced");
    CHECK(**b.store->load(key) == "written by b");
    auto renewal = a.leases->renew(**la, ttl);
    REQUIRE(!renewal);
    CHECK(renewal.error().code == "state.lease_lost");
    // Releasing what it no longer holds changes nothing.
    REQUIRE(a.leases->release(**la));
    CHECK((*b.leases->owner(key))->node == "node-b");

    // B releases: free at once, B's writes fenced from then on, and the next
    // grant's token is larger still.
    REQUIRE(b.leases->release(**lb));
    CHECK(!*a.leases->owner(key));
    CHECK(fenced_save(*b.store, key, "after release", (*lb)->token).error().code == "state.fenced");
    auto again = a.leases->acquire(key, a.id, ttl);
    REQUIRE(again);
    REQUIRE(*again);
    CHECK((*again)->token > (*lb)->token);
    // B's token is stale now in turn.
    CHECK(fenced_save(*b.store, key, "late b", (*lb)->token).error().code == "state.fenced");
    CHECK(**a.store->load(key) == "written by b");
    REQUIRE(fenced_save(*a.store, key, "a again", (*again)->token));
    CHECK(**b.store->load(key) == "a again");
}

TEST_CASE("Leases: a fenced write of a key nobody ever leased is refused; unfenced writes ignore leases") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    Node a = node(*pg, "node-a");
    CHECK(fenced_save(*a.store, "never-leased", "x", 1).error().code == "state.fenced");
    CHECK(!*a.store->load("never-leased"));
    REQUIRE(a.store->save("never-leased", "plain"));
    CHECK(**a.store->load("never-leased") == "plain");
}

TEST_CASE("Leases: a batch mixes fenced and plain writes; only the stale one is refused") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    Node a = node(*pg, "node-a"), b = node(*pg, "node-b");
    // A held mix-theirs once; B holds it now.
    auto once = a.leases->acquire("mix-theirs", a.id, 30s);
    REQUIRE((once && *once));
    REQUIRE(a.leases->release(**once));
    auto mine = a.leases->acquire("mix-mine", a.id, 30s);
    auto theirs = b.leases->acquire("mix-theirs", b.id, 30s);
    REQUIRE((mine && *mine && theirs && *theirs));
    std::mutex m;
    std::map<std::string, std::string> outcome;
    state_test::Completions done;
    auto record = [&](std::string what) {
        auto d = done.done();
        return [&, what, d](core::Status st) {
            {
                std::lock_guard lock(m);
                outcome[what] = st ? "ok" : st.error().code;
            }
            d(st);
        };
    };
    a.store->save_async_fenced("mix-mine", "m", (*mine)->token, record("mine"));
    a.store->save_async_fenced("mix-theirs", "t", (*once)->token, record("theirs"));
    a.store->save_async("mix-plain", "p", record("plain"));
    done.wait(3);
    CHECK(outcome["mine"] == "ok");
    CHECK(outcome["theirs"] == "state.fenced");
    CHECK(outcome["plain"] == "ok");
}

TEST_CASE("Leases: 3,000 gateways acquired and renewed in one statement each") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    Node a = node(*pg, "bulk-a"), b = node(*pg, "bulk-b");
    std::vector<std::string> keys;
    for (int i = 0; i < 3000; ++i) keys.push_back("bulk-gw-" + std::to_string(i));
    const auto t0 = std::chrono::steady_clock::now();
    auto got = a.leases->acquire_many(keys, a.id, 30s);
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE_MESSAGE(got, (got ? "" : got.error().message));
    CHECK(got->size() == 3000);
    auto renewed = a.leases->renew_all(a.id, 30s);
    const auto t2 = std::chrono::steady_clock::now();
    REQUIRE(renewed);
    CHECK(renewed->size() == 3000);
    MESSAGE("acquire_many(3000): " << std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count()
                                   << " ms, renew_all: "
                                   << std::chrono::duration_cast<std::chrono::milliseconds>(t2 - t1).count() << " ms");
    // Held: the other node gets none of them; partly free sets split cleanly.
    auto none = b.leases->acquire_many(keys, b.id, 30s);
    REQUIRE(none);
    CHECK(none->empty());
    // One release in 30 (each is a commit of its own: 100, not 1,500, keeps the test short).
    for (int i = 0; i < 3000; i += 30) REQUIRE(a.leases->release((*got)[static_cast<std::size_t>(i)]));
    auto some = b.leases->acquire_many(keys, b.id, 30s);
    REQUIRE(some);
    CHECK(some->size() == 100);
    auto kept = a.leases->renew_all(a.id, 30s);
    REQUIRE(kept);
    CHECK(kept->size() == 2900);
}

TEST_CASE("Leases: the same node takes its own lease back with a new token; bad arguments refused") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    Node a = node(*pg, "node-a");
    auto l1 = a.leases->acquire("own-gw", a.id, 30s);
    auto l2 = a.leases->acquire("own-gw", a.id, 30s);
    REQUIRE((l1 && *l1 && l2 && *l2));
    CHECK((*l2)->token == (*l1)->token + 1);
    // The first grant's holder (a previous life of this node) is fenced.
    CHECK(fenced_save(*a.store, "own-gw", "old life", (*l1)->token).error().code == "state.fenced");
    CHECK(a.leases->acquire("own-gw", "bad node/id", 30s).error().code == "state.invalid_node");
    CHECK(a.leases->acquire("bad/key", a.id, 30s).error().code == "state.bad_key");
    CHECK(a.leases->acquire("own-gw", a.id, 0ms).error().code == "state.invalid_ttl");
}

TEST_CASE("Leases: a fenced write racing a takeover waits for it, then is refused") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    Node a = node(*pg, "race-a");
    auto la = a.leases->acquire("race-gw", a.id, 30s);
    REQUIRE((la && *la));
    // Another node's takeover in progress: the lease row updated, not committed yet.
    auto c = state::pg::Connection::open(pg->dsn());
    REQUIRE(c);
    REQUIRE((*c)->run("BEGIN"));
    REQUIRE((*c)->exec("UPDATE bridge.leases SET node = 'race-b', token = token + 1 WHERE key = 'race-gw'"));
    std::mutex m;
    std::condition_variable cv;
    std::optional<core::Status> result;
    a.store->save_async_fenced("race-gw", "stale", (*la)->token, [&](core::Status st) {
        std::lock_guard lock(m);
        result = std::move(st);
        cv.notify_one();
    });
    // The write waits on the lease row rather than trusting the token it saw before the takeover.
    std::this_thread::sleep_for(300ms);
    {
        std::lock_guard lock(m);
        CHECK(!result.has_value());
    }
    REQUIRE((*c)->run("COMMIT"));
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return result.has_value(); });
    REQUIRE(!*result);
    CHECK(result->error().code == "state.fenced");
    CHECK(!*a.store->load("race-gw"));
}
