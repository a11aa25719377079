// plan_round: the lease keeper's decisions for one round, by plain function calls.
#include <doctest/doctest.h>

#include <cstdio>

#include "bridge/app/cluster_plan.hpp"
#include "bridge/app/cluster_routes.hpp"

using namespace std::chrono_literals;

namespace {

std::set<std::string> ids(int from, int to) {
    std::set<std::string> out;
    for (int i = from; i <= to; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "GW-%04d", i);
        out.insert(id);
    }
    return out;
}

}  // namespace

TEST_CASE("plan_round: the share is the fleet over the live nodes, rounded up") {
    app::RoundView v;
    v.fleet = ids(1, 301);
    v.live_nodes = 3;
    auto p = app::plan_round(v);
    CHECK(p.share == 101);
    v.live_nodes = 0;  // the directory not answering yet counts this node alone
    CHECK(app::plan_round(v).share == 301);
}

TEST_CASE("plan_round: a node below its share asks for a bounded number of the others' gateways") {
    app::RoundView v;
    v.fleet = ids(1, 300);
    v.live_nodes = 1;
    v.held = ids(1, 10);
    v.running = v.held;
    auto p = app::plan_round(v);
    CHECK(p.share == 300);
    CHECK(p.acquire == 100);  // a third of the share per round: no storm
    CHECK(p.candidates.size() == 290);
    CHECK(p.candidates.front() == "GW-0011");
    CHECK(p.stop.empty());
    CHECK(p.release.empty());

    app::ClusterPolicy tight;
    tight.max_acquire = 7;
    CHECK(app::plan_round(v, tight).acquire == 7);

    v.held = ids(1, 295);
    v.running = v.held;
    CHECK(app::plan_round(v).acquire == 5);  // never past the share
}

TEST_CASE("plan_round: above share + slack the last ones are handed over, at most a bounded number") {
    app::RoundView v;
    v.fleet = ids(1, 300);
    v.live_nodes = 4;  // share 75, slack 3
    v.held = ids(1, 150);
    v.running = v.held;
    auto p = app::plan_round(v);
    CHECK(p.share == 75);
    CHECK(p.acquire == 0);
    REQUIRE(p.release.size() == 25);  // a third of the share per round
    CHECK(p.release.front() == "GW-0126");
    CHECK(p.release.back() == "GW-0150");

    v.held = ids(1, 78);  // within the slack: kept, no flapping over a rounding difference
    v.running = v.held;
    CHECK(app::plan_round(v).release.empty());
    v.held = ids(1, 79);
    v.running = v.held;
    CHECK(app::plan_round(v).release.size() == 4);

    // Handed over already: not counted twice, not released twice.
    v.held = ids(1, 100);
    v.running = ids(1, 90);
    v.releasing = ids(91, 100);
    p = app::plan_round(v);
    CHECK(p.release.size() == 15);
    for (const auto& id : p.release) CHECK(v.releasing.count(id) == 0);
}

TEST_CASE("plan_round: a running CPE whose lease was not renewed stops at once") {
    app::RoundView v;
    v.fleet = ids(1, 30);
    v.live_nodes = 3;
    v.running = ids(1, 10);
    v.held = ids(1, 8);
    auto p = app::plan_round(v);
    CHECK(p.stop == std::vector<std::string>{"GW-0009", "GW-0010"});
}

TEST_CASE("plan_round: a held lease without its CPE is started (a restarted node's own gateways)") {
    app::RoundView v;
    v.fleet = ids(1, 30);
    v.live_nodes = 3;
    v.held = ids(1, 10);
    v.running = ids(1, 5);
    auto p = app::plan_round(v);
    CHECK(p.start.size() == 5);
    CHECK(p.start.front() == "GW-0006");
}

TEST_CASE("plan_round: a lease for a gateway no longer in the fleet is released") {
    app::RoundView v;
    v.fleet = ids(1, 10);
    v.held = ids(1, 11);
    v.running = ids(1, 10);
    auto p = app::plan_round(v);
    CHECK(p.release == std::vector<std::string>{"GW-0011"});
}

TEST_CASE("plan_round: renewals failing stop everything only once a whole TTL has passed") {
    app::RoundView v;
    v.fleet = ids(1, 30);
    v.running = ids(1, 10);
    v.renewed = false;
    v.ttl = 6000ms;
    v.since_renewed = 5999ms;
    auto p = app::plan_round(v);
    CHECK(p.stop.empty());
    CHECK(p.acquire == 0);  // nothing is taken while the database does not answer
    CHECK(p.release.empty());
    v.since_renewed = 6000ms;
    CHECK(app::plan_round(v).stop.size() == 10);
}

TEST_CASE("ClusterRoutes: the owner's URL while it is alive, take when it is gone, here when it is us") {
    app::ClusterRoutes routes("a");
    routes.publish({{"GW-0001", "a"}, {"GW-0002", "b"}, {"GW-0003", "c"}},
                   {{"a", "http://a:1", "http://a:2"}, {"b", "http://b:1", "http://b:2"}},
                   {{"/p2", "GW-0002"}, {"/p3", "GW-0003"}});
    CHECK(routes.for_gateway("GW-0001", false).kind == app::ClusterRoute::Kind::here);
    auto b = routes.for_gateway("GW-0002", false);
    CHECK(b.kind == app::ClusterRoute::Kind::forward);
    CHECK(b.url == "http://b:1");
    CHECK(routes.for_gateway("GW-0003", false).kind == app::ClusterRoute::Kind::take);  // c's heartbeat stopped
    CHECK(routes.for_gateway("GW-0004", false).kind == app::ClusterRoute::Kind::take);  // no lease at all
    auto cr = routes.for_cr_path("/p2");
    CHECK(cr.kind == app::ClusterRoute::Kind::forward);
    CHECK(cr.url == "http://b:2");
    CHECK(cr.gateway == "GW-0002");
    CHECK(routes.for_cr_path("/nope").kind == app::ClusterRoute::Kind::unknown);
    routes.set_owner("GW-0003", "a");
    CHECK(routes.for_gateway("GW-0003", false).kind == app::ClusterRoute::Kind::here);
}
