// The cluster directory (bridge.nodes, bridge.cr_paths, bridge.registry, the
// lease snapshot) and the fenced store against a real PostgreSQL.
#include <doctest/doctest.h>

#include <thread>

#include "bridge/state/fenced_store.hpp"
#include "bridge/state/pg_cluster.hpp"
#include "bridge/state/pg_leases.hpp"
#include "bridge/state/pg_store.hpp"
#include "tests/pg_server.hpp"

using namespace std::chrono_literals;

namespace {

template <class T>
T must(core::Result<T> r) {
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return std::move(*r);
}

}  // namespace

TEST_CASE("PgCluster: heartbeats by the database clock, leaving, URLs") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto db = must(state::PgCluster::open(pg->dsn()));
    REQUIRE(db->heartbeat({"hb-a", "http://a:1", "http://a:2"}));
    REQUIRE(db->heartbeat({"hb-b", "http://b:1", "http://b:2"}));
    auto live = must(db->live_nodes(60'000ms));
    std::map<std::string, state::NodeInfo> by;
    for (auto& n : live) by[n.node] = n;
    REQUIRE(by.count("hb-a"));
    CHECK(by["hb-a"].cmp_url == "http://a:1");
    CHECK(by["hb-b"].cr_url == "http://b:2");
    std::this_thread::sleep_for(300ms);
    // Every node with its heartbeat's age by the database clock (the admin listener's view).
    auto all = must(db->all_nodes());
    std::map<std::string, state::NodeStatus> ages;
    for (auto& n : all) ages[n.info.node] = n;
    REQUIRE(ages.count("hb-b"));
    CHECK(ages["hb-b"].heartbeat_age_ms >= 250);
    CHECK(ages["hb-b"].heartbeat_age_ms < 10'000);
    CHECK(ages["hb-b"].info.cmp_url == "http://b:1");
    REQUIRE(db->heartbeat({"hb-a", "http://a:3", "http://a:4"}));
    live = must(db->live_nodes(200ms));  // b's heartbeat is older than that
    by.clear();
    for (auto& n : live) by[n.node] = n;
    CHECK(by.count("hb-a") == 1);
    CHECK(by.count("hb-b") == 0);
    CHECK(by["hb-a"].cmp_url == "http://a:3");
    REQUIRE(db->leave("hb-a"));
    for (auto& n : must(db->live_nodes(60'000ms))) CHECK(n.node != "hb-a");
    CHECK(!db->heartbeat({"bad node", "u", "u"}));
}

TEST_CASE("PgCluster: unowned lists free, released, expired and never-taken leases; owners the live ones") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto db = must(state::PgCluster::open(pg->dsn()));
    auto leases = must(state::PgLeases::open(pg->dsn()));
    REQUIRE(must(leases->acquire("un-1", "n1", 60'000ms)));
    auto two = must(leases->acquire("un-2", "n1", 60'000ms));
    REQUIRE(two);
    REQUIRE(leases->release(*two));
    REQUIRE(must(leases->acquire("un-3", "n2", 100ms)));
    std::this_thread::sleep_for(250ms);
    auto free = must(db->unowned({"un-1", "un-2", "un-3", "un-4"}, 10));
    CHECK(free == std::vector<std::string>{"un-2", "un-3", "un-4"});
    CHECK(must(db->unowned({"un-1", "un-2", "un-3", "un-4"}, 2)).size() == 2);
    CHECK(!db->unowned({"bad/key"}, 2));
    auto owners = must(db->owners());
    CHECK(owners["un-1"] == "n1");
    CHECK(owners.count("un-2") == 0);
    CHECK(owners.count("un-3") == 0);
}

TEST_CASE("PgCluster: Connection Request paths resolve at any node; the registry is shared") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto a = must(state::PgCluster::open(pg->dsn()));
    auto b = must(state::PgCluster::open(pg->dsn()));
    REQUIRE(a->put_cr_path("/AbC-123_x", "GW-0001"));
    auto paths = must(b->cr_paths());
    CHECK(paths["/AbC-123_x"] == "GW-0001");
    CHECK(!a->put_cr_path("no-slash", "GW-0001"));
    CHECK(!a->put_cr_path("/x'; DROP TABLE x", "GW-0001"));
    REQUIRE(a->remove_cr_paths("GW-0001"));
    CHECK(must(b->cr_paths()).count("/AbC-123_x") == 0);

    auto ra = must(state::PgRegistryStore::open(pg->dsn()));
    auto rb = must(state::PgRegistryStore::open(pg->dsn()));
    REQUIRE(ra->save("SELF-1", std::string("id: SELF-1\0binary", 17)));
    auto got = must(rb->load("SELF-1"));
    REQUIRE(got);
    CHECK(*got == std::string("id: SELF-1\0binary", 17));
    CHECK(must(rb->keys()) == std::vector<std::string>{"SELF-1"});
    REQUIRE(rb->remove("SELF-1"));
    CHECK(!must(ra->load("SELF-1")));
    CHECK(!ra->save("../x", "y"));
}

TEST_CASE("FencedStore over PgStore: a paused old owner's writes are refused, the new owner's state stays") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto leases = must(state::PgLeases::open(pg->dsn()));
    auto store_a = must(state::PgStore::open({pg->dsn()}));
    auto store_b = must(state::PgStore::open({pg->dsn()}));
    state::FencedStore a(*store_a, *store_a), b(*store_b, *store_b);
    CHECK(a.save("fence-1", "nobody holds it").error().code == "state.fenced");  // no lease, no write

    auto la = must(leases->acquire("fence-1", "node-a", 200ms));
    REQUIRE(la);
    a.set_token("fence-1", la->token);
    REQUIRE(a.save("fence-1", "a1"));
    std::this_thread::sleep_for(350ms);  // a is paused past its TTL
    auto lb = must(leases->acquire("fence-1", "node-b", 60'000ms));
    REQUIRE(lb);
    b.set_token("fence-1", lb->token);
    REQUIRE(b.save("fence-1", "b1"));
    auto refused = a.save("fence-1", "a2 after the pause");  // a wakes up and writes
    REQUIRE(!refused);
    CHECK(refused.error().code == "state.fenced");
    CHECK(*must(store_b->load("fence-1")) == "b1");
    b.clear_token("fence-1");
    CHECK(b.save("fence-1", "b2").error().code == "state.fenced");
}

TEST_CASE("A node frozen in the middle of a fenced commit blocks a takeover only until the server ends its session") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto leases = must(state::PgLeases::open(pg->dsn()));
    REQUIRE(must(leases->acquire("frozen-1", "node-a", 100ms)));
    // What PgStore's fenced write holds while its COMMIT is pending: the lease row share-locked.
    auto frozen = must(state::pg::Connection::open(pg->dsn()));
    REQUIRE(frozen->run("BEGIN"));
    REQUIRE(frozen->exec("SELECT token FROM bridge.leases WHERE key = 'frozen-1' FOR SHARE"));
    std::this_thread::sleep_for(200ms);  // the lease has expired; node-a is frozen (it sends nothing more)
    const auto began = std::chrono::steady_clock::now();
    std::optional<state::Lease> got;
    int refused = 0;
    while (!got && std::chrono::steady_clock::now() - began < 15s) {
        auto r = leases->acquire("frozen-1", "node-b", 60'000ms);
        if (!r) {
            ++refused;  // lock_timeout: the keeper's round fails and the next one asks again
            continue;
        }
        got = *r;
    }
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    MESSAGE("taken over after " << waited << " s, " << refused << " attempts refused by lock_timeout");
    REQUIRE(got);
    CHECK(got->node == "node-b");
    CHECK(refused >= 1);
    CHECK(waited < 9.0);  // idle_in_transaction_session_timeout (5 s) + one lock_timeout (3 s)
    CHECK(!frozen->exec("SELECT 1"));  // the frozen session was ended by the server
}
