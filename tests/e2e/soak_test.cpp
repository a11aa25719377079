// Soak under peers that behave like real ones (issue 10), in well under a
// minute: an ACS and gateways that close idle keep-alive connections after a
// fraction of a second, RPCs whose gateway calls outlast the ACS's idle
// timeout (so the ACS has closed the connection when the answer comes),
// Connection Requests after idle periods, an ACS outage while an event is
// pending, and a kill -9 of the bridge in the middle of sessions. Also: a
// captured gateway message replayed after a kill -9 and restart is refused.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "tests/e2e/cmp_e2e_util.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string bin = E2E_BIN_DIR;
const std::string kSecret = "soak-secret-5d0c1e7f";
const std::string kToken = "soak-control-token";
const std::string kCount = "InternetGatewayDevice.LANDevice.1.Hosts.HostNumberOfEntries";

std::string config(const fs::path& dir, unsigned short acs_port, unsigned short cmp_port, unsigned short cr_port,
                   unsigned short sim_port, int gateways) {
    std::ostringstream out;
    out << "acs:\n  url: http://127.0.0.1:" << acs_port << "/acs\n  username: bridge\n  password: soak-acs-pw\n"
        << "  timeout_s: 5\n"
        << "connection_request:\n  listen: 127.0.0.1:" << cr_port << "\n  max_per_minute: 60\n"
        << "state_dir: " << (dir / "state").string() << "\n"
        << "periodic_inform:\n  enable: false\n  interval_s: 86400\n"
        << "defaults:\n  mapping: " << fs::absolute("mappings/tr098.yaml").string() << "\n  secret: " << kSecret << "\n"
        << "cmp:\n  listen: 127.0.0.1:" << cmp_port << "\n  timeout_s: 5\n"
        << "gateways:\n";
    for (int i = 1; i <= gateways; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "GW-%04d", i);
        out << "  - { id: " << id << ", url: \"http://127.0.0.1:" << sim_port << "/cmp/" << id << "\" }\n";
    }
    return out.str();
}

std::unique_ptr<e2e::Process> start_bridge(const fs::path& dir, const std::string& tag) {
    return std::make_unique<e2e::Process>(std::vector<std::string>{bin + "/cmp-cwmp-bridge", "--log-level", "debug", "run", "-c", (dir / "bridge.yaml").string(),
                         "--threads", "2"},
                        (dir / ("bridge-" + tag + ".log")).string());
}

e2e::Process start_acs(const fs::path& dir, const std::string& tag, unsigned short port, const std::string& script,
                       int sessions) {
    std::ofstream(dir / (tag + ".yaml")) << script;
    return e2e::Process({bin + "/scripted-acs", "--listen", "127.0.0.1:" + std::to_string(port), "--script",
                         (dir / (tag + ".yaml")).string(), "--report", (dir / (tag + "-report.yaml")).string(),
                         "--username", "bridge", "--password", "soak-acs-pw", "--sessions", std::to_string(sessions),
                         "--timeout", "45", "--idle-close-ms", "300"},
                        (dir / ("acs-" + tag + ".log")).string());
}

// One HTTP/1.1 POST; returns the whole response ("" when nothing came back).
std::string post(unsigned short port, const std::string& path, const std::vector<std::string>& headers,
                 const std::string& body) {
    std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (auto& h : headers) req += h + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return e2e::http_exchange(port, req);
}

std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const std::string kCr = "    connection_request: {username: soak-cr, password: soak-cr-pw, delay_ms: 1500}\n";
const std::string kRead =
    "      - rpc: GetParameterValues\n"
    "        names: [InternetGatewayDevice.DeviceInfo.SoftwareVersion, InternetGatewayDevice.ManagementServer.ParameterKey]\n"
    "        expect_values: {InternetGatewayDevice.ManagementServer.ParameterKey: soak-1}\n";

}  // namespace

