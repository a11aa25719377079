// Several bridges serve one fleet (issue 14): three bridge processes share a
// real PostgreSQL (tests/pg_server.hpp), the gateway simulator registers
// all 300 gateways at node 1 only (a load balancer's worst case: node 1
// relays the other nodes' gateways' messages), the scripted ACS checks
// every session. Then:
//   spread    each node owns about a third
//   CR        Connection Requests sent to node 1 for node 2's CPEs are relayed (Digest end to end)
//   kill -9   node 3 dies: within the lease TTL (+ margin) nodes 1 and 2 own
//             all its gateways; each of them informs again with 1 BOOT, never
//             0 BOOTSTRAP, and its ParameterKey is the one acknowledged before
//   replay    a signed gateway message accepted through node 3 before the
//             kill is refused (401) by the gateway's new owner: the replay
//             window is shared (bridge.nonces)
//   pause     node 2 SIGSTOPped past its TTL: node 1 takes everything; on
//             SIGCONT node 2 stops its CPEs and writes nothing that lands
//   join      node 4 starts later and takes its share a bounded number per round
//   SIGTERM   node 4 stops gracefully: its leases are released as its CPEs
//             hand over, the others own its gateways well within the TTL
// and, on the same server: self-registration at both nodes of a pair; the
// per-gateway secrets shared in bridge.secrets (cluster_test_secrets.cpp).
#include <doctest/doctest.h>
#include <signal.h>

#include <regex>
#include <set>

#include "bridge/http/auth.hpp"
#include "tests/e2e/cluster_e2e_util.hpp"

using namespace cluster_e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string node_config(const fs::path& dir, const std::string& node, const std::string& dsn, unsigned short acs_port,
                        unsigned short cmp_port, unsigned short sim_port) {
    std::ostringstream out;
    out << "acs: { url: \"http://127.0.0.1:" << acs_port << "/acs\", username: bridge, password: cluster-acs-pw, timeout_s: 10 }\n"
        << "connection_request: { listen: \"127.0.0.1:0\", max_per_minute: 6000, max_connections: 100000, max_connections_per_source: 100000 }\n"
        << "cmp: { listen: \"127.0.0.1:" << cmp_port << "\", max_connections: 100000, max_connections_per_source: 100000 }\n"
        << "state_dir: " << (dir / node).string() << "\n"
        << "state: { backend: postgresql, dsn_file: " << (dir / "dsn").string() << ", node_id: " << node
        << ", lease_ttl_s: " << kTtl << ", advertise_host: 127.0.0.1 }\n"
        << "periodic_inform: { enable: false, interval_s: 86400, start_spread_s: 3 }\n"
        << "defaults: { mapping: " << fs::absolute("mappings/tr098.yaml").string() << ", secret: " << kSecret << " }\n"
        << "gateways:\n";
    for (int i = 1; i <= kGateways; ++i)
        out << "  - { id: " << gateway_id(i) << ", url: \"http://127.0.0.1:" << sim_port << "/cmp/" << gateway_id(i)
            << "\" }\n";
    std::ofstream(dir / "dsn") << dsn << "\n";
    return out.str();
}

int total(const std::map<std::string, int>& m) {
    int n = 0;
    for (auto& [k, v] : m) n += v;
    return n;
}

// Waits until pred() or the time is up.

http::Response get(unsigned short port, const std::string& path, const std::string& authorization) {
    std::string raw = e2e::http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                                                   (authorization.empty() ? "" : "Authorization: " + authorization + "\r\n") +
                                                   "\r\n");
    http::Response res;
    std::istringstream lines(raw.substr(0, raw.find("\r\n\r\n")));
    std::string line;
    std::getline(lines, line);
    if (line.size() > 12) res.status = std::stoi(line.substr(9, 3));
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        res.headers.push_back({line.substr(0, colon), line.substr(line.find_first_not_of(' ', colon + 1))});
    }
    return res;
}

// Informs per serial number carrying `event`, from the scripted ACS's log.

int max_acquired_per_round(const std::string& log) {
    static const std::regex re("acquired ([0-9]+) leases");
    int most = 0;
    for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
        most = std::max(most, std::stoi((*it)[1].str()));
    return most;
}


}  // namespace

