// Issue 13, the round trip: cmp-gateway-sim -> bridge (forward: CMP gateways
// as TR-069 CPEs) -> those virtual CPEs inform a second bridge (reverse: the
// CPEs' ACS, one CMP agent per CPE) -> scripted-homs. The HOMS must read and
// write what the simulated gateways hold, receive their events, and upgrade
// and reboot them: every HOMS call crosses both bridges and both protocols.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bridge/acs/cpe_id.hpp"
#include "tests/e2e/cmp_e2e_util.hpp"
#include "tests/e2e/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string bin = E2E_BIN_DIR;
const std::string kGatewaySecret = "e2e-reverse-sim-secret-41c9";    // sim <-> forward bridge
const std::string kHomsSecret = "e2e-reverse-homs-secret-7d20";      // reverse bridge <-> HOMS
const std::string kCpePassword = "e2e-reverse-cpe-pw";               // forward CPEs -> reverse ACS
const std::string kCrPassword = "e2e-reverse-cr-pw";                 // reverse ACS -> forward CPEs
const std::string kToken = "e2e-reverse-control";

// The rgId the reverse bridge gives the virtual CPE of a simulated gateway.
std::string rg_id_of(const YAML::Node& identity) {
    cwmp::DeviceId d;
    d.manufacturer = identity["manufacturer"].as<std::string>();
    d.oui = identity["oui"].as<std::string>();
    d.product_class = identity["productClass"].as<std::string>();
    d.serial_number = identity["serialNumber"].as<std::string>();
    return acs::cpe_id(d);
}

std::string homs_script(const std::string& one, const std::string& two, const std::string& serial_one) {
    std::ostringstream s;
    s << "steps:\n"
         "  - wait_registered: " << one << "\n    timeout: 90\n"
         "  - wait_registered: " << two << "\n    timeout: 30\n"
         // Consumed here, so that the wait after the reboot sees only a new registration.
         "  - wait_event: regRg\n    gateway: " << one << "\n"
         // Reads: the gateway's identity through getRgInfo -> GPV -> forward bridge -> getRgInfo.
         "  - call: getRgInfo\n    gateway: " << one << "\n"
         "    expect:\n      fields:\n"
         "        serialNumber: " << serial_one << "\n"
         "        manufacturer: {regex: \".+\"}\n        oui: {regex: \"[0-9A-F]{6}\"}\n"
         "    save: {sw: swVersion}\n"
         "  - call: getHomeDevList\n    gateway: " << one << "\n"
         "    expect:\n      fields:\n        dev[0].devId: {regex: \"mac-.*\"}\n"
         // Writes: setRgTime -> SetParameterValues -> forward bridge -> setRgTime on the gateway; read back.
         "  - call: setRgTime\n    gateway: " << one << "\n    args: {ntpServer1: ntp.reverse.example.net}\n"
         "  - call: getRgTime\n    gateway: " << one << "\n"
         "    expect:\n      fields:\n        ntpServer1: ntp.reverse.example.net\n"
         // An event: the test makes a host leave the gateway's LAN once this step is reached.
         "  - wait_event: notifyHomeDevLeave\n    gateway: " << one << "\n"
         "    fields: {devId: {regex: \"mac-.*\"}}\n    timeout: 60\n"
         // An upgrade: Download through both bridges; its result comes back as notifyRgUpgradeResult.
         "  - call: upgradeRgFirmware\n    gateway: " << two << "\n"
         "    args: {fwUrl: \"http://files.example.net/images/V400R002.bin\", fwVersion: V400R002, fileSize: 0,"
         " userName: \"\", password: \"\"}\n"
         "  - wait_event: notifyRgUpgradeResult\n    gateway: " << two << "\n"
         "    fields: {resultCode: \"0\", fwVersion: V400R002}\n    timeout: 90\n"
         "  - call: getRgInfo\n    gateway: " << two << "\n"
         "    expect:\n      fields:\n        swVersion: V400R002\n"
         // A reboot: the gateway registers again once the CPE informs 1 BOOT.
         "  - call: rebootRg\n    gateway: " << one << "\n"
         "  - wait_event: regRg\n    gateway: " << one << "\n    timeout: 90\n"
         "  - call: getRgInfo\n    gateway: " << one << "\n"
         "    expect:\n      fields:\n        serialNumber: " << serial_one << "\n        upTime: {regex: \"[0-9]{1,2}\"}\n";
    return s.str();
}

// The four processes of the round trip, started in dependency order; the HOMS plays `script(one, two, serial)`.
struct Rig {
    fs::path dir = e2e::make_temp_dir("reverse");
    unsigned short fwd_cmp = e2e::free_port(), rev_acs = e2e::free_port(), rev_agent = e2e::free_port();
    unsigned short sim_port = 0;
    std::string one, two, serial_one;
    std::unique_ptr<e2e::Process> sim, homs, reverse, forward;