TEST_CASE("soak: idle keep-alive connections closed by both peers, CRs after idle periods, ACS outage, kill -9") {
    fs::path dir = e2e::make_temp_dir("soak");
    const unsigned short cmp_port = e2e::free_port(), cr_port = e2e::free_port(), acs_port = e2e::free_port();
    // Gateways answer slower than the ACS keeps an idle connection open, and
    // close their own idle connections after 700 ms.
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "2", "--secret", kSecret, "--bridge",
                      "http://127.0.0.1:" + std::to_string(cmp_port) + "/cmp", "--latency", "450", "--idle-close-ms",
                      "700", "--control-token", kToken},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    std::ofstream(dir / "bridge.yaml") << config(dir, acs_port, cmp_port, cr_port, sim_port, 2);

    // Phase 1: bootstrap, then two Connection Requests, each after 1.5 s of
    // idle time (longer than both peers keep idle connections).
    const std::string script1 =
        "sessions:\n"
        "  - expect_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n"
        "      - rpc: SetParameterValues\n"
        "        parameter_key: soak-1\n"
        "        parameters:\n"
        "          - {name: InternetGatewayDevice.ManagementServer.ConnectionRequestUsername, value: soak-cr, type: xsd:string}\n"
        "          - {name: InternetGatewayDevice.ManagementServer.ConnectionRequestPassword, value: soak-cr-pw, type: xsd:string}\n"
        "        expect_status: 0\n"
        "      - rpc: SetParameterAttributes\n"
        "        parameters:\n"
        "          - {name: " + kCount + ", notification: 2}\n" + kRead + kCr +
        "  - expect_events: [\"6 CONNECTION REQUEST\"]\n"
        "    forbid_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n" + kRead + kCr +
        "  - expect_events: [\"6 CONNECTION REQUEST\"]\n"
        "    forbid_events: [\"0 BOOTSTRAP\"]\n"
        "    steps:\n" + kRead;
    {
        e2e::Process acs = start_acs(dir, "phase1", acs_port, script1, 6);
        auto bridge = start_bridge(dir, "1");
        int rc = acs.wait(45s);
        INFO("acs log:\n" << acs.log());
        INFO("bridge log:\n" << bridge->log());
        REQUIRE(rc == 0);
        YAML::Node report = YAML::LoadFile((dir / "phase1-report.yaml").string());
        int crs = 0;
        for (auto s : report["sessions"])
            for (auto r : s["connection_requests"]) {
                CHECK(r.as<std::string>() == "status 200");
                ++crs;
            }
        CHECK(crs == 4);  // every CR answered 200, and each started the session that followed

        // Phase 2: the ACS is gone; a home device joins (active notification):
        // the VALUE CHANGE session fails and is retried until the ACS is back.
        for (const char* gw : {"GW-0001", "GW-0002"})
            CHECK(e2e::http_request(sim_port, "POST", std::string("/control/") + gw + "/join", kToken)
                      .rfind("HTTP/1.1 200", 0) == 0);
        CHECK(e2e::wait_for_log(*bridge, "session retry 1", 15s, 2));
        std::this_thread::sleep_for(2s);  // the outage outlasts the first failure
        const std::string script2 =
            "sessions:\n"
            "  - expect_events: [\"4 VALUE CHANGE\"]\n"
            "    forbid_events: [\"0 BOOTSTRAP\"]\n"
            "    steps:\n"
            "      - rpc: GetParameterValues\n"
            "        names: [InternetGatewayDevice.DeviceInfo.]\n"
            "  - expect_events: [\"1 BOOT\"]\n"
            "    forbid_events: [\"0 BOOTSTRAP\"]\n"
            "    steps:\n" + kRead + kCr +
            "  - expect_events: [\"6 CONNECTION REQUEST\"]\n"
            "    forbid_events: [\"0 BOOTSTRAP\"]\n"
            "    steps:\n" + kRead;
        e2e::Process acs2 = start_acs(dir, "phase2", acs_port, script2, 4);
        // Phase 3: kill -9 while both CPEs are in the middle of that session
        // (the whole-DeviceInfo read takes several slow gateway calls).
        REQUIRE(e2e::wait_for_log(acs2, "-> GetParameterValues", 30s, 2));
        bridge->kill_now(SIGKILL);
        bridge.reset();
        auto restarted = start_bridge(dir, "2");
        int rc2 = acs2.wait(45s);
        INFO("acs2 log:\n" << acs2.log());
        INFO("restarted bridge log:\n" << restarted->log());
        REQUIRE(rc2 == 0);
        restarted->stop();
        // Every exchange: no empty POST in the middle of an RPC reached either ACS.
        for (auto* l : {&acs, &acs2}) {
            CHECK(l->log().find("empty POST outside a session") == std::string::npos);
            CHECK(l->log().find("unexpected empty POST") == std::string::npos);
        }
    }
    sim.stop();
    fs::remove_all(dir);
}