TEST_CASE("cluster: three bridges share a fleet; kill -9, pause and a late join") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    fs::path dir = e2e::make_temp_dir("cluster");
    const unsigned short cmp1 = e2e::free_port(), acs_port = e2e::free_port();

    // The ACS: the first session of every CPE is its BOOTSTRAP and sets a
    // ParameterKey (and the CR credentials); every later one must not be a
    // BOOTSTRAP and reads the ParameterKey back.
    const std::string script =
        "sessions:\n"
        "  - expect_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n"
        "      - rpc: SetParameterValues\n"
        "        parameter_key: cluster-key-1\n"
        "        parameters:\n"
        "          - {name: InternetGatewayDevice.ManagementServer.ConnectionRequestUsername, value: cr-user, type: xsd:string}\n"
        "          - {name: InternetGatewayDevice.ManagementServer.ConnectionRequestPassword, value: cr-pw-9, type: xsd:string}\n"
        "        expect_status: 0\n"
        "  - forbid_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n"
        "      - rpc: GetParameterValues\n"
        "        names: [" + kPk + "]\n"
        "        expect_values: {" + kPk + ": cluster-key-1}\n"
        "  - forbid_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n"
        "      - rpc: GetParameterValues\n"
        "        names: [" + kPk + "]\n"
        "        expect_values: {" + kPk + ": cluster-key-1}\n";
    const auto acs_process = start_scripted_acs(dir, acs_port, script, 300);
    auto& acs = *acs_process;
    // Every gateway registers at node 1 (and sends its keep-alives there).
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", std::to_string(kGateways), "--secret", kSecret, "--bridge",
                      "http://127.0.0.1:" + std::to_string(cmp1) + "/cmp", "--log-level", "warn"},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    std::map<std::string, std::unique_ptr<e2e::Process>> nodes;
    for (const std::string n : {"n1", "n2", "n3", "n4"})
        std::ofstream(dir / (n + ".yaml")) << node_config(dir, n, pg->dsn(), acs_port, n == "n1" ? cmp1 : 0, sim_port);
    for (const std::string n : {"n1", "n2", "n3"}) nodes[n] = start_node(dir, n);
    Db db(pg->dsn());
    auto logs = [&] {
        std::string all = "acs:\n" + acs.log().substr(acs.log().size() > 4000 ? acs.log().size() - 4000 : 0);
        for (auto& [n, p] : nodes)
            if (p) all += "\n" + n + ":\n" + p->log().substr(p->log().size() > 6000 ? p->log().size() - 6000 : 0);
        return all;
    };

    // ---- spread: every gateway bootstrapped once, each node owns about a third
    const bool booted = eventually([&] { return informs_with(acs.log(), "0 BOOTSTRAP") >= kGateways &&
                                                e2e::count_in(acs.log(), "session complete") >= kGateways; },
                                   std::chrono::seconds(60 * kScale));
    INFO(logs());
    REQUIRE(booted);
    // Node 1 took the gateways whose messages reached it before anyone owned
    // them; the keepers even that out by handing over above share + slack.
    auto balanced = [&] {
        auto o = db.owners();
        return total(o) == kGateways && o["n1"] >= kShareLo && o["n1"] <= kShareHi && o["n2"] >= kShareLo &&
               o["n2"] <= kShareHi && o["n3"] >= kShareLo && o["n3"] <= kShareHi;
    };
    const bool spread = eventually(balanced, std::chrono::seconds(30 * kScale));
    auto owners = db.owners();
    MESSAGE("spread: n1 " << owners["n1"] << ", n2 " << owners["n2"] << ", n3 " << owners["n3"]);
    CHECK(spread);

    // ---- kill -9 node 3: nodes 1 and 2 own its gateways within the TTL (+ margin)
    const auto n3_gateways = db.held_by("n3");
    const std::size_t boots_before = informs_with(acs.log(), "1 BOOT");
    // Captured on its way to node 3 (relayed there by node 1), accepted once.
    REQUIRE(!n3_gateways.empty());
    const std::string captured = signed_keepalive(n3_gateways.front());
    CHECK(send_cmp(cmp1, captured) == 200);
    nodes["n3"]->kill_now(SIGKILL);
    nodes["n3"]->wait(5s);
    const auto killed = std::chrono::steady_clock::now();
    const bool taken = eventually([&] {
        auto o = db.owners();
        return o["n3"] == 0 && o["n1"] + o["n2"] == kGateways;
    }, std::chrono::seconds(kTtl + 10));
    const auto takeover_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    MESSAGE("node 3's " << n3_gateways.size() << " gateways owned by nodes 1 and 2 after " << takeover_s << " s");
    REQUIRE(taken);
    CHECK(takeover_s <= kTtl + 8);
    // Replayed after the failover: the new owner knows the nonce node 3 committed.
    CHECK(send_cmp(cmp1, captured) == 401);
    CHECK(send_cmp(cmp1, signed_keepalive(n3_gateways.front())) == 200);  // a fresh one is served
    // Each of them informs again (BOOT: the CPE restarted elsewhere), and its
    // second session reads back the acknowledged ParameterKey (the ACS checks it).
    CHECK(eventually([&] { return informs_with(acs.log(), "1 BOOT") >= boots_before + n3_gateways.size(); }, 30s));
    CHECK(informs_with(acs.log(), "0 BOOTSTRAP") == kGateways);  // the acknowledged state survived
    CHECK(acs.log().find("FAILED") == std::string::npos);

    // ---- Connection Requests for node 2's CPEs, sent to node 1: relayed, Digest end to end
    const auto n2_gateways = db.held_by("n2");
    REQUIRE(n2_gateways.size() >= 10);
    const auto cr1 = static_cast<unsigned short>(
        std::stoi(db.text("SELECT substring(cr_url from ':([0-9]+)$') FROM bridge.nodes WHERE node = 'n1'")));
    REQUIRE(db.c->exec("CREATE TABLE public.before_pause AS SELECT key, token FROM bridge.leases"
                       " WHERE node = 'n2' AND expires > now()"));
    for (int i = 0; i < 10; ++i) {
        const std::string path =
            db.text("SELECT path FROM bridge.cr_paths WHERE gateway = $1", {state::pg::Param::text(n2_gateways[i])});
        REQUIRE(!path.empty());
        // A CPE that moved a moment ago may answer one 503 (Retry-After), as an ACS would see it.
        http::Response challenge;
        for (int attempt = 0; attempt < 5; ++attempt) {
            challenge = get(cr1, path, "");
            if (challenge.status != 503) break;
            std::this_thread::sleep_for(1s);
        }
        INFO("Connection Request for " << n2_gateways[i] << " relayed by node 1");
        REQUIRE(challenge.status == 401);
        http::ClientAuth auth;
        REQUIRE(auth.on_challenge(challenge, {"cr-user", "cr-pw-9"}).ok());
        CHECK(get(cr1, path, *auth.authorization("GET", path)).status == 200);
    }

    // ---- pause node 2 past its TTL (its CR sessions in flight): node 1
    // takes everything; node 2 wakes up and nothing it writes lands
    nodes["n2"]->kill_now(SIGSTOP);
    const bool all_n1 = eventually([&] { return db.owners()["n1"] == kGateways; }, std::chrono::seconds(kTtl + 12));
    REQUIRE(all_n1);
    const std::string taken_at = db.text("SELECT now()::text");
    nodes["n2"]->kill_now(SIGCONT);
    CHECK(e2e::wait_for_log(*nodes["n2"], "leases lost", 10s));
    std::this_thread::sleep_for(2s);
    // The sessions node 2 had in flight ended with writes under its old
    // tokens: refused (state.fenced), none landed after the takeover.
    const std::size_t refused = e2e::count_in(nodes["n2"]->log(), "cannot persist state");
    MESSAGE("node 2's refused writes after waking: " << refused);
    CHECK(refused > 0);
    CHECK(db.scalar("SELECT count(*) FROM bridge.state s JOIN public.before_pause p USING (key)"
                    " WHERE s.token <= p.token AND s.updated > $1::timestamptz",
                    {state::pg::Param::text(taken_at)}) == 0);
    CHECK(db.scalar("SELECT count(*) FROM bridge.state s JOIN bridge.leases l USING (key) WHERE s.token > l.token") == 0);

    // ---- node 4 joins: a share, taken a bounded number per round; node 2 is back as well
    nodes["n4"] = start_node(dir, "n4");
    const bool shared = eventually([&] {
        auto o = db.owners();
        return total(o) == kGateways && o["n4"] >= kShareLo && o["n4"] <= kShareHi && o["n2"] >= kShareLo &&
               o["n2"] <= kShareHi && o["n1"] >= kShareLo && o["n1"] <= kShareHi;
    }, 40s);
    owners = db.owners();
    MESSAGE("after the join: n1 " << owners["n1"] << ", n2 " << owners["n2"] << ", n4 " << owners["n4"]);
    CHECK(shared);
    CHECK(max_acquired_per_round(nodes["n4"]->log()) <= std::max(50, kGateways / 6));  // a third of a share per round, no storm
    CHECK(eventually([&] { return acs.log().find("FAILED") == std::string::npos &&
                                  informs_with(acs.log(), "0 BOOTSTRAP") == kGateways; }, 5s));
    // No gateway on two nodes: the lease rows say one holder each.
    CHECK(db.scalar("SELECT count(*) FROM (SELECT key FROM bridge.leases WHERE node IS NOT NULL AND expires > now()"
                    " GROUP BY key HAVING count(*) > 1) d") == 0);

    // ---- SIGTERM node 4: its CPEs hand over and its leases are released,
    // so nodes 1 and 2 own its gateways at their next round, well within the TTL
    const auto n4_gateways = db.held_by("n4");
    REQUIRE(!n4_gateways.empty());
    const std::size_t boots_before_term = informs_with(acs.log(), "1 BOOT");
    nodes["n4"]->kill_now(SIGTERM);
    const auto termed = std::chrono::steady_clock::now();
    const bool moved = eventually([&] {
        auto o = db.owners();
        return o["n4"] == 0 && o["n1"] + o["n2"] == kGateways;
    }, std::chrono::seconds(kTtl + 10));
    const auto moved_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - termed).count();
    MESSAGE("SIGTERM: node 4's " << n4_gateways.size() << " gateways owned by nodes 1 and 2 after " << moved_s
                                 << " s (lease TTL " << kTtl << " s)");
    REQUIRE(moved);
    CHECK(moved_s < kTtl);
    CHECK(nodes["n4"]->wait(15s) == 0);
    CHECK(e2e::count_in(nodes["n4"]->log(), "released as their CPEs hand over") == 1);
    // Each informs again from its new node with what node 4 made durable: 1 BOOT, never a second 0 BOOTSTRAP.
    CHECK(eventually([&] { return informs_with(acs.log(), "1 BOOT") >= boots_before_term + n4_gateways.size(); }, 30s));
    CHECK(informs_with(acs.log(), "0 BOOTSTRAP") == kGateways);
    CHECK(acs.log().find("FAILED") == std::string::npos);
    for (auto& [n, p] : nodes)
        if (p) p->stop();
    acs.stop();
    sim.stop();
    fs::remove_all(dir);
}

