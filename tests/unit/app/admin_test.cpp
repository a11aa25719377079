// The admin listener without sockets: the JSON of the status (its shape,
// escaping, the ?q= and ?state= filters), the HTML's escaping, the query
// parsing, and AdminServer::handle's routing, credentials, cross-site
// refusal and actions, with hooks standing in for app::Bridge.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "bridge/app/admin_server.hpp"
#include "bridge/http/encoding.hpp"

using namespace app;
using namespace std::chrono;

namespace {

const Clock::time_point kNow = Clock::time_point(seconds(1'800'000'000));  // 2027-01-15T08:00:00Z

std::vector<GatewayView> fleet() {
    GatewayView a;
    a.status.id = "GW-0001";
    a.status.online = true;
    a.status.bootstrapped = true;
    a.status.device_id = {"Acme", "00D09E", "HG-1", "SN-AAA"};
    a.status.last_inform = kNow - seconds(42);
    a.status.last_inform_events = {"0 BOOTSTRAP", "1 BOOT"};
    a.status.last_outcome = "done";
    GatewayView b;
    b.status.id = "GW-0002";
    b.status.online = false;
    b.status.pending_events = {"1 BOOT", "M Reboot (key \"1\")"};
    b.status.last_error = "no Inform: <gateway> \"unreachable\"";
    b.status.retry_count = 2;
    b.self_registered = true;
    return {a, b};
}

YAML::Node parse(const std::string& json) { return YAML::Load(json); }  // JSON is YAML's flow style

}  // namespace

TEST_CASE("status JSON: every gateway with its state, times in UTC, null for what never happened") {
    auto doc = parse(status_json(fleet(), {}, kNow));
    CHECK(doc["total"].as<int>() == 2);
    CHECK(doc["online"].as<int>() == 1);
    CHECK(doc["offline"].as<int>() == 1);
    CHECK(doc["matched"].as<int>() == 2);
    CHECK(doc["generated"].as<std::string>() == "2027-01-15T08:00:00Z");
    auto a = doc["gateways"][0], b = doc["gateways"][1];
    CHECK(a["id"].as<std::string>() == "GW-0001");
    CHECK(a["state"].as<std::string>() == "online");
    CHECK(a["bootstrapped"].as<bool>());
    CHECK_FALSE(a["self_registered"].as<bool>());
    CHECK(a["last_inform"].as<std::string>() == "2027-01-15T07:59:18Z");
    CHECK(a["last_inform_events"].size() == 2);
    CHECK(a["device"]["serial_number"].as<std::string>() == "SN-AAA");
    CHECK(a["last_fault"].IsNull());
    CHECK(b["state"].as<std::string>() == "offline");
    CHECK(b["self_registered"].as<bool>());
    CHECK(b["last_inform"].IsNull());
    CHECK(b["retry_count"].as<int>() == 2);
    // Quotes in values are escaped, so the document still parses and keeps them.
    CHECK(b["pending_events"][1].as<std::string>() == "M Reboot (key \"1\")");
    CHECK(b["last_error"].as<std::string>() == "no Inform: <gateway> \"unreachable\"");
}

TEST_CASE("status JSON filters: id or serial substring, case-insensitive; state") {
    CHECK(parse(status_json(fleet(), {"gw-0002", ""}, kNow))["matched"].as<int>() == 1);
    CHECK(parse(status_json(fleet(), {"sn-aaa", ""}, kNow))["gateways"][0]["id"].as<std::string>() == "GW-0001");
    CHECK(parse(status_json(fleet(), {"", "offline"}, kNow))["gateways"][0]["id"].as<std::string>() == "GW-0002");
    auto none = parse(status_json(fleet(), {"GW-0001", "offline"}, kNow));
    CHECK(none["matched"].as<int>() == 0);
    CHECK(none["gateways"].size() == 0);
    CHECK(none["total"].as<int>() == 2);  // the totals are the fleet's, not the selection's
}

TEST_CASE("the status page escapes what gateways and faults say, and names the gateways with their state") {
    const std::string html = status_html(fleet(), kNow, "n0nce");
    CHECK(html.find("no Inform: &lt;gateway&gt; &quot;unreachable&quot;") != std::string::npos);
    CHECK(html.find("<gateway>") == std::string::npos);
    CHECK(html.find("<tr data-id=\"GW-0002\" data-state=\"offline\"") != std::string::npos);
    CHECK(html.find("<script nonce=\"n0nce\">") != std::string::npos);
    CHECK(html.find("42 s ago") != std::string::npos);
    CHECK(html.find("http://") == std::string::npos);  // nothing loaded from elsewhere
    const std::string detail = gateway_html(fleet()[1], kNow, "n");
    CHECK(detail.find("id=\"drop\"") != std::string::npos);
    CHECK(gateway_html(fleet()[0], kNow, "n").find("id=\"drop\"") == std::string::npos);
}

TEST_CASE("query strings and relative times") {
    auto [path, params] = split_target("/status.json?q=GW%2D0002&state=online&x");
    CHECK(path == "/status.json");
    CHECK(params["q"] == "GW-0002");
    CHECK(params["state"] == "online");
    CHECK(params.count("x") == 1);
    CHECK(split_target("/s?q=a+b%zz").second["q"] == "a b%zz");
    CHECK(relative(kNow - seconds(5), kNow) == "5 s ago");
    CHECK(relative(kNow, kNow) == "now");
    CHECK(relative(kNow + minutes(3), kNow) == "in 3 min");
    CHECK(relative(kNow - hours(5), kNow) == "5 h ago");
    CHECK(relative(kNow - hours(72), kNow) == "3 d ago");
}

namespace {

struct Fixture {
    boost::asio::io_context ioc;
    AdminConfig config;
    std::vector<std::string> informed, dropped;
    std::unique_ptr<AdminServer> server;

    Fixture() {
        config.listen = "127.0.0.1:0";
        config.username = "ops";
        config.password = "pw";
        config.token = "0123456789abcdef-token";
        server = std::make_unique<AdminServer>(
            ioc, config,
            AdminHooks{[] { return fleet(); }, [] { return true; },
                       [this](const std::string& id) {
                           informed.push_back(id);
                           return id == "GW-0001";
                       },
                       [this](const std::string& id, std::function<void(int, std::string)> done) {
                           dropped.push_back(id);
                           done(id == "GW-0002" ? 200 : 409, "result for " + id);
                       }});
    }
    http::Response call(std::string method, std::string target, http::Headers headers = {}) {
        http::Request r;
        r.method = std::move(method);
        r.target = std::move(target);
        r.headers = std::move(headers);
        auto f = boost::asio::co_spawn(ioc, server->handle(std::move(r), net::PeerInfo{"127.0.0.1", 1, false}),
                                       boost::asio::use_future);
        ioc.restart();
        ioc.run();
        return f.get();
    }
    http::Headers bearer() const { return {{"Authorization", "Bearer " + config.token}}; }
};

}  // namespace

TEST_CASE("admin credentials: Basic or Bearer, anything else 401 with the challenges; probes need none") {
    Fixture f;
    CHECK(f.call("GET", "/healthz").status == 200);
    CHECK(f.call("GET", "/readyz").status == 200);
    auto refused = f.call("GET", "/metrics");
    CHECK(refused.status == 401);
    CHECK(refused.find_all("WWW-Authenticate").size() == 2);
    CHECK(f.call("GET", "/metrics", {{"Authorization", "Bearer wrong-token-0123456789"}}).status == 401);
    CHECK(f.call("GET", "/metrics", {{"Authorization", "Basic " + http::base64_encode("ops:nope")}}).status == 401);
    CHECK(f.call("GET", "/status.json", {{"Authorization", "Basic " + http::base64_encode("ops:pw")}}).status == 200);
    auto metrics = f.call("GET", "/metrics", f.bearer());
    CHECK(metrics.status == 200);
    CHECK(*metrics.find("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    // The gauges are the fleet's status at the scrape.
    CHECK(metrics.body.find("bridge_gateways{state=\"online\"} 1\n") != std::string::npos);
    CHECK(metrics.body.find("bridge_gateways_retrying 1\n") != std::string::npos);
    CHECK(metrics.body.find("bridge_pending_events{event=\"M Reboot\"} 1\n") != std::string::npos);
}

TEST_CASE("admin routes: pages, JSON, details, 404s and 405s") {
    Fixture f;
    auto page = f.call("GET", "/status", f.bearer());
    CHECK(page.status == 200);
    CHECK(page.find("Content-Security-Policy")->find("script-src 'nonce-") != std::string::npos);
    CHECK(f.call("GET", "/status.json?state=online", f.bearer()).body.find("\"matched\":1") != std::string::npos);
    CHECK(f.call("GET", "/status.json?state=sleeping", f.bearer()).status == 400);
    CHECK(parse(f.call("GET", "/status/GW-0002.json", f.bearer()).body)["retry_count"].as<int>() == 2);
    CHECK(f.call("GET", "/status/GW-0002", f.bearer()).body.find("<h1>GW-0002") != std::string::npos);
    CHECK(f.call("GET", "/status/GW-0404.json", f.bearer()).status == 404);
    CHECK(f.call("GET", "/nothing", f.bearer()).status == 404);
    CHECK(f.call("POST", "/status", f.bearer()).status == 405);
    CHECK(f.call("GET", "/actions/GW-0001/inform", f.bearer()).status == 405);
    CHECK(f.call("POST", "/actions/GW-0001/reboot", f.bearer()).status == 404);
    CHECK(f.informed.empty());
}

TEST_CASE("admin actions: inform and drop through the hooks; a cross-site POST is refused") {
    Fixture f;
    CHECK(f.call("POST", "/actions/GW-0001/inform", f.bearer()).status == 202);
    CHECK(f.call("POST", "/actions/GW-0404/inform", f.bearer()).status == 404);
    CHECK(f.informed == std::vector<std::string>{"GW-0001", "GW-0404"});
    auto dropped = f.call("POST", "/actions/GW-0002/drop", f.bearer());
    CHECK(dropped.status == 200);
    CHECK(dropped.body == "result for GW-0002\n");
    CHECK(f.call("POST", "/actions/GW-0001/drop", f.bearer()).status == 409);
    http::Headers cross = f.bearer();
    cross.push_back({"Host", "127.0.0.1:9100"});
    cross.push_back({"Origin", "http://evil.example"});
    CHECK(f.call("POST", "/actions/GW-0002/drop", cross).status == 403);
    http::Headers same = f.bearer();
    same.push_back({"Host", "127.0.0.1:9100"});
    same.push_back({"Origin", "http://127.0.0.1:9100"});
    CHECK(f.call("POST", "/actions/GW-0001/inform", same).status == 202);
    CHECK(f.dropped == std::vector<std::string>{"GW-0002", "GW-0001"});
}