    // forward_table: what the forward bridge presents; reverse_mappings: the reverse bridge's `mappings:` value.
    template <class Script>
    explicit Rig(Script script, const std::string& forward_table = "mappings/tr098.yaml",
                 std::string reverse_mappings = {}) {
        if (reverse_mappings.empty())
            reverse_mappings = "{InternetGatewayDevice: " + fs::absolute("mappings/tr098.yaml").string() + "}";
        // The gateways, registering with the forward bridge.
        sim = std::make_unique<e2e::Process>(
            std::vector<std::string>{bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file",
                                     (dir / "sim.port").string(), "--gateways", "2", "--bridge",
                                     "http://127.0.0.1:" + std::to_string(fwd_cmp) + "/cmp", "--secret", kGatewaySecret,
                                     "--control-token", kToken, "--reboot-seconds", "2", "--upgrade-seconds", "2",
                                     "--identities-out", (dir / "identities.yaml").string()},
            (dir / "sim.log").string());
        sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
        e2e::wait_for_file((dir / "identities.yaml").string(), 10s);
        YAML::Node ids = YAML::LoadFile((dir / "identities.yaml").string());
        one = rg_id_of(ids["GW-0001"]);
        two = rg_id_of(ids["GW-0002"]);
        serial_one = ids["GW-0001"]["serialNumber"].as<std::string>();

        // The HOMS, playing the script.
        std::ofstream(dir / "homs.yaml") << script(one, two, serial_one);
        homs = std::make_unique<e2e::Process>(
            std::vector<std::string>{bin + "/scripted-homs", "--listen", "127.0.0.1:0", "--port-file",
                                     (dir / "homs.port").string(), "--script", (dir / "homs.yaml").string(), "--secret",
                                     kHomsSecret, "--keepalive", "30", "--timeout", "240", "--call-timeout", "15"},
            (dir / "homs.log").string());
        const std::string homs_port = e2e::wait_for_file((dir / "homs.port").string(), 10s);

        // The reverse bridge: the ACS of the virtual CPEs, a CMP agent per CPE towards the HOMS.
        std::ofstream(dir / "cpes.yaml") << "default:\n  username: cpe\n  password: " << kCpePassword
                                         << "\n  connection_request: {username: acs, password: " << kCrPassword << "}\n";
        std::ofstream(dir / "reverse.yaml")
            << "state_dir: " << (dir / "reverse-state").string() << "\n"
            << "reverse:\n"
            << "  acs: {listen: 127.0.0.1:" << rev_acs << ", credentials_file: " << (dir / "cpes.yaml").string() << "}\n"
            << "  homs: {url: \"http://127.0.0.1:" << homs_port << "/cmp\", secret: " << kHomsSecret << "}\n"
            << "  agent: {listen: 127.0.0.1:" << rev_agent << "}\n"
            << "  mappings: " << reverse_mappings << "\n"
            << "  call_wait_s: 12\n";
        start_reverse();

        // The forward bridge: its ACS is the reverse bridge.
        std::ofstream(dir / "forward.yaml")
            << "acs:\n  url: http://127.0.0.1:" << rev_acs << "/cwmp\n  username: cpe\n  password: " << kCpePassword
            << "\n"
            // Every HOMS call wakes the CPE: more than the default 6 per minute here.
            << "connection_request:\n  listen: 127.0.0.1:0\n  max_per_minute: 120\n"
            << "state_dir: " << (dir / "forward-state").string() << "\n"
            << "periodic_inform:\n  interval_s: 300\n  start_spread_s: 0\n"
            << "defaults:\n  mapping: " << fs::absolute(forward_table).string()
            << "\n  secret: " << kGatewaySecret << "\n"
            << "cmp:\n  listen: 127.0.0.1:" << fwd_cmp << "\n  timeout_s: 5\n  keepalive_s: 30\n"
            << "gateways:\n"
            << "  - {id: GW-0001, url: \"http://127.0.0.1:" << sim_port << "/cmp/GW-0001\"}\n"
            << "  - {id: GW-0002, url: \"http://127.0.0.1:" << sim_port << "/cmp/GW-0002\"}\n";
        forward = std::make_unique<e2e::Process>(
            std::vector<std::string>{bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "forward.yaml").string(), "--threads",
                                     "2"},
            (dir / "forward.log").string());
    }
    void start_reverse() {
        reverse = std::make_unique<e2e::Process>(
            std::vector<std::string>{bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "reverse.yaml").string(), "--threads",
                                     "2", "--log-level", "debug"},
            (dir / ("reverse-" + std::to_string(++reverse_starts) + ".log")).string());
        REQUIRE(e2e::wait_for_log(*reverse, "ACS for TR-069 CPEs", 10s));
    }
    // Waits for the HOMS's verdict; logs for a failure.
    int finish() {
        const int rc = homs->wait(240s);
        INFO("homs log:\n" << homs->log());
        INFO("reverse bridge log:\n" << reverse->log());
        INFO("forward bridge log:\n" << forward->log());
        INFO("sim log:\n" << sim->log());
        CHECK(rc == 0);
        for (const std::string& secret : {kGatewaySecret, kHomsSecret, kCpePassword, kCrPassword}) {
            CHECK(reverse->log().find(secret) == std::string::npos);
            CHECK(forward->log().find(secret) == std::string::npos);
        }
        return rc;
    }
    ~Rig() {
        const bool ok = homs && !homs->running();
        forward.reset();
        reverse.reset();
        sim.reset();
        homs.reset();
        if (ok) fs::remove_all(dir);
    }
    int reverse_starts = 0;
};

}  // namespace

