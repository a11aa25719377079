// Per-gateway CMP secrets shared by the nodes of a cluster (bridge.secrets,
// issue 14): three bridges on the e2e_cluster binary's PostgreSQL, only node 1
// has a secrets file and no node derives secrets. A gateway with a file-only
// secret registers through node 2 and is served; its secret rotated in the file
// (the gateway restarted with it) is refused in its old form and served in its
// new one through node 3; an operator's `secrets set` (stdin) serves another
// gateway at node 3. Node 1's admin listener shows the nodes and the leases,
// and no secret appears in any log. (Named to run after cluster_test.cpp's
// cases: doctest orders by file.)
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "tests/e2e/cluster_e2e_util.hpp"

using namespace cluster_e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_CASE("cluster: per-gateway secrets are shared: one node's file and the operator's CLI serve gateways at every node") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    fs::path dir = e2e::make_temp_dir("cluster-secrets");
    const unsigned short acs_port = e2e::free_port();
    const std::map<std::string, unsigned short> cmp_port{
        {"s1", e2e::free_port()}, {"s2", e2e::free_port()}, {"s3", e2e::free_port()}};
    // Neither a registration_secret (no derivation) nor the configured default: only the table knows these.
    const std::string first = "file-secret-0601-first", rotated = "file-secret-0601-rotated";
    const std::string operator_secret = "operator-secret-0602-x";
    // Past the first test's fleet (its gateways' state is still in the database).
    const int gw_file = kGateways + 601, gw_op = kGateways + 602;
    const std::string file_gw = gateway_id(gw_file), op_gw = gateway_id(gw_op);
    const unsigned short admin_port = e2e::free_port();  // node 1's admin listener (loopback: no credentials)
    const std::string script =
        "sessions:\n"
        "  - expect_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n"
        "      - rpc: SetParameterValues\n"
        "        parameter_key: secrets-1\n"
        "        parameters:\n"
        "          - {name: InternetGatewayDevice.ManagementServer.ConnectionRequestUsername, value: cr-user, type: xsd:string}\n"
        "        expect_status: 0\n"
        "  - forbid_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n"
        "      - rpc: GetParameterValues\n"
        "        names: [" + kPk + "]\n"
        "        expect_values: {" + kPk + ": secrets-1}\n";
    const auto acs_process = start_scripted_acs(dir, acs_port, script, 120);
    auto& acs = *acs_process;
    std::ofstream(dir / "dsn") << pg->dsn() << "\n";
    std::ofstream(dir / "secrets.yaml") << file_gw << ": " << first << "\n";
    std::map<std::string, std::unique_ptr<e2e::Process>> nodes;
    for (const std::string n : {"s1", "s2", "s3"}) {
        std::ofstream(dir / (n + ".yaml"))
            << "acs: { url: \"http://127.0.0.1:" << acs_port << "/acs\", username: bridge, password: cluster-acs-pw }\n"
            << "connection_request: { listen: \"127.0.0.1:0\" }\n"
            << "cmp: { listen: \"127.0.0.1:" << cmp_port.at(n) << "\", accept_registrations: true"
            << (n == "s1" ? ", secrets_file: " + (dir / "secrets.yaml").string() : std::string()) << " }\n"
            << "state_dir: " << (dir / n).string() << "\n"
            << "state: { backend: postgresql, dsn_file: " << (dir / "dsn").string() << ", node_id: " << n
            << ", lease_ttl_s: " << kTtl << ", advertise_host: 127.0.0.1 }\n"
            << "periodic_inform: { enable: false, interval_s: 86400 }\n"
            << "defaults: { mapping: " << fs::absolute("mappings/tr098.yaml").string() << " }\n"
            << (n == "s1" ? "admin: { listen: \"127.0.0.1:" + std::to_string(admin_port) + "\" }\n" : std::string());
        nodes[n] = start_node(dir, n);
    }
    Db db(pg->dsn());
    auto logs = [&] {
        std::string all = "acs:\n" + acs.log().substr(acs.log().size() > 3000 ? acs.log().size() - 3000 : 0);
        for (auto& [n, p] : nodes) all += "\n" + n + ":\n" + p->log().substr(p->log().size() > 4000 ? p->log().size() - 4000 : 0);
        return all;
    };
    auto secret_in_db = [&](const std::string& rg) {
        auto r = db.c->exec("SELECT secret FROM bridge.secrets WHERE rg_id = $1", {state::pg::Param::text(rg)});
        return r && r->size() ? std::string(r->at(0, 0)) : std::string();
    };
    // A gateway keeps its control URL across restarts: a fixed port per gateway.
    std::map<int, unsigned short> agent_port;
    auto gateway = [&](const std::string& tag, int id, const std::string& secret, const std::string& node) {
        if (!agent_port.count(id)) agent_port[id] = e2e::free_port();
        return std::make_unique<e2e::Process>(
            std::vector<std::string>{bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:" + std::to_string(agent_port[id]), "--port-file",
                                     (dir / (tag + ".port")).string(), "--gateways", "1", "--first-id",
                                     std::to_string(id), "--secret", secret, "--bridge",
                                     "http://127.0.0.1:" + std::to_string(cmp_port.at(node)) + "/cmp", "--log-level", "warn"},
            (dir / (tag + ".log")).string());
    };
    auto sessions_done = [&] { return e2e::count_in(acs.log(), "session complete"); };
    INFO(logs());
    // Node 1 imported its file: the table has the secret before any gateway talks.
    REQUIRE(eventually([&] { return secret_in_db(file_gw) == first; }, 20s));

    // ---- a file-only secret, the gateway registering through node 2 (no file there)
    auto sim = gateway("sim1", gw_file, first, "s2");
    REQUIRE(eventually([&] { return informs_with(acs.log(), "0 BOOTSTRAP") == 1 && sessions_done() >= 1; }, 40s));
    CHECK(db.scalar("SELECT count(*) FROM bridge.registry WHERE key = $1", {state::pg::Param::text(file_gw)}) == 1);
    const std::string owner =
        db.text("SELECT node FROM bridge.leases WHERE key = $1 AND expires > now()", {state::pg::Param::text(file_gw)});
    MESSAGE(file_gw << " served by " << owner);
    CHECK(!owner.empty());

    // ---- rotated in node 1's file; the gateway comes back with it through node 3
    sim->stop();
    std::ofstream(dir / "secrets.yaml") << file_gw << ": " << rotated << "\n";
    fs::last_write_time(dir / "secrets.yaml", fs::last_write_time(dir / "secrets.yaml") + 2s);
    REQUIRE(eventually([&] { return secret_in_db(file_gw) == rotated; }, 10s));
    std::this_thread::sleep_for(2500ms);  // every node's snapshot: about 1 s
    // The old secret is refused at any node (node 3 relays to the owner, which checks it), the new one served.
    CHECK(send_cmp(cmp_port.at("s3"), signed_keepalive(file_gw, first)) == 401);
    CHECK(send_cmp(cmp_port.at("s3"), signed_keepalive(file_gw, rotated)) == 200);
    const auto done_before = sessions_done();
    sim = gateway("sim2", gw_file, rotated, "s3");
    // Its boot reaches the ACS: the owner's CPE signs its calls with the rotated secret.
    CHECK(eventually([&] { return informs_with(acs.log(), "1 BOOT") >= 1 && sessions_done() > done_before; }, 40s));
    CHECK(informs_with(acs.log(), "0 BOOTSTRAP") == 1);

    // ---- an operator's secret (stdin, never argv) for a gateway no file names, registering at node 3
    const std::string set_out = (dir / "set.out").string();
    const int rc = std::system(("printf '%s\\n' '" + operator_secret + "' | " + bin + "/cmp-cwmp-bridge secrets set " + op_gw + " -c " +
                                (dir / "s2.yaml").string() + " >" + set_out + " 2>&1")
                                   .c_str());
    std::ifstream set_in(set_out);
    const std::string set_text((std::istreambuf_iterator<char>(set_in)), std::istreambuf_iterator<char>());
    INFO("secrets set: " << set_text);
    CHECK(rc == 0);
    CHECK(secret_in_db(op_gw) == operator_secret);
    const std::string list_out = (dir / "list.out").string();
    CHECK(std::system((bin + "/cmp-cwmp-bridge secrets list -c " + (dir / "s3.yaml").string() + " >" + list_out).c_str()) == 0);
    std::ifstream list_in(list_out);
    const std::string listed((std::istreambuf_iterator<char>(list_in)), std::istreambuf_iterator<char>());
    CHECK(listed.find(file_gw + " file ") != std::string::npos);
    CHECK(listed.find(op_gw + " operator ") != std::string::npos);
    CHECK(std::system((bin + "/cmp-cwmp-bridge secrets delete GW-0999 -c " + (dir / "s3.yaml").string() +
                       " 2>/dev/null").c_str()) != 0);
    std::this_thread::sleep_for(2500ms);
    auto op = gateway("sim3", gw_op, operator_secret, "s3");
    CHECK(eventually([&] { return informs_with(acs.log(), "0 BOOTSTRAP") == 2; }, 40s));
    CHECK(acs.log().find("FAILED") == std::string::npos);

    // Node 1's admin listener shows the three nodes alive and who holds the two leases (its keeper's snapshot).
    std::string status;
    const bool three = eventually([&] {
        status = e2e::http_exchange(admin_port, "GET /status.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        return e2e::count_in(status, "\"alive\":true") == 3 && status.find("\"owned\":2") != std::string::npos;
    }, 10s);
    INFO("status.json: " << status);
    CHECK(three);
    CHECK(status.find("\"cluster\":{\"node\":\"s1\"") != std::string::npos);
    CHECK(status.find("{\"node\":\"" + owner + "\",") != std::string::npos);

    // Never a secret in any log, nor in what the CLI printed.
    std::string everything = set_text + listed + status + acs.log();
    for (auto& [n, p] : nodes) everything += p->log();
    for (const auto& secret : {first, rotated, operator_secret}) CHECK(everything.find(secret) == std::string::npos);
    // `secrets import`, as a node imports its file: the unchanged entry costs nothing, the new one is written.
    const std::string extra_gw = gateway_id(kGateways + 603);
    std::ofstream(dir / "import.yaml") << file_gw << ": " << rotated << "\n" << extra_gw << ": imported-secret-x\n";
    const std::string import_out = (dir / "import.out").string();
    CHECK(std::system((bin + "/cmp-cwmp-bridge secrets import " + (dir / "import.yaml").string() + " -c " +
                       (dir / "s3.yaml").string() + " >" + import_out + " 2>&1").c_str()) == 0);
    std::ifstream import_in(import_out);
    const std::string imported((std::istreambuf_iterator<char>(import_in)), std::istreambuf_iterator<char>());
    CHECK(imported.find(": 1 written, 0 deleted") != std::string::npos);
    CHECK(imported.find("imported-secret-x") == std::string::npos);
    CHECK(secret_in_db(extra_gw) == "imported-secret-x");
    op->stop();
    sim->stop();
    for (auto& [n, p] : nodes) p->stop();
    acs.stop();
    // Its gateways leave the shared registry and secrets: another case's nodes would find them servable.
    for (const char* table : {"registry", "leases"})
        db.c->exec(std::string("DELETE FROM bridge.") + table + " WHERE key = $1 OR key = $2",
                   {state::pg::Param::text(file_gw), state::pg::Param::text(op_gw)});
    db.c->exec("DELETE FROM bridge.secrets WHERE rg_id IN ($1, $2, $3)",
               {state::pg::Param::text(file_gw), state::pg::Param::text(op_gw), state::pg::Param::text(extra_gw)});
    fs::remove_all(dir);
}
