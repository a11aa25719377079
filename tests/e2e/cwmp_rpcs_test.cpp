// End to end over loopback: scripted ACS <-> bridge <-> gateway simulator.
// Every RPC the shipped mapping supports, its faults, a Digest Connection
// Request against the bridge's listener, a ScheduleInform session, a firmware
// Download closed later by a TransferComplete, then a kill -9 of the bridge
// and proof that what was acknowledged survived. Every
// CWMP message the bridge emits must pass the strict BBF schema.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "tests/e2e/cmp_e2e_util.hpp"
#include "tests/e2e/process.hpp"
#include "tests/e2e/schema.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string bin = E2E_BIN_DIR;
const std::string kSecret = "e2e-shared-secret";
const std::string kGateway = "GW-0001";

// `acs_tls`: the acs.tls block ("" = none) and an https ACS URL.
void write_config(const fs::path& file, unsigned short acs_port, unsigned short sim_port, unsigned short cmp_port,
                  const fs::path& state_dir, const std::string& acs_tls = "") {
    std::ofstream out(file);
    out << "acs:\n  url: " << (acs_tls.empty() ? "http" : "https") << "://127.0.0.1:" << acs_port
        << "/acs\n  username: bridge\n  password: e2e-acs-pw\n"
        << (acs_tls.empty() ? "" : "  tls: " + acs_tls + "\n")
        << "connection_request:\n  listen: 127.0.0.1:0\n  max_per_minute: 10\n"
        << "cmp:\n  listen: 127.0.0.1:" << cmp_port << "\n  timeout_s: 5\n"
        << "state_dir: " << state_dir.string() << "\n"
        // No periodic Informs: the sessions of this test are exactly the scripted ones.
        << "periodic_inform:\n  enable: false\n  interval_s: 86400\n"
        << "defaults:\n  mapping: " << fs::absolute("mappings/tr098.yaml").string() << "\n  secret: " << kSecret << "\n"
        << "gateways:\n  - { id: " << kGateway << ", url: \"http://127.0.0.1:" << sim_port << "/cmp/" << kGateway
        << "\" }\n";
}

struct Run {
    YAML::Node report;
    fs::path dumps;
};

// One scripted ACS run against a bridge; the bridge is killed with SIGKILL at the end.
Run run(const fs::path& dir, const std::string& tag, const std::string& script, int sessions, unsigned short sim_port,
        unsigned short cmp_port) {
    fs::path dumps = dir / ("msgs-" + tag);
    e2e::Process acs({bin + "/scripted-acs", "--listen", "127.0.0.1:0", "--port-file", (dir / ("acs-" + tag + ".port")).string(),
                      "--script", script, "--report", (dir / ("report-" + tag + ".yaml")).string(), "--dump-dir",
                      dumps.string(), "--username", "bridge", "--password", "e2e-acs-pw", "--sessions",
                      std::to_string(sessions), "--timeout", "60", "--nonce-per-connection"},
                     (dir / ("acs-" + tag + ".log")).string());
    auto acs_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / ("acs-" + tag + ".port")).string(), 10s)));
    write_config(dir / "bridge.yaml", acs_port, sim_port, cmp_port, dir / "state");
    e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "bridge.yaml").string(), "--threads", "2"},
                        (dir / ("bridge-" + tag + ".log")).string());
    int rc = acs.wait(90s);
    // No graceful stop: whatever the bridge acknowledged must already be on disk.
    bridge.kill_now(SIGKILL);
    bridge.wait(5s);
    INFO("bridge log:\n" << bridge.log());
    INFO("acs log:\n" << acs.log());
    REQUIRE(rc == 0);
    return Run{YAML::LoadFile((dir / ("report-" + tag + ".yaml")).string()), dumps};
}

// The scripted sessions by index; interim ones (before a wait_for_events session) are left out.
std::vector<YAML::Node> sessions_in_order(const YAML::Node& report) {
    std::size_t n = 0;
    for (YAML::Node s : report["sessions"]) n += !s["interim"].as<bool>(false);
    std::vector<YAML::Node> out(n);
    for (YAML::Node s : report["sessions"]) {
        if (s["interim"].as<bool>(false)) continue;
        auto i = s["index"].as<std::size_t>();
        REQUIRE(i < out.size());
        out[i].reset(s);
    }
    return out;
}


}  // namespace

