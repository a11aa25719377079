#include "bridge/app/admin_server.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bridge/app/bridge_metrics.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"
#include "bridge/http/encoding.hpp"

namespace app {
namespace asio = boost::asio;

namespace {

// Compares secrets in time independent of where they differ.
bool same_secret(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
    return diff == 0;
}

http::Response reply(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
    http::Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", std::move(type)});
    // Status and metrics are live values; nothing here is to be cached.
    r.headers.push_back({"Cache-Control", "no-store"});
    r.headers.push_back({"X-Content-Type-Options", "nosniff"});
    r.body = std::move(body);
    return r;
}

// An HTML page: its inline script runs under a nonce, nothing else does,
// nothing is loaded from elsewhere, and no other site may frame it.
http::Response page(std::string body, const std::string& nonce) {
    http::Response r = reply(200, std::move(body), "text/html; charset=utf-8");
    r.headers.push_back({"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-" +
                                                         nonce + "'; connect-src 'self'; frame-ancestors 'none'"});
    return r;
}

std::string event_code(const std::string& shown) {
    // CpeStatus lists "M Download (key)": the metric's label is the code alone.
    const auto paren = shown.find(" (");
    return paren == std::string::npos ? shown : shown.substr(0, paren);
}

// Awaits hooks.drop without blocking the caller's strand. A plain function,
// not a lambda inside the co_await expression: GCC 12 destroys such
// temporaries twice in coroutines.
template <class Token>
auto async_drop(const AdminHooks& hooks, const std::string& id, Token&& token) {
    return asio::async_initiate<Token, void(std::pair<int, std::string>)>(
        [&hooks, id](auto handler) {
            auto ex = asio::get_associated_executor(handler);
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            hooks.drop(id, [h, ex](int status, std::string message) {
                asio::post(ex, [h, r = std::make_pair(status, std::move(message))]() mutable { (*h)(std::move(r)); });
            });
        },
        token);
}

}  // namespace

AdminServer::AdminServer(asio::io_context& ioc, const AdminConfig& config, AdminHooks hooks)
    : ioc_(ioc), config_(config), hooks_(std::move(hooks)) {}

AdminServer::~AdminServer() { stop(); }

core::Status AdminServer::start() {
    auto addr = net::split_host_port(config_.listen);
    if (!addr) return core::make_error("config.invalid", "admin.listen: " + addr.error().message);
    net::ServerOptions so;
    so.body_limit = 4096;  // actions carry no body
    so.max_connections = 64;
    so.max_connections_per_source = 16;
    so.log_name = "admin";
    so.tls = config_.tls;
    server_ = std::make_unique<net::HttpServer>(
        ioc_, so, [this](http::Request r, net::PeerInfo p) { return handle(std::move(r), std::move(p)); });
    if (auto st = server_->listen(addr->first, addr->second); !st) return st;
    core::log::info("admin", "admin listener on " + addr->first + ":" + std::to_string(server_->port()) +
                                 (config_.tls ? " (HTTPS)" : "") + (config_.needs_auth() ? "" : ", no credentials"));
    return core::Ok{};
}

void AdminServer::stop() {
    if (server_) server_->stop();
}

unsigned short AdminServer::port() const { return server_ ? server_->port() : 0; }

bool AdminServer::authorized(const http::Request& req) const {
    if (!config_.needs_auth()) return true;
    const std::string* h = req.find("Authorization");
    if (!h) return false;
    const std::string_view v = *h;
    const auto space = v.find(' ');
    if (space == std::string_view::npos) return false;
    const std::string_view scheme = v.substr(0, space), cred = v.substr(space + 1);
    if (http::iequals(scheme, "Bearer")) return !config_.token.empty() && same_secret(cred, config_.token);
    if (http::iequals(scheme, "Basic") && !config_.username.empty()) {
        auto decoded = http::base64_decode(cred);
        return decoded && same_secret(*decoded, config_.username + ":" + config_.password);
    }
    return false;
}

namespace {

// Resident bytes and open descriptors, from /proc/self (Linux); 0 where unknown.
std::pair<double, double> process_usage() {
    double rss = 0, fds = 0;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) rss = std::strtod(line.c_str() + 6, nullptr) * 1024;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        fds += 1;
    return {rss, fds};
}

}  // namespace

// A browser holding Basic credentials sends them to any site's form too: an
// action must come from this listener's own pages (browsers send Origin on
// every POST) or from a client that sends none (curl).
static bool cross_site(const std::string& origin, const std::string* host) {
    return !host || (origin != "http://" + *host && origin != "https://" + *host);
}

