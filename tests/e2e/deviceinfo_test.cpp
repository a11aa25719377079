// End to end, real processes on 127.0.0.1: scripted ACS <-> bridge <-> gateway
// simulator. The ACS reads DeviceInfo of every simulated gateway; values must
// be the simulator's, the bridge must BOOTSTRAP once and BOOT after a restart,
// and every CWMP message the bridge emits must pass the BBF schema.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "tests/e2e/process.hpp"
#include "tests/e2e/schema.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string bin = E2E_BIN_DIR;
constexpr int kGateways = 3;
const std::string kSecret = "e2e-shared-secret";

struct Run {
    YAML::Node report;
    fs::path dumps;
};

void write_config(const fs::path& file, unsigned short acs_port, unsigned short sim_port, unsigned short cmp_port,
                  const fs::path& state_dir, const std::string& mapping = "mappings/tr098.yaml", int gateways = kGateways) {
    std::ofstream out(file);
    out << "acs:\n  url: http://127.0.0.1:" << acs_port << "/acs\n  username: bridge\n  password: e2e-acs-pw\n"
        << "connection_request:\n  listen: 127.0.0.1:0\n"
        << "cmp:\n  listen: 127.0.0.1:" << cmp_port << "\n  timeout_s: 5\n"
        << "state_dir: " << state_dir.string() << "\n"
        << "defaults:\n  mapping: " << fs::absolute(mapping).string() << "\n  secret: " << kSecret << "\n"
        << "gateways:\n";
    for (int i = 1; i <= gateways; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "GW-%04d", i);
        out << "  - { id: " << id << ", url: \"http://127.0.0.1:" << sim_port << "/cmp/" << id << "\" }\n";
    }
}

// One bridge lifetime against a fresh scripted ACS.
Run run_once(const fs::path& dir, const std::string& tag, unsigned short sim_port, unsigned short cmp_port) {
    fs::path dumps = dir / ("msgs-" + tag);
    e2e::Process acs({bin + "/scripted-acs", "--listen", "127.0.0.1:0", "--port-file", (dir / ("acs-" + tag + ".port")).string(),
                      "--script", "tests/e2e/scripts/deviceinfo.yaml", "--report", (dir / ("report-" + tag + ".yaml")).string(),
                      "--dump-dir", dumps.string(), "--username", "bridge", "--password", "e2e-acs-pw",
                      "--sessions", std::to_string(kGateways), "--timeout", "60", "--quiet"},
                     (dir / ("acs-" + tag + ".log")).string());
    auto acs_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / ("acs-" + tag + ".port")).string(), 10s)));
    write_config(dir / "bridge.yaml", acs_port, sim_port, cmp_port, dir / "state");
    e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "bridge.yaml").string(), "--threads", "2"},
                        (dir / ("bridge-" + tag + ".log")).string());
    int rc = acs.wait(90s);
    bridge.stop();
    INFO("bridge log:\n" << bridge.log());
    INFO("acs log:\n" << acs.log());
    REQUIRE(rc == 0);
    return Run{YAML::LoadFile((dir / ("report-" + tag + ".yaml")).string()), dumps};
}

void check_values(const Run& run, const YAML::Node& ids, const std::string& required_event,
                  const std::string& forbidden_event) {
    std::set<std::string> seen;
    for (auto s : run.report["sessions"]) {
        if (!s["finished"].as<bool>()) continue;
        std::string serial = s["serial_number"].as<std::string>();
        std::string gw;
        for (auto it = ids.begin(); it != ids.end(); ++it)
            if (it->second["serialNumber"].as<std::string>() == serial) gw = it->first.as<std::string>();
        INFO("session of serial " << serial);
        REQUIRE(!gw.empty());
        auto id = ids[gw];
        CHECK(s["manufacturer"].as<std::string>() == id["manufacturer"].as<std::string>());
        CHECK(s["oui"].as<std::string>() == id["oui"].as<std::string>());
        CHECK(s["product_class"].as<std::string>() == id["productClass"].as<std::string>());
        std::set<std::string> events;
        for (auto e : s["events"]) events.insert(e.as<std::string>());
        CHECK(events.count(required_event) == 1);
        CHECK(events.count(forbidden_event) == 0);

        auto steps = s["steps"];
        REQUIRE(steps.size() == 3);
        auto v = steps[0]["values"];
        const std::string di = "InternetGatewayDevice.DeviceInfo.";
        CHECK(v[di + "Manufacturer"].as<std::string>() == id["manufacturer"].as<std::string>());
        CHECK(v[di + "ManufacturerOUI"].as<std::string>() == id["oui"].as<std::string>());
        CHECK(v[di + "ModelName"].as<std::string>() == id["modelName"].as<std::string>());
        CHECK(v[di + "ProductClass"].as<std::string>() == id["productClass"].as<std::string>());
        CHECK(v[di + "SerialNumber"].as<std::string>() == serial);
        CHECK(v[di + "HardwareVersion"].as<std::string>() == id["hwVersion"].as<std::string>());
        CHECK(v[di + "SoftwareVersion"].as<std::string>() == id["swVersion"].as<std::string>());
        CHECK(v[di + "UpTime"].as<unsigned long>() < 10'000'000UL);
        auto v2 = steps[1]["values"];
        CHECK(v2[di + "SerialNumber"].as<std::string>() == serial);
        CHECK(v2["InternetGatewayDevice.ManagementServer.PeriodicInformInterval"].as<unsigned>() >= 1);
        CHECK(steps[2]["fault"].as<unsigned>() == 9005);
        seen.insert(gw);
    }
    CHECK(seen.size() == kGateways);
}