TEST_CASE("every supported RPC end to end, a Connection Request, ScheduleInform, kill -9") {
    if (!test_shared::path("bbf/cwmp-any-version.xsd") || !test_shared::tool("xmllint", "libxml2-utils")) return;
    fs::path dir = e2e::make_temp_dir("e2e-rpcs");
    unsigned short cmp_port = e2e::free_port();
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "1", "--bridge", "http://127.0.0.1:" + std::to_string(cmp_port) + "/cmp",
                      "--secret", kSecret, "--identities-out", (dir / "identities.yaml").string(),
                      "--upgrade-seconds", "2", "--reboot-seconds", "2"},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));

    Run first = run(dir, "first", "tests/e2e/scripts/rpcs.yaml", 4, sim_port, cmp_port);
    CHECK(first.report["ok"].as<bool>());
    auto s = sessions_in_order(first.report);
    REQUIRE(s.size() == 4);
    for (auto& session : s) {
        CHECK(session["finished"].as<bool>());
        for (auto step : session["steps"]) {
            INFO(step["request"].as<std::string>() << ": " << step["problem"].as<std::string>(""));
            CHECK(step["ok"].as<bool>());
        }
    }
    const std::string cr_url = s[0]["inform_parameters"]["InternetGatewayDevice.ManagementServer.ConnectionRequestURL"]
                                   .as<std::string>();
    CHECK(cr_url.rfind("http://127.0.0.1:", 0) == 0);
    CHECK(s[0]["connection_requests"][0].as<std::string>() == "wrong password: 401");
    CHECK(s[0]["connection_requests"][1].as<std::string>() == "status 200");
    // The ParameterKey set in session 1 is in the next Inform.
    CHECK(s[1]["inform_parameters"]["InternetGatewayDevice.ManagementServer.ParameterKey"].as<std::string>() == "e2e-key-1");
    CHECK(s[2]["inform_parameters"]["InternetGatewayDevice.ManagementServer.ParameterKey"].as<std::string>() == "e2e-key-2");
    // The Download of session 3 comes back as the CPE's own TransferComplete request, acknowledged.
    REQUIRE(s[3]["transfer_completes"].size() == 1);
    const YAML::Node tc = s[3]["transfer_completes"][0];
    CHECK(tc["command_key"].as<std::string>() == "e2e-fw");
    CHECK(tc["fault_code"].as<int>() == 0);
    CHECK(tc["fault_string"].as<std::string>() == "");
    CHECK(tc["start_time"].as<std::string>() != "0001-01-01T00:00:00Z");
    CHECK(tc["complete_time"].as<std::string>() != "0001-01-01T00:00:00Z");
    CHECK(s[3]["cpe_requests"][0].as<std::string>() == "TransferComplete -> TransferCompleteResponse");
    std::size_t informs = first.report["sessions"].size(), answers = 0, transfer_completes = 0;
    for (YAML::Node session : first.report["sessions"]) {
        answers += session["steps"].size();
        transfer_completes += session["transfer_completes"].size();
        if (session["interim"].as<bool>(false)) CHECK(session["steps"].size() == 0);
    }
    CHECK(answers == 22 + 2 + 1);  // every scripted RPC was answered
    CHECK(transfer_completes == 1);
    int files = e2e::validate_cwmp_dumps(first.dumps);
    CHECK(files == static_cast<int>(informs + answers + transfer_completes));

    Run second = run(dir, "restart", "tests/e2e/scripts/rpcs-restart.yaml", 2, sim_port, cmp_port);
    CHECK(second.report["ok"].as<bool>());
    auto r = sessions_in_order(second.report);
    REQUIRE(r.size() == 2);
    // The listener has a new port after the restart: the new ConnectionRequestURL is a value change
    // (active notification, forced by TR-098) in the BOOT session.
    const std::string new_cr_url =
        r[0]["inform_parameters"]["InternetGatewayDevice.ManagementServer.ConnectionRequestURL"].as<std::string>();
    if (new_cr_url != cr_url) {
        bool value_change = false;
        for (auto e : r[0]["events"]) value_change |= e.as<std::string>() == "4 VALUE CHANGE";
        CHECK(value_change);
    }
    e2e::validate_cwmp_dumps(second.dumps);

    INFO("simulator log:\n" << sim.log());
    sim.stop();
    // E2E_KEEP=1 keeps the logs, reports and message dumps for a look by hand.
    if (std::getenv("E2E_KEEP")) MESSAGE("kept " << dir.string());
    else fs::remove_all(dir);
}

