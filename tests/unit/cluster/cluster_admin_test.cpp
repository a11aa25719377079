// The admin listener's view of a cluster: the nodes and their leases in
// /status.json and on the status page (app::status_json, app::status_html,
// AdminServer with AdminHooks::cluster), from the keeper's snapshot.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "bridge/app/admin_server.hpp"
#include "bridge/app/admin_status.hpp"

namespace {

app::ClusterView three_nodes(app::Clock::time_point now) {
    app::ClusterView c;
    c.self = "n1";
    c.as_of = now - std::chrono::seconds(3);
    c.lease_ttl = std::chrono::seconds(30);
    c.gateways = 300;
    c.owned = 290;
    c.nodes = {{"n1", "http://10.0.0.1:7547", "http://10.0.0.1:7548", 1200, true, 150},
               {"n2", "http://10.0.0.2:7547", "http://10.0.0.2:7548", 4500, true, 140},
               {"n3", "http://10.0.0.3:7547", "http://10.0.0.3:7548", 45'000, false, 0},
               {"n<4>", "", "", -1, false, 0}};
    return c;
}

}  // namespace

TEST_CASE("status JSON: the cluster's nodes, heartbeat ages, liveness and leases; none for a single bridge") {
    const auto now = app::Clock::now();
    const auto c = three_nodes(now);
    const std::string json = app::status_json({}, {}, now, &c);
    CHECK(json.find("\"cluster\":{\"node\":\"n1\"") != std::string::npos);
    CHECK(json.find("\"lease_ttl_s\":30,\"gateways\":300,\"owned\":290") != std::string::npos);
    CHECK(json.find("{\"node\":\"n2\",\"cmp_url\":\"http://10.0.0.2:7547\",\"cr_url\":\"http://10.0.0.2:7548\","
                    "\"heartbeat_age_s\":4.5,\"alive\":true,\"leases\":140,\"self\":false}") != std::string::npos);
    CHECK(json.find("\"node\":\"n1\",\"cmp_url\":\"http://10.0.0.1:7547\",\"cr_url\":\"http://10.0.0.1:7548\","
                    "\"heartbeat_age_s\":1.2,\"alive\":true,\"leases\":150,\"self\":true") != std::string::npos);
    CHECK(json.find("\"node\":\"n3\",\"cmp_url\":\"http://10.0.0.3:7547\",\"cr_url\":\"http://10.0.0.3:7548\","
                    "\"heartbeat_age_s\":45.0,\"alive\":false,\"leases\":0") != std::string::npos);
    CHECK(json.find("\"node\":\"n<4>\",\"cmp_url\":null,\"cr_url\":null,\"heartbeat_age_s\":null") != std::string::npos);
    CHECK(app::status_json({}, {}, now).find("cluster") == std::string::npos);
}

TEST_CASE("status page: a Cluster table above the gateways, escaped, nothing of it for a single bridge") {
    const auto now = app::Clock::now();
    const auto c = three_nodes(now);
    const std::string html = app::status_html({}, now, "nonce", &c);
    CHECK(html.find("<h2>Cluster</h2>") != std::string::npos);
    CHECK(html.find("4 nodes; 290 of 300 gateways leased (lease TTL 30 s)") != std::string::npos);
    CHECK(html.find("<tr data-node=\"n1\"><td>n1 <span class=\"muted\">(this node)</span></td><td><span class=\"state "
                    "online\">alive</span></td><td>1 s ago</td><td>150</td>") != std::string::npos);
    CHECK(html.find("<td>45 s ago</td><td>0</td>") != std::string::npos);
    CHECK(html.find("n&lt;4&gt;") != std::string::npos);
    CHECK(html.find("n<4>") == std::string::npos);
    CHECK(html.find("<table id=\"nodes\">") < html.find("<table id=\"gateways\">"));
    CHECK(app::status_html({}, now, "nonce").find("Cluster") == std::string::npos);
}

TEST_CASE("AdminServer: /status.json carries the hook's cluster snapshot") {
    boost::asio::io_context ioc;
    app::AdminConfig cfg;
    cfg.listen = "127.0.0.1:0";
    int asked = 0;
    app::AdminHooks hooks;
    hooks.gateways = [] { return std::vector<app::GatewayView>{}; };
    hooks.ready = [] { return true; };
    hooks.cluster = [&]() -> std::shared_ptr<const app::ClusterView> {
        ++asked;
        return std::make_shared<const app::ClusterView>(three_nodes(app::Clock::now()));
    };
    app::AdminServer server(ioc, cfg, hooks);
    http::Request req;
    req.method = "GET";
    req.target = "/status.json";
    auto f = boost::asio::co_spawn(ioc, server.handle(req, net::PeerInfo{"127.0.0.1", 1}), boost::asio::use_future);
    ioc.run();
    const http::Response r = f.get();
    CHECK(r.status == 200);
    CHECK(r.body.find("\"cluster\":{\"node\":\"n1\"") != std::string::npos);
    CHECK(asked == 1);
}
