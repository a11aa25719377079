// The simulator's control endpoint: deterministic triggers for tests and
// demos, so they never wait on random timers.
//
//   POST /control/<rgId>/join               a new host joins        -> "devId: <id>"
//   POST /control/<rgId>/leave[?devId=X]    a host leaves           -> "devId: <id>"
//   POST /control/<rgId>/reboot             deregRg, unreachable for --reboot-seconds, regRg
//   POST /control/<rgId>/alert?type=T       T = sec, cpu, mem or disk
//   POST /control/<rgId>/offline | online   cut the gateway off (no answers, no messages) / back
//   POST /control/<rgId>/keepalive          a keepAliveRg now
//   GET  /control/<rgId>/status             YAML: registered, online, swVersion, upTime
//
// Only with --control-token, only from loopback peers, and only with
// "Authorization: Bearer <token>": it can reboot gateways.
#include <openssl/crypto.h>

#include <chrono>

#include "examples/cmp-gateway-sim/sim_server.hpp"

namespace sim {
namespace {

http::Response text(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "text/plain"});
    r.body = std::move(body) + "\n";
    return r;
}

bool loopback(const std::string& address) {
    return address == "::1" || address.rfind("127.", 0) == 0 || address.rfind("::ffff:127.", 0) == 0;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One query parameter, percent-decoded; empty when absent.
std::string query_param(std::string_view target, std::string_view name) {
    auto q = target.find('?');
    if (q == std::string_view::npos) return {};
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        std::string_view pair = rest.substr(0, rest.find('&'));
        rest = pair.size() < rest.size() ? rest.substr(pair.size() + 1) : std::string_view{};
        auto eq = pair.find('=');
        if (pair.substr(0, eq) != name || eq == std::string_view::npos) continue;
        std::string out;
        std::string_view v = pair.substr(eq + 1);
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i] == '%' && i + 2 < v.size() && hex_value(v[i + 1]) >= 0 && hex_value(v[i + 2]) >= 0) {
                out += static_cast<char>(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2]));
                i += 2;
            } else {
                out += v[i] == '+' ? ' ' : v[i];
            }
        }
        return out;
    }
    return {};
}

}  // namespace

http::Response Simulator::control(const http::Request& req, const net::PeerInfo& peer) {
    if (opt_.control_token.empty()) return text(404, "control endpoint disabled (no --control-token)");
    if (!loopback(peer.address)) return text(403, "control endpoint: loopback peers only");
    const std::string expected = "Bearer " + opt_.control_token;
    const std::string* authz = req.find("Authorization");
    if (!authz || authz->size() != expected.size() ||
        CRYPTO_memcmp(authz->data(), expected.data(), expected.size()) != 0)
        return text(401, "control endpoint: bad or missing bearer token");

    std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
    path.remove_prefix(std::string_view("/control/").size());
    auto slash = path.find('/');
    if (slash == std::string_view::npos) return text(404, "use /control/<rgId>/<action>");
    const std::string id(path.substr(0, slash));
    const std::string action(path.substr(slash + 1));
    auto it = models_.find(id);
    if (it == models_.end()) return text(404, "no such gateway " + id);
    GatewayModel& m = *it->second;
    m.advance_to(std::chrono::steady_clock::now());

    if (action == "status") {
        return text(200, "registered: " + std::string(m.registered() ? "true" : "false") +
                             "\nonline: " + (m.online() ? "true" : "false") + "\nswVersion: " + m.sw_version() +
                             "\nupTime: " + std::to_string(m.up_time()));
    }
    if (req.method != "POST") return text(405, "control actions use POST");
    http::Response r = text(200, "ok");
    if (action == "join") {
        r = text(200, "devId: " + m.force_join());
    } else if (action == "leave") {
        auto dev = m.force_leave(query_param(req.target, "devId"));
        if (!dev) return text(409, "no active host to leave");
        r = text(200, "devId: " + *dev);
    } else if (action == "reboot") {
        if (!m.online()) return text(409, "gateway is not up");
        m.reboot_now();
    } else if (action == "alert") {
        if (!m.raise_alert(query_param(req.target, "type"))) return text(400, "type must be sec, cpu, mem or disk");
    } else if (action == "offline") {
        offline_.insert(id);
        m.set_offline(true);
    } else if (action == "online") {
        offline_.erase(id);
        m.set_offline(false);
    } else if (action == "keepalive") {
        m.keepalive_now();
    } else {
        return text(404, "unknown action " + action);
    }
    drain(id);
    return r;
}

}  // namespace sim