std::string AdminServer::metrics_text() {
    auto& m = metrics();
    std::lock_guard lock(scrape_mutex_);
    // The gauges describe the CPEs now: computed from their status at each scrape.
    double online = 0, offline = 0, sessions = 0, retrying = 0;
    std::map<std::string, double> pending;
    for (const auto& g : hooks_.gateways()) {
        (g.status.online ? online : offline) += 1;
        sessions += g.status.in_session ? 1 : 0;
        retrying += g.status.retry_count > 0 ? 1 : 0;
        for (const auto& e : g.status.pending_events) pending[event_code(e)] += 1;
    }
    m.gateways.with({"online"}).set(online);
    m.gateways.with({"offline"}).set(offline);
    m.in_session.with(std::vector<std::string>{}).set(sessions);
    m.retrying.with(std::vector<std::string>{}).set(retrying);
    // An event code no CPE holds any more reads 0 rather than its last count.
    m.pending_events.for_each([](const std::vector<std::string>&, core::metrics::Gauge& g) { g.set(0); });
    for (const auto& [code, n] : pending) m.pending_events.with({code}).set(n);
    // The listeners count since they started: the counters follow by the difference.
    auto follow = [&](const std::string& listener, const char* reason, std::uint64_t total) {
        auto& c = m.listener_refused.with({listener, reason});
        if (total > c.value()) c.inc(total - c.value());
    };
    std::vector<std::pair<std::string, net::ServerStats>> listeners;
    if (hooks_.listeners) listeners = hooks_.listeners();
    if (server_) listeners.emplace_back("admin", server_->stats());
    for (const auto& [name, st] : listeners) {
        m.listener_connections.with({name}).set(static_cast<double>(st.connections));
        follow(name, "listener_limit", st.refused_listener_limit);
        follow(name, "source_limit", st.refused_source_limit);
        follow(name, "before_body", st.refused_before_body);
        follow(name, "budget", st.refused_budget);
    }
    const auto [rss, fds] = process_usage();
    m.process_rss.with(std::vector<std::string>{}).set(rss);
    m.process_fds.with(std::vector<std::string>{}).set(fds);
    return m.registry.render();
}

asio::awaitable<http::Response> AdminServer::action(const std::string& id, const std::string& what,
                                                    const std::map<std::string, std::string>& params) {
    auto& counter = metrics().admin_actions;
    if (what == "log-level") {
        // One gateway's log in detail (or quiet) while the rest stays as it is.
        const auto it = params.find("level");
        const std::string wanted = it == params.end() ? "" : it->second;
        core::log::Level l{};
        if (wanted != "default" && !core::log::parse_level(wanted, l)) {
            counter.with({"log-level", "400"}).inc();
            co_return reply(400, "level=debug|info|warn|error|off|default\n");
        }
        const auto all = hooks_.gateways();
        if (std::none_of(all.begin(), all.end(), [&](const GatewayView& g) { return g.status.id == id; })) {
            counter.with({"log-level", "404"}).inc();
            co_return reply(404, "no gateway " + id + "\n");
        }
        core::log::set_component_level(id, wanted == "default" ? std::nullopt : std::optional<core::log::Level>(l));
        core::log::write(core::log::Level::info, id, "admin: log level " + wanted);
        counter.with({"log-level", "200"}).inc();
        co_return reply(200, id + " logs at " + wanted + "\n");
    }
    if (what == "inform") {
        // TR-069 has no event for "the operator asked": 2 PERIODIC is the
        // CPE checking in without a particular cause, which every ACS handles
        // as routine (docs/operations.md says why not 1 BOOT or 6 CONNECTION REQUEST).
        if (!hooks_.inform(id)) {
            counter.with({"inform", "404"}).inc();
            co_return reply(404, "no gateway " + id + "\n");
        }
        core::log::info(id, "admin: Inform requested by the operator");
        counter.with({"inform", "202"}).inc();
        co_return reply(202, "Inform requested: " + id + " opens a session with 2 PERIODIC\n");
    }
    // drop: the store and the registry are written on another thread; this
    // coroutine resumes on its own executor when they are done.
    const std::pair<int, std::string> result = co_await async_drop(hooks_, id, asio::use_awaitable);
    counter.with({"drop", std::to_string(result.first)}).inc();
    co_return reply(result.first, result.second + "\n");
}