// Per gateway: Inform, then one message per scripted RPC.
void validate_dumps(const fs::path& dumps, int at_least = kGateways * 4) {
    CHECK(e2e::validate_cwmp_dumps(dumps) >= at_least);
}

}  // namespace

TEST_CASE("ACS reads DeviceInfo of simulated CMP gateways through the bridge") {
    if (!test_shared::path("bbf/cwmp-any-version.xsd") || !test_shared::tool("xmllint", "libxml2-utils")) return;
    fs::path dir = e2e::make_temp_dir("e2e");
    unsigned short cmp_port = e2e::free_port();
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", std::to_string(kGateways), "--bridge",
                      "http://127.0.0.1:" + std::to_string(cmp_port) + "/cmp", "--secret", kSecret,
                      "--identities-out", (dir / "identities.yaml").string()},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    YAML::Node ids = YAML::LoadFile((dir / "identities.yaml").string());
    REQUIRE(ids.size() == kGateways);

    SUBCASE("first contact, then a bridge restart") {
        Run first = run_once(dir, "first", sim_port, cmp_port);
        check_values(first, ids, "0 BOOTSTRAP", "");
        validate_dumps(first.dumps);

        Run second = run_once(dir, "restart", sim_port, cmp_port);
        check_values(second, ids, "1 BOOT", "0 BOOTSTRAP");
        validate_dumps(second.dumps);
    }
    INFO("simulator log:\n" << sim.log());
    sim.stop();
    fs::remove_all(dir);
}

// Every shipped table, not only tr098.yaml, over the network: the whole tree
// read in one GetParameterValues through real CMP calls to the simulator,
// every name listed, and every message valid against the BBF schema.
TEST_CASE("each shipped table serves its whole tree end to end") {
    if (!test_shared::path("bbf/cwmp-any-version.xsd") || !test_shared::tool("xmllint", "libxml2-utils")) return;
    struct Table {
        std::string file, root;
    };
    for (const Table& t : {Table{"mappings/tr098.yaml", "InternetGatewayDevice."},
                           Table{"mappings/tr098-tr157.yaml", "InternetGatewayDevice."},
                           Table{"mappings/tr106.yaml", "Device."}}) {
        CAPTURE(t.file);
        fs::path dir = e2e::make_temp_dir("e2e-tree");
        unsigned short cmp_port = e2e::free_port();
        e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                          "--gateways", "1", "--bridge", "http://127.0.0.1:" + std::to_string(cmp_port) + "/cmp",
                          "--secret", kSecret, "--identities-out", (dir / "identities.yaml").string()},
                         (dir / "sim.log").string());
        auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
        YAML::Node ids = YAML::LoadFile((dir / "identities.yaml").string());
        const std::string script = "tests/e2e/scripts/whole-tree-" + t.root.substr(0, t.root.size() - 1) + ".yaml";
        e2e::Process acs({bin + "/scripted-acs", "--listen", "127.0.0.1:0", "--port-file", (dir / "acs.port").string(),
                          "--script", script, "--report", (dir / "report.yaml").string(), "--dump-dir",
                          (dir / "msgs").string(), "--username", "bridge", "--password", "e2e-acs-pw", "--sessions", "1",
                          "--timeout", "60", "--quiet"},
                         (dir / "acs.log").string());
        auto acs_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "acs.port").string(), 10s)));
        write_config(dir / "bridge.yaml", acs_port, sim_port, cmp_port, dir / "state", t.file, 1);
        e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "bridge.yaml").string()},
                            (dir / "bridge.log").string());
        int rc = acs.wait(90s);
        bridge.stop();
        sim.stop();
        INFO("bridge log:\n" << bridge.log());
        INFO("acs log:\n" << acs.log());
        REQUIRE(rc == 0);

        auto session = YAML::LoadFile((dir / "report.yaml").string())["sessions"][0];
        const std::string serial = ids["GW-0001"]["serialNumber"].as<std::string>();
        CHECK(session["serial_number"].as<std::string>() == serial);
        auto steps = session["steps"];
        REQUIRE(steps.size() == 3);
        auto tree = steps[0]["values"];
        CHECK(tree.size() > 50);
        CHECK(tree[t.root + "DeviceInfo.SerialNumber"].as<std::string>() == serial);
        CHECK(tree[t.root + "DeviceInfo.Manufacturer"].as<std::string>() == ids["GW-0001"]["manufacturer"].as<std::string>());
        CHECK(steps[2]["values"][t.root + "DeviceInfo.SerialNumber"].as<std::string>() == serial);
        CHECK(steps[2]["values"][t.root + "ManagementServer.ConnectionRequestURL"].as<std::string>().rfind("http://", 0) == 0);
        validate_dumps(dir / "msgs", 4);
        fs::remove_all(dir);
    }
}