// HTTPS towards the ACS with a CA made at test time: the bridge verifies the
// ACS's certificate against acs.tls.ca_file and presents its client
// certificate; against a CA that did not sign the ACS's certificate no Inform
// is sent until the CA file on disk is replaced (a fresh TLS context per
// connection picks it up without a restart).
TEST_CASE("HTTPS to the ACS: server verification and a client certificate") {
    fs::path dir = e2e::make_temp_dir("e2e-acs-tls");
    e2e::make_pki(dir, "acs");     // the ACS's server certificate
    e2e::make_pki(dir, "client");  // its "server" certificate doubles as the bridge's client certificate
    e2e::make_pki(dir, "other");   // a CA that signed nothing the ACS uses
    unsigned short cmp_port = e2e::free_port();
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "1", "--bridge", "http://127.0.0.1:" + std::to_string(cmp_port) + "/cmp",
                      "--secret", kSecret},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    std::ofstream(dir / "script.yaml") << "sessions:\n  - expect_events: [\"0 BOOTSTRAP\"]\n    steps:\n"
                                          "      - rpc: GetParameterValues\n"
                                          "        names: [InternetGatewayDevice.ManagementServer.URL]\n";
    auto start_acs = [&](const std::string& tag) {
        return std::make_unique<e2e::Process>(
            std::vector<std::string>{bin + "/scripted-acs", "--listen", "127.0.0.1:0", "--port-file",
                                     (dir / (tag + ".port")).string(), "--script", (dir / "script.yaml").string(),
                                     "--report", (dir / (tag + "-report.yaml")).string(), "--username", "bridge",
                                     "--password", "e2e-acs-pw", "--sessions", "1", "--timeout", "60", "--tls-cert",
                                     (dir / "acs-server.pem").string(), "--tls-key", (dir / "acs-server.key").string(),
                                     "--tls-client-ca", (dir / "client-ca.pem").string()},
            (dir / (tag + "-acs.log")).string());
    };
    const std::string client_cert = ", cert_file: " + (dir / "client-server.pem").string() +
                                    ", key_file: " + (dir / "client-server.key").string() + " }";

    SUBCASE("a CA that did not sign the ACS's certificate: no Inform until the CA file is replaced") {
        auto acs = start_acs("wrong-ca");
        auto port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "wrong-ca.port").string(), 10s)));
        const fs::path ca_file = dir / "rotating-ca.pem";
        fs::copy_file(dir / "other-ca.pem", ca_file);
        write_config(dir / "bridge.yaml", port, sim_port, cmp_port, dir / "state-wrong",
                     "{ ca_file: " + ca_file.string() + client_cert);
        e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "bridge.yaml").string()},
                            (dir / "bridge-wrong.log").string());
        CHECK(e2e::wait_for_log(bridge, "session failed: transport: TLS handshake with 127.0.0.1", 30s));
        CHECK(acs->log().find("Inform from") == std::string::npos);
        // Each connection builds its TLS context afresh: the retry trusts the new CA file, no restart needed.
        fs::copy_file(dir / "acs-ca.pem", ca_file, fs::copy_options::overwrite_existing);
        int rc = acs->wait(90s);
        bridge.stop();
        INFO("bridge log:\n" << bridge.log());
        INFO("acs log:\n" << acs->log());
        CHECK(rc == 0);
    }
    SUBCASE("the right CA and a client certificate: the session runs") {
        auto acs = start_acs("right-ca");
        auto port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "right-ca.port").string(), 10s)));
        write_config(dir / "bridge.yaml", port, sim_port, cmp_port, dir / "state-right",
                     "{ ca_file: " + (dir / "acs-ca.pem").string() + client_cert);
        e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "bridge.yaml").string()},
                            (dir / "bridge-right.log").string());
        int rc = acs->wait(90s);
        bridge.stop();
        INFO("bridge log:\n" << bridge.log());
        INFO("acs log:\n" << acs->log());
        REQUIRE(rc == 0);
        auto report = YAML::LoadFile((dir / "right-ca-report.yaml").string());
        CHECK(report["ok"].as<bool>());
        auto values = report["sessions"][0]["steps"][0]["values"];
        CHECK(values["InternetGatewayDevice.ManagementServer.URL"].as<std::string>() ==
              "https://127.0.0.1:" + std::to_string(port) + "/acs");
    }
    SUBCASE("without the client certificate the ACS refuses the handshake") {
        auto acs = start_acs("no-cert");
        auto port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "no-cert.port").string(), 10s)));
        write_config(dir / "bridge.yaml", port, sim_port, cmp_port, dir / "state-no-cert",
                     "{ ca_file: " + (dir / "acs-ca.pem").string() + " }");
        e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "bridge.yaml").string()},
                            (dir / "bridge-no-cert.log").string());
        CHECK(e2e::wait_for_log(bridge, "session failed: transport:", 30s));
        bridge.stop();
        acs->stop();
        INFO("bridge log:\n" << bridge.log());
        CHECK(acs->log().find("Inform from") == std::string::npos);
    }
    sim.stop();
    if (std::getenv("E2E_KEEP")) MESSAGE("kept " << dir.string());
    else fs::remove_all(dir);
}