TEST_CASE("a gateway message captured before a kill -9 is refused when replayed after the restart") {
    fs::path dir = e2e::make_temp_dir("replay");
    const unsigned short cmp_port = e2e::free_port(), cr_port = e2e::free_port(), acs_port = e2e::free_port();
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "1", "--secret", kSecret, "--bridge",
                      "http://127.0.0.1:" + std::to_string(cmp_port) + "/cmp", "--control-token", kToken,
                      "--reboot-seconds", "1"},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    std::ofstream(dir / "bridge.yaml") << config(dir, acs_port, cmp_port, cr_port, sim_port, 1);

    auto bridge = start_bridge(dir, "1");
    REQUIRE(e2e::wait_for_log(*bridge, "GW-0001: authenticated", 20s));

    // What an attacker captured on the wire: a genuine, signed notifyRgSecAlert.
    cmp::Request alert;
    alert.function = "notifyRgSecAlert";
    alert.header.rg_id = "GW-0001";
    alert.header.transaction_id = "77";
    alert.header.time_stamp = cmp::format_date_time(now_unix());
    alert.args.set("alertId", "a-77").set("alertType", "portScan").set("severity", "major").set("source", "wan")
        .set("time", alert.header.time_stamp).set("text", "captured");
    const std::string body = cmp::encode(alert);
    const std::string auth = cmp::sign(kSecret, "GW-0001", "POST", "/cmp", body, now_unix(), cmp::make_nonce());
    const std::vector<std::string> headers = {"Content-Type: text/xml; charset=utf-8",
                                              "SOAPAction: \"urn:iso:std:iso-iec:29104:-1:cmp:1#notifyRgSecAlert\"",
                                              "X-CMP-Auth: " + auth};
    std::string first = post(cmp_port, "/cmp", headers, body);
    INFO("first answer:\n" << first);
    REQUIRE(first.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(e2e::wait_for_log(*bridge, "security alert portScan", 5s));

    bridge->kill_now(SIGKILL);
    bridge.reset();
    auto restarted = start_bridge(dir, "2");
    // The gateway registers again with the new process (a reboot makes it do so at once).
    REQUIRE(e2e::wait_for_log(*restarted, "CMP listener on", 10s));
    CHECK(e2e::http_request(sim_port, "POST", "/control/GW-0001/reboot", kToken).rfind("HTTP/1.1 200", 0) == 0);
    REQUIRE(e2e::wait_for_log(*restarted, "GW-0001: authenticated", 30s));
    std::string replayed = post(cmp_port, "/cmp", headers, body);
    INFO("replayed answer:\n" << replayed);
    INFO("restarted bridge log:\n" << restarted->log());
    CHECK(replayed.rfind("HTTP/1.1 401", 0) == 0);
    CHECK(restarted->log().find("security alert portScan") == std::string::npos);
    CHECK(restarted->log().find("replay") != std::string::npos);
    restarted->stop();
    sim.stop();
    fs::remove_all(dir);
}