asio::awaitable<http::Response> AdminServer::handle(http::Request req, net::PeerInfo peer) {
    auto [path, params] = split_target(req.target);
    const bool get = req.method == "GET" || req.method == "HEAD";
    // Probes (systemd, load balancers, Kubernetes) hold no credentials, and these say nothing but ok.
    if (path == "/healthz") co_return get ? reply(200, "ok\n") : reply(405, "GET only\n");
    if (path == "/readyz")
        co_return !get ? reply(405, "GET only\n") : hooks_.ready() ? reply(200, "ready\n") : reply(503, "not ready\n");
    if (!authorized(req)) {
        if (req.find("Authorization"))
            core::log::warn_from("admin", peer.address, "401", "refused admin request from " + peer.address + " for " + path);
        http::Response r = reply(401, "credentials required\n");
        if (!config_.username.empty()) r.headers.push_back({"WWW-Authenticate", "Basic realm=\"cmp-cwmp-bridge admin\", charset=\"UTF-8\""});
        if (!config_.token.empty()) r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"cmp-cwmp-bridge admin\""});
        co_return r;
    }
    const std::string nonce = http::random_token(12);
    if (path == "/" && get) {
        http::Response r = reply(302, "see /status\n");
        r.headers.push_back({"Location", "/status"});
        co_return r;
    }
    if (path == "/metrics")
        co_return get ? reply(200, metrics_text(), "text/plain; version=0.0.4; charset=utf-8") : reply(405, "GET only\n");
    if (path == "/status" || path == "/status.json") {
        if (!get) co_return reply(405, "GET only\n");
        auto all = hooks_.gateways();
        const std::shared_ptr<const ClusterView> cluster = hooks_.cluster ? hooks_.cluster() : nullptr;
        if (path == "/status") co_return page(status_html(all, Clock::now(), nonce, cluster.get()), nonce);
        const std::string state = params["state"];
        if (!state.empty() && state != "online" && state != "offline")
            co_return reply(400, "state: online or offline\n");
        co_return reply(200, status_json(all, StatusFilter{params["q"], state}, Clock::now(), cluster.get()),
                        "application/json");
    }
    if (path.starts_with("/status/")) {
        if (!get) co_return reply(405, "GET only\n");
        std::string id = path.substr(8);
        const bool json = id.ends_with(".json");
        if (json) id.resize(id.size() - 5);
        for (auto& g : hooks_.gateways())
            if (g.status.id == id)
                co_return json ? reply(200, gateway_json(g) + "\n", "application/json")
                               : page(gateway_html(g, Clock::now(), nonce), nonce);
        co_return reply(404, "no gateway " + id + "\n");
    }
    if (path == "/actions/reload" && hooks_.reload) {
        if (req.method != "POST") {
            http::Response r = reply(405, "POST only\n");
            r.headers.push_back({"Allow", "POST"});
            co_return r;
        }
        if (const std::string* origin = req.find("Origin"); origin && cross_site(*origin, req.find("Host"))) {
            core::log::warn_from("admin", peer.address, "403", "refused a cross-site admin action from " + peer.address);
            co_return reply(403, "cross-site action refused\n");
        }
        core::log::info("admin", "reload requested by the operator");
        hooks_.reload();
        metrics().admin_actions.with({"reload", "202"}).inc();
        co_return reply(202, "reload started: its outcome is in the log (reload done / reload refused)\n");
    }
    if (path.starts_with("/actions/")) {
        const std::string rest = path.substr(9);
        const auto slash = rest.rfind('/');
        const std::string what = slash == std::string::npos ? "" : rest.substr(slash + 1);
        if (slash == std::string::npos || slash == 0 || (what != "inform" && what != "drop" && what != "log-level"))
            co_return reply(404, "actions: /actions/<id>/inform, /actions/<id>/drop, /actions/<id>/log-level?level=L\n");
        if (req.method != "POST") {
            http::Response r = reply(405, "POST only\n");
            r.headers.push_back({"Allow", "POST"});
            co_return r;
        }
        const std::string* origin = req.find("Origin");
        if (origin && cross_site(*origin, req.find("Host"))) {
            core::log::warn_from("admin", peer.address, "403", "refused a cross-site admin action from " + peer.address);
            co_return reply(403, "cross-site action refused\n");
        }
        co_return co_await action(rest.substr(0, slash), what, params);
    }
    co_return reply(404, "not found; see /status, /status.json, /metrics, /healthz, /readyz\n");
}

}  // namespace app