TEST_CASE("cluster: gateways registering themselves at one node are enrolled once and shared by both nodes") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    fs::path dir = e2e::make_temp_dir("cluster-selfreg");
    const unsigned short cmp1 = e2e::free_port(), acs_port = e2e::free_port();
    const std::string master = "cluster-registration-master-77";
    const std::string script =
        "sessions:\n"
        "  - expect_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n"
        "      - rpc: SetParameterValues\n"
        "        parameter_key: selfreg-1\n"
        "        parameters:\n"
        "          - {name: InternetGatewayDevice.ManagementServer.ConnectionRequestUsername, value: cr-user, type: xsd:string}\n"
        "        expect_status: 0\n"
        "  - forbid_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n"
        "      - rpc: GetParameterValues\n"
        "        names: [" + kPk + "]\n"
        "        expect_values: {" + kPk + ": selfreg-1}\n";
    const auto acs_process = start_scripted_acs(dir, acs_port, script, 120);
    auto& acs = *acs_process;
    // Ids of their own, past the first test's fleet (GW-0801... at 300 gateways): its gateways' state is
    // still in the database, and a CPE created for one of those ids would start bootstrapped.
    const int first_id = kGateways + 501;
    const std::string lo = gateway_id(first_id), hi = gateway_id(first_id + 19), twin_id = gateway_id(kGateways + 530);
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "20", "--first-id", std::to_string(first_id), "--derive-secrets", master, "--bridge",
                      "http://127.0.0.1:" + std::to_string(cmp1) + "/cmp", "--log-level", "warn"},
                     (dir / "sim.log").string());
    e2e::wait_for_file((dir / "sim.port").string(), 10s);
    std::ofstream(dir / "dsn") << pg->dsn() << "\n";
    std::map<std::string, std::unique_ptr<e2e::Process>> nodes;
    for (const std::string n : {"r1", "r2"}) {
        std::ofstream(dir / (n + ".yaml"))
            << "acs: { url: \"http://127.0.0.1:" << acs_port << "/acs\", username: bridge, password: cluster-acs-pw }\n"
            << "connection_request: { listen: \"127.0.0.1:0\" }\n"
            << "cmp: { listen: \"127.0.0.1:" << (n == "r1" ? cmp1 : 0)
            << "\", accept_registrations: true, registration_secret: " << master << " }\n"
            << "state_dir: " << (dir / n).string() << "\n"
            << "state: { backend: postgresql, dsn_file: " << (dir / "dsn").string() << ", node_id: " << n
            << ", lease_ttl_s: " << kTtl << ", advertise_host: 127.0.0.1 }\n"
            << "periodic_inform: { enable: false, interval_s: 86400 }\n"
            << "defaults: { mapping: " << fs::absolute("mappings/tr098.yaml").string() << " }\n";
        nodes[n] = start_node(dir, n);
    }
    Db db(pg->dsn());
    auto owners_of_ours = [&] {
        std::map<std::string, int> out;
        auto r = db.c->exec("SELECT node, count(*) FROM bridge.leases WHERE node IS NOT NULL AND expires > now()"
                            " AND key >= $1 AND key <= $2 GROUP BY node",
                            {state::pg::Param::text(lo), state::pg::Param::text(hi)});
        if (!r) return out;  // no schema yet: the bridges are starting
        for (int i = 0; i < r->size(); ++i) out[std::string(r->at(i, 0))] = static_cast<int>(r->integer(i, 1));
        return out;
    };
    // Every gateway enrolled at node 1 (it is the only one they talk to), then
    // node 2 takes its share of them from the shared registry.
    const bool spread = eventually([&] {
        auto o = owners_of_ours();
        return o["r1"] + o["r2"] == 20 && o["r1"] >= 8 && o["r2"] >= 8;
    }, 40s);
    auto o = owners_of_ours();
    MESSAGE("self-registered: r1 " << o["r1"] << ", r2 " << o["r2"]);
    INFO("acs:\n" << acs.log().substr(acs.log().size() > 3000 ? acs.log().size() - 3000 : 0));
    INFO("r1:\n" << nodes["r1"]->log().substr(nodes["r1"]->log().size() > 4000 ? nodes["r1"]->log().size() - 4000 : 0));
    INFO("r2:\n" << nodes["r2"]->log().substr(nodes["r2"]->log().size() > 4000 ? nodes["r2"]->log().size() - 4000 : 0));
    CHECK(spread);
    CHECK(db.scalar("SELECT count(*) FROM bridge.registry WHERE key >= $1 AND key <= $2",
                    {state::pg::Param::text(lo), state::pg::Param::text(hi)}) == 20);
    CHECK(e2e::count_in(nodes["r1"]->log(), "new gateway registered itself") == 20);
    CHECK(e2e::count_in(nodes["r2"]->log(), "new gateway registered itself") == 0);
    // The moved CPEs inform again from node 2, with the state node 1 made durable. Counted apart from the
    // bootstraps: each of those carries 1 BOOT too, so "1 BOOT >= moved" alone held before the moves and
    // the count of 0 BOOTSTRAP could be read before the last bootstrap was delivered.
    auto boots_only = [&] { return informs_with(acs.log(), "1 BOOT") - informs_with(acs.log(), "0 BOOTSTRAP"); };
    CHECK(eventually([&] {
        return informs_with(acs.log(), "0 BOOTSTRAP") >= 20 && boots_only() >= static_cast<std::size_t>(o["r2"]);
    }, 20s));
    CHECK(informs_with(acs.log(), "0 BOOTSTRAP") == 20);

    // One new gateway registering at both nodes at once (two load-balanced
    // connections): enrolled, served by one of them, and still there rounds
    // later (the node that lost the race must not remove the shared entry).
    auto twin = [&](const std::string& tag, unsigned short port) {
        return std::make_unique<e2e::Process>(
            std::vector<std::string>{bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file",
                                     (dir / (tag + ".port")).string(), "--gateways", "1", "--first-id",
                                     std::to_string(kGateways + 530),
                                     "--derive-secrets", master, "--bridge",
                                     "http://127.0.0.1:" + std::to_string(port) + "/cmp", "--log-level", "warn"},
            (dir / (tag + ".log")).string());
    };
    const auto cmp2 = static_cast<unsigned short>(
        std::stoi(db.text("SELECT substring(cmp_url from ':([0-9]+)$') FROM bridge.nodes WHERE node = 'r2'")));
    auto twin1 = twin("twin1", cmp1);
    auto twin2 = twin("twin2", cmp2);
    auto served = [&] {
        return db.scalar("SELECT count(*) FROM bridge.registry WHERE key = $1", {state::pg::Param::text(twin_id)}) == 1 &&
               db.scalar("SELECT count(*) FROM bridge.leases WHERE key = $1 AND node IS NOT NULL AND expires > now()",
                         {state::pg::Param::text(twin_id)}) == 1;
    };
    CHECK(eventually(served, 15s));
    std::this_thread::sleep_for(std::chrono::seconds(kTtl));  // three rounds of both nodes
    CHECK(served());
    CHECK(eventually([&] { return informs_with(acs.log(), "0 BOOTSTRAP") == 21; }, 10s));
    CHECK(acs.log().find("FAILED") == std::string::npos);
    twin1->stop();
    twin2->stop();
    for (auto& [n, p] : nodes) p->stop();
    acs.stop();
    sim.stop();
    fs::remove_all(dir);
}
