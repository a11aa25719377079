// End to end over TLS with a CA made at test time (openssl req): the bridge
// verifies the simulator's certificate when calling gateways (cmp.tls) and
// presents its client certificate, which the simulator requires; the
// simulator verifies the bridge's listener (cmp.listen_tls) when registering
// and presents its own client certificate, which the listener requires;
// one gateway runs the legacy SEED-128-CBC mode in both directions, and no
// secret reaches a log. With a CA that did not sign the simulator's
// certificate, the bridge refuses to talk to the gateways at all.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "tests/e2e/cmp_e2e_util.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string bin = E2E_BIN_DIR;
const std::string kSecret = "e2e-tls-secret-c41f09aa";

void write_config(const fs::path& dir, unsigned short acs_port, unsigned short cmp_port, unsigned short sim_port,
                  const std::string& ca) {
    std::ofstream out(dir / "bridge.yaml");
    out << "acs:\n  url: http://127.0.0.1:" << acs_port << "/acs\n  username: bridge\n  password: e2e-acs-pw\n"
        << "connection_request:\n  listen: 127.0.0.1:0\n"
        << "state_dir: " << (dir / "state").string() << "\n"
        << "periodic_inform:\n  enable: false\n  interval_s: 86400\n"
        << "defaults:\n  mapping: " << fs::absolute("mappings/tr098.yaml").string() << "\n  secret: " << kSecret << "\n"
        << "cmp:\n  listen: 127.0.0.1:" << cmp_port << "\n  timeout_s: 3\n"
        << "  tls: { verify: true, ca_file: " << (dir / (ca + "-ca.pem")).string()
        << ", cert_file: " << (dir / "pki-client.pem").string() << ", key_file: " << (dir / "pki-client.key").string()
        << " }\n"
        << "  listen_tls: { cert_file: " << (dir / "pki-server.pem").string()
        << ", key_file: " << (dir / "pki-server.key").string()
        << ", client_ca_file: " << (dir / "pki-ca.pem").string() << " }\n"
        << "gateways:\n"
        << "  - { id: GW-0001, url: \"https://127.0.0.1:" << sim_port << "/cmp/GW-0001\" }\n"
        << "  - { id: GW-0002, url: \"https://127.0.0.1:" << sim_port << "/cmp/GW-0002\", legacy_seed: true }\n";
}

}  // namespace

TEST_CASE("TLS both ways with a test CA and a client certificate, legacy SEED for one gateway, secrets never logged") {
    fs::path dir = e2e::make_temp_dir("cmp-tls");
    e2e::make_pki(dir, "pki");
    e2e::make_pki(dir, "other");  // a CA that signed nothing we use
    unsigned short cmp_port = e2e::free_port();
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "2", "--secret", kSecret, "--legacy-seed", "GW-0002", "--tls-cert",
                      (dir / "pki-server.pem").string(), "--tls-key", (dir / "pki-server.key").string(),
                      "--tls-client-ca", (dir / "pki-ca.pem").string(), "--bridge",
                      "https://127.0.0.1:" + std::to_string(cmp_port) + "/cmp", "--ca-file",
                      (dir / "pki-ca.pem").string(), "--client-cert", (dir / "pki-client.pem").string(),
                      "--client-key", (dir / "pki-client.key").string(), "--identities-out", (dir / "identities.yaml").string(),
                      "--log-level", "debug"},
                     (dir / "sim.log").string());
    auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    YAML::Node ids = YAML::LoadFile((dir / "identities.yaml").string());

    SUBCASE("the right CA: both gateways served, registrations over HTTPS, SEED for GW-0002") {
        std::ofstream(dir / "script.yaml") << "steps:\n  - rpc: GetParameterValues\n"
                                              "    names: [InternetGatewayDevice.DeviceInfo.]\n";
        e2e::Process acs({bin + "/scripted-acs", "--listen", "127.0.0.1:0", "--port-file", (dir / "acs.port").string(),
                          "--script", (dir / "script.yaml").string(), "--report", (dir / "report.yaml").string(),
                          "--username", "bridge", "--password", "e2e-acs-pw", "--sessions", "2", "--timeout", "60"},
                         (dir / "acs.log").string());
        auto acs_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "acs.port").string(), 10s)));
        write_config(dir, acs_port, cmp_port, sim_port, "pki");
        e2e::Process bridge({bin + "/cmp-cwmp-bridge", "--log-level", "debug", "run", "-c", (dir / "bridge.yaml").string(),
                             "--threads", "2"},
                            (dir / "bridge.log").string());
        int rc = acs.wait(60s);
        CHECK(e2e::wait_for_log(bridge, "GW-0002: authenticated", 20s));
        CHECK(e2e::wait_for_log(bridge, "GW-0001: authenticated", 5s));
        bridge.stop();
        const std::string blog = bridge.log(), slog = sim.log();
        INFO("bridge log:\n" << blog);
        INFO("sim log:\n" << slog);
        INFO("acs log:\n" << acs.log());
        REQUIRE(rc == 0);
        YAML::Node report = YAML::LoadFile((dir / "report.yaml").string());
        std::set<std::string> serials;
        for (auto s : report["sessions"]) {
            std::string serial = s["serial_number"].as<std::string>();
            serials.insert(serial);
            std::string gw;
            for (auto it = ids.begin(); it != ids.end(); ++it)
                if (it->second["serialNumber"].as<std::string>() == serial) gw = it->first.as<std::string>();
            REQUIRE(!gw.empty());
            auto v = s["steps"][0]["values"];
            CHECK(v["InternetGatewayDevice.DeviceInfo.SoftwareVersion"].as<std::string>() ==
                  ids[gw]["swVersion"].as<std::string>());
        }
        CHECK(serials.size() == 2);
        CHECK(slog.find("GW-0002: getRgInfo -> resultCode 0") != std::string::npos);
        CHECK(blog.find("refused message") == std::string::npos);
        CHECK(slog.find("refused CMP request") == std::string::npos);
        CHECK(slog.find("refused by the bridge") == std::string::npos);
        CHECK(blog.find(kSecret) == std::string::npos);
        CHECK(slog.find(kSecret) == std::string::npos);
    }
    SUBCASE("a CA that did not sign the gateways' certificate: no CMP call succeeds, no session") {
        std::ofstream(dir / "script.yaml") << "steps:\n  - rpc: GetParameterValues\n"
                                              "    names: [InternetGatewayDevice.DeviceInfo.]\n";
        e2e::Process acs({bin + "/scripted-acs", "--listen", "127.0.0.1:0", "--port-file", (dir / "acs.port").string(),
                          "--script", (dir / "script.yaml").string(), "--username", "bridge", "--password",
                          "e2e-acs-pw", "--sessions", "1", "--timeout", "8"},
                         (dir / "acs.log").string());
        auto acs_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "acs.port").string(), 10s)));
        write_config(dir, acs_port, cmp_port, sim_port, "other");
        e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "bridge.yaml").string(), "--threads", "2"},
                            (dir / "bridge.log").string());
        CHECK(e2e::wait_for_log(bridge, "certificate verify failed", 20s));
        int rc = acs.wait(20s);
        bridge.stop();
        INFO("bridge log:\n" << bridge.log());
        CHECK(rc == 1);  // timed out: the ACS saw no session
        CHECK(acs.log().find("Inform from") == std::string::npos);
        CHECK(sim.log().find("getRgInfo -> resultCode") == std::string::npos);
    }
    sim.stop();
    fs::remove_all(dir);
}
