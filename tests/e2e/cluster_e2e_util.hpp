#pragma once
// What the cluster end-to-end cases share (cluster_test.cpp, cluster_test_secrets.cpp: one
// binary, one PostgreSQL server): the fleet size, starting a bridge node, reading the
// database, waiting, counting the scripted ACS's Informs, sending signed CMP messages.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/wire.hpp"
#include "bridge/state/pg_conn.hpp"
#include "tests/e2e/cmp_e2e_util.hpp"
#include "tests/pg_server.hpp"

namespace cluster_e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline const std::string bin = E2E_BIN_DIR;
// 300 in ctest; BRIDGE_CLUSTER_GATEWAYS=3000 runs the full-size failover by hand.
inline const int kGateways = [] {
    const char* v = std::getenv("BRIDGE_CLUSTER_GATEWAYS");
    return v ? std::max(30, std::atoi(v)) : 300;
}();
inline const int kShareLo = kGateways / 3 * 9 / 10, kShareHi = kGateways / 3 * 11 / 10;  // a fair share, +-10 %
inline const auto kScale = std::max(1, kGateways / 300);  // waits grow with the fleet
inline constexpr int kTtl = 6;  // lease_ttl_s
inline const std::string kSecret = "cluster-secret-1b7e";
inline const std::string kPk = "InternetGatewayDevice.ManagementServer.ParameterKey";

inline std::string gateway_id(int i) {
    char id[16];
    std::snprintf(id, sizeof id, "GW-%04d", i);
    return id;
}

inline std::unique_ptr<e2e::Process> start_node(const fs::path& dir, const std::string& node) {
    return std::make_unique<e2e::Process>(
        std::vector<std::string>{bin + "/cmp-cwmp-bridge", "--log-level", "info", "run", "-c",
                                 (dir / (node + ".yaml")).string(), "--threads", "2"},
        (dir / (node + ".log")).string());
}

struct Db {
    std::unique_ptr<state::pg::Connection> c;
    explicit Db(const std::string& dsn) {
        auto r = state::pg::Connection::open(dsn);
        REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
        c = std::move(*r);
    }
    // node -> live leases held
    std::map<std::string, int> owners() {
        std::map<std::string, int> out;
        auto r = c->exec("SELECT node, count(*) FROM bridge.leases WHERE node IS NOT NULL AND expires > now() GROUP BY node");
        REQUIRE(r);
        for (int i = 0; i < r->size(); ++i) out[std::string(r->at(i, 0))] = static_cast<int>(r->integer(i, 1));
        return out;
    }
    std::vector<std::string> held_by(const std::string& node) {
        auto r = c->exec("SELECT key FROM bridge.leases WHERE node = $1 AND expires > now() ORDER BY key",
                         {state::pg::Param::text(node)});
        REQUIRE(r);
        std::vector<std::string> out;
        for (int i = 0; i < r->size(); ++i) out.emplace_back(r->at(i, 0));
        return out;
    }
    std::int64_t scalar(const std::string& sql, const std::vector<state::pg::Param>& params = {}) {
        auto r = c->exec(sql, params);
        REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
        return r->integer(0, 0);
    }
    std::string text(const std::string& sql, const std::vector<state::pg::Param>& params = {}) {
        auto r = c->exec(sql, params);
        REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
        return r->size() ? std::string(r->at(0, 0)) : std::string();
    }
};


template <class F>
inline bool eventually(F pred, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (pred()) return true;
        std::this_thread::sleep_for(200ms);
    }
    return pred();
}

// A bodiless GET through a fresh connection; status and headers.

// The scripted ACS of these tests (credentials bridge / cluster-acs-pw), playing `script`.
inline std::unique_ptr<e2e::Process> start_scripted_acs(const fs::path& dir, int port, const std::string& script,
                                                        int timeout_s) {
    std::ofstream(dir / "acs.yaml") << script;
    return std::make_unique<e2e::Process>(
        std::vector<std::string>{bin + "/scripted-acs", "--listen", "127.0.0.1:" + std::to_string(port), "--script",
                                 (dir / "acs.yaml").string(), "--username", "bridge", "--password", "cluster-acs-pw",
                                 "--sessions", "100000", "--timeout", std::to_string(timeout_s)},
        (dir / "acs.log").string());
}

inline std::size_t informs_with(const std::string& acs_log, const std::string& event) {
    std::size_t n = 0;
    std::istringstream in(acs_log);
    std::string line;
    while (std::getline(in, line))
        if (line.find(": Inform from ") != std::string::npos && line.find(event) != std::string::npos) ++n;
    return n;
}

// A keepAliveRg of `rg` signed with a fresh nonce, as raw HTTP/1.1 bytes: what an attacker on the path captures.

inline std::string signed_keepalive(const std::string& rg, const std::string& secret = kSecret) {
    const std::int64_t now = cmp::unix_now();
    cmp::Request m;
    m.header = {rg, "replay-1", cmp::format_date_time(now)};
    m.function = "keepAliveRg";
    auto out = cmp::make_http_request(m, "/cmp", cmp::PeerKeys{rg, secret}, now);
    REQUIRE(out);
    std::string raw = "POST /cmp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& h : out->http.headers)
        if (h.name != "Host" && h.name != "Content-Length" && h.name != "Connection")
            raw += h.name + ": " + h.value + "\r\n";
    return raw + "Content-Length: " + std::to_string(out->http.body.size()) + "\r\n\r\n" + out->http.body;
}

// The status of sending `raw`; a CPE starting or moving (503) is asked again, as a gateway would.

inline int send_cmp(unsigned short port, const std::string& raw) {
    int status = 0;
    for (int attempt = 0; attempt < 8; ++attempt) {
        const std::string res = e2e::http_exchange(port, raw);
        status = res.size() > 12 ? std::stoi(res.substr(9, 3)) : 0;
        if (status != 503) break;
        std::this_thread::sleep_for(1s);
    }
    return status;
}


}  // namespace cluster_e2e