TEST_CASE("round trip: a HOMS manages simulated CMP gateways through the forward and the reverse bridge") {
    Rig rig(homs_script);
    // The host leaves once the HOMS waits for it (after the time was read back: the CPE's
    // notification attributes were set long before, in its first session).
    const bool time_done = e2e::wait_for_log(*rig.homs, "getRgTime", 120s);
    CHECK(time_done);
    std::string left;
    if (time_done) left = e2e::http_request(rig.sim_port, "POST", "/control/GW-0001/leave", kToken);
    CHECK(left.find("devId: mac-") != std::string::npos);
    rig.finish();
}

TEST_CASE("the reverse bridge killed and restarted: gateways registered again at once, CPEs woken before they inform") {
    auto script = [](const std::string& one, const std::string& two, const std::string& serial_one) {
        return "steps:\n"
               "  - wait_registered: " + one + "\n    timeout: 90\n"
               "  - wait_registered: " + two + "\n    timeout: 30\n"
               "  - wait_event: regRg\n    gateway: " + one + "\n"
               "  - call: getRgInfo\n    gateway: " + one + "\n"
               "    expect:\n      fields:\n        serialNumber: " + serial_one + "\n"
               // The test kills the reverse bridge here and starts it again: its agents register
               // from what it stored, not from an Inform (the CPEs inform every 300 s).
               "  - wait_event: regRg\n    gateway: " + one + "\n    timeout: 60\n"
               "  - call: getRgInfo\n    gateway: " + one + "\n"
               "    expect:\n      fields:\n        serialNumber: " + serial_one + "\n"
               "  - call: getRgTime\n    gateway: " + two + "\n"
               "    expect:\n      fields:\n        ntpServer1: {regex: \".+\"}\n";
    };
    Rig rig(script);
    REQUIRE(e2e::wait_for_log(*rig.homs, "step 4 (line", 120s));
    rig.reverse->kill_now();
    rig.reverse->wait(5s);
    rig.start_reverse();
    CHECK(e2e::wait_for_log(*rig.reverse, "2 CPEs known from before", 10s));
    rig.finish();
}

TEST_CASE("Device:2 (TR-181) CPEs: the table is chosen by the CPE's data model version") {
    auto script = [](const std::string& one, const std::string& two, const std::string& serial_one) {
        return "steps:\n"
               "  - wait_registered: " + one + "\n    timeout: 90\n"
               "  - wait_registered: " + two + "\n    timeout: 30\n"
               "  - call: getRgInfo\n    gateway: " + one + "\n"
               "    expect:\n      fields:\n        serialNumber: " + serial_one + "\n"
               "  - call: getRgNetInfo\n    gateway: " + two + "\n"
               "    expect:\n      fields:\n        wan[0].status: Connected\n"
               "  - call: setRgTime\n    gateway: " + one + "\n    args: {ntpServer2: ntp2.reverse.example.net}\n"
               "  - call: getRgTime\n    gateway: " + one + "\n"
               "    expect:\n      fields:\n        ntpServer2: ntp2.reverse.example.net\n"
               "  - call: getHomeDevList\n    gateway: " + two + "\n"
               "    expect:\n      fields:\n        dev[0].devId: {regex: \".+\"}\n";
    };
    // Both Device tables configured: the Device:2.17 CPEs must get tr181.yaml, not tr106.yaml.
    Rig rig(script, "mappings/tr181.yaml",
            "{\"Device:1\": " + fs::absolute("mappings/tr106.yaml").string() + ", \"Device:2\": " +
                fs::absolute("mappings/tr181.yaml").string() + "}");
    rig.finish();
}
