#pragma once
// The admin listener (docs/operations.md, "Monitoring and the admin
// listener"): Prometheus metrics, health and readiness, the status page and
// its JSON, and the operator's actions. Transport and routing only: what it
// shows and does comes through AdminHooks (app::Bridge provides them), what
// the pages look like from admin_status.hpp.
//
//   GET  /healthz                 200 while the process serves (no credentials)
//   GET  /readyz                  200 once listeners are bound and the store is open, else 503 (no credentials)
//   GET  /metrics                 Prometheus text format 0.0.4
//   GET  /status, /status.json    every gateway (?q= id or serial substring, ?state=online|offline);
//                                 with several bridges also the nodes and their leases
//   GET  /status/<id>, /status/<id>.json
//   POST /actions/<id>/inform     the CPE Informs now ("2 PERIODIC")
//   POST /actions/<id>/drop       forget a self-registered gateway (a configured one: 409)
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/app/admin_status.hpp"
#include "bridge/app/config.hpp"
#include "bridge/core/result.hpp"
#include "bridge/net/http_server.hpp"

namespace app {

struct AdminHooks {
    std::function<std::vector<GatewayView>()> gateways;  // every CPE, by id
    std::function<bool()> ready;
    std::function<bool(const std::string& id)> inform;  // false: no such gateway
    // Drops a self-registered gateway; `done(status, message)` is called
    // once, from any thread: 200 dropped, 404 unknown, 409 configured, 500.
    std::function<void(const std::string& id, std::function<void(int, std::string)> done)> drop;
    // The listeners' counters by name ("cr", "cmp"), for /metrics; may be empty.
    std::function<std::vector<std::pair<std::string, net::ServerStats>>()> listeners;
    // Reloads the configuration (as SIGHUP does); may be empty.
    std::function<void()> reload;
    // Several bridges: the nodes and their leases as of the lease keeper's last round
    // (a snapshot, never a database call); empty or null: a single bridge.
    std::function<std::shared_ptr<const ClusterView>()> cluster;
};

class AdminServer {
public:
    AdminServer(boost::asio::io_context& ioc, const AdminConfig& config, AdminHooks hooks);
    ~AdminServer();

    core::Status start();  // binds admin.listen
    void stop();
    unsigned short port() const;

    // One request, as the listener calls it (public for tests without sockets).
    boost::asio::awaitable<http::Response> handle(http::Request req, net::PeerInfo peer);

private:
    bool authorized(const http::Request& req) const;
    std::string metrics_text();
    boost::asio::awaitable<http::Response> action(const std::string& id, const std::string& what,
                                                  const std::map<std::string, std::string>& params);

    boost::asio::io_context& ioc_;
    const AdminConfig& config_;
    AdminHooks hooks_;
    std::unique_ptr<net::HttpServer> server_;
    std::mutex scrape_mutex_;  // one scrape at a time sets the status gauges and renders
};

}  // namespace app