TEST_CASE("SIGTERM in the middle of a session: the session finishes, then the bridge exits 0") {
    fs::path dir = e2e::make_temp_dir("sigterm");
    const unsigned short cmp_port = e2e::free_port(), cr_port = e2e::free_port(), acs_port = e2e::free_port();
    // Every gateway call takes 1.5 s: the GetParameterValues below is still
    // running when the signal arrives.
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "1", "--secret", kSecret, "--latency", "1500"},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    std::ofstream(dir / "bridge.yaml") << config(dir, acs_port, cmp_port, cr_port, sim_port, 1);
    e2e::Process acs = start_acs(dir, "sigterm", acs_port,
                                 "sessions:\n"
                                 "  - steps:\n"
                                 "      - rpc: GetParameterValues\n"
                                 "        names: [InternetGatewayDevice.DeviceInfo.SoftwareVersion]\n",
                                 1);
    auto bridge = start_bridge(dir, "1");
    REQUIRE(e2e::wait_for_log(acs, "-> GetParameterValues", 30s));
    bridge->kill_now(SIGTERM);
    const int status = bridge->wait(15s);
    INFO("bridge log:\n" << bridge->log());
    INFO("acs log:\n" << acs.log());
    CHECK(status == 0);
    CHECK(acs.wait(5s) == 0);  // the session was completed: 204 after the answer
    CHECK(acs.log().find("session complete") != std::string::npos);
    CHECK(bridge->log().find("sessions cut") == std::string::npos);
    sim.stop();
    fs::remove_all(dir);
}

TEST_CASE("SIGHUP reloads the gateway list and mapping tables; a broken table is refused and nothing changes") {
    fs::path dir = e2e::make_temp_dir("reload");
    const unsigned short cmp_port = e2e::free_port(), cr_port = e2e::free_port(), acs_port = e2e::free_port();
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "2", "--secret", kSecret},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    // GW-0001 bootstraps; after the reload GW-0001 is replaced (new table) and GW-0002 is new.
    e2e::Process acs = start_acs(dir, "reload", acs_port,
                                 "steps:\n"
                                 "  - rpc: GetParameterValues\n"
                                 "    names: [InternetGatewayDevice.DeviceInfo.SoftwareVersion]\n",
                                 3);
    std::ofstream(dir / "bridge.yaml") << config(dir, acs_port, cmp_port, cr_port, sim_port, 1);
    auto bridge = start_bridge(dir, "1");
    REQUIRE(e2e::wait_for_log(acs, "session complete", 30s));

    // A table with an error: refused with its position, the bridge keeps serving.
    std::ofstream(dir / "broken.yaml") << "model: InternetGatewayDevice:1.4\nfunctions:\n  getRgInfo: [unclosed\n";
    std::string broken = config(dir, acs_port, cmp_port, cr_port, sim_port, 2);
    const std::string gw2 = "/cmp/GW-0002\" }";
    broken.replace(broken.find(gw2), gw2.size(), "/cmp/GW-0002\", mapping: " + (dir / "broken.yaml").string() + " }");
    std::ofstream(dir / "bridge.yaml", std::ios::trunc) << broken;
    bridge->kill_now(SIGHUP);
    REQUIRE(e2e::wait_for_log(*bridge, "reload refused", 10s));
    CHECK(bridge->log().find("broken.yaml:") != std::string::npos);
    CHECK(bridge->wait(200ms) == -1);  // still running

    // A good file: GW-0002 added, GW-0001's table changed.
    std::string good = config(dir, acs_port, cmp_port, cr_port, sim_port, 2);
    const std::string gw1 = "/cmp/GW-0001\" }";
    good.replace(good.find(gw1), gw1.size(),
                 "/cmp/GW-0001\", mapping: " + fs::absolute("mappings/tr098-tr157.yaml").string() + " }");
    std::ofstream(dir / "bridge.yaml", std::ios::trunc) << good;
    bridge->kill_now(SIGHUP);
    REQUIRE(e2e::wait_for_log(*bridge, "reload done: 1 added, 0 removed, 1 replaced", 20s));
    const int rc = acs.wait(40s);
    INFO("bridge log:\n" << bridge->log());
    INFO("acs log:\n" << acs.log());
    CHECK(rc == 0);  // three sessions: GW-0001, its replacement, and the new GW-0002
    CHECK(bridge->wait(200ms) == -1);
    bridge->stop();
    sim.stop();
    fs::remove_all(dir);
}
