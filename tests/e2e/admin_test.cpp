// End to end, real processes on 127.0.0.1: the admin listener of a bridge
// serving two configured gateways and one that registers itself, after a
// scripted ACS has bootstrapped all three. /metrics counts the sessions and
// the CMP calls, /status.json describes the fleet, credentials are enforced,
// "Inform now" makes a CPE open a 2 PERIODIC session, a self-registered
// gateway can be dropped (its registry entry goes) and a configured one
// cannot. The status page is loaded in a real headless browser (Debian's
// chromium): its DOM must list the gateways with their state and its own
// script must apply the ?q= filter. A missing chromium fails the test
// (scripts/install-deps.sh installs it); there is no skip.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "tests/e2e/cmp_e2e_util.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string bin = E2E_BIN_DIR;
const std::string kSecret = "e2e-admin-gateway-secret";
const std::string kMaster = "e2e-admin-registration-master";
const std::string kToken = "e2e-admin-token-0123456789abcdef";
const std::string kUser = "ops", kPassword = "e2e-admin-pw";

struct Reply {
    int status = 0;
    std::string head, body;
};

// One request to the admin listener with the given extra header lines.
Reply request(unsigned short port, const std::string& method, const std::string& path, const std::string& headers = {}) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    Reply r;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return r;
    }
    const std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                            "\r\nConnection: close\r\n" + headers + "Content-Length: 0\r\n\r\n";
    (void)!::write(fd, req.data(), req.size());
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    const auto end = out.find("\r\n\r\n");
    if (out.size() < 12 || end == std::string::npos) return r;
    r.status = std::stoi(out.substr(9, 3));
    r.head = out.substr(0, end);
    r.body = out.substr(end + 4);
    return r;
}

const std::string kBearer = "Authorization: Bearer " + kToken + "\r\n";

// Polls until `ok` holds (true) or the limit passes (false): no assertion on how long it took.
template <class F>
bool eventually(F ok, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (ok()) return true;
        std::this_thread::sleep_for(100ms);
    }
    return ok();
}

// Runs Debian's chromium headless; its stdout (the DOM for --dump-dom) is returned.
std::string chromium(const fs::path& dir, const std::string& args, const std::string& url) {
    std::string found;
    REQUIRE_MESSAGE(e2e::run_command("command -v chromium", found) == 0,
                    "chromium is not installed: run scripts/install-deps.sh (Debian packages chromium, chromium-driver)");
    std::string out;
    const std::string cmd = "timeout 60 chromium --headless --disable-gpu --no-sandbox --no-first-run "
                            "--user-data-dir=" + (dir / "chromium-profile").string() + " " + args + " '" + url +
                            "' 2>" + (dir / "chromium.err").string();
    const int rc = e2e::run_command(cmd, out);
    std::ifstream err(dir / "chromium.err");
    INFO("chromium stderr:\n" << std::string(std::istreambuf_iterator<char>(err), {}));
    REQUIRE_MESSAGE(rc == 0, "chromium failed (" << rc << "): " << cmd);
    return out;
}

// The <tr> start tag of one gateway's row in a DOM.
std::string row_of(const std::string& dom, const std::string& id) {
    const auto at = dom.find("<tr data-id=\"" + id + "\"");
    if (at == std::string::npos) return {};
    return dom.substr(at, dom.find('>', at) - at + 1);
}

}  // namespace

TEST_CASE("admin listener: metrics, status JSON and page (headless chromium), credentials, inform now, drop") {
    const fs::path dir = e2e::make_temp_dir("admin");
    const unsigned short cmp_port = e2e::free_port(), admin_port = e2e::free_port();
    const std::string bridge_url = "http://127.0.0.1:" + std::to_string(cmp_port) + "/cmp";

    // Two configured gateways, and GW-0042, which registers itself with its derived secret.
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "2", "--bridge", bridge_url, "--secret", kSecret},
                     (dir / "sim.log").string());
    e2e::Process self({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "self.port").string(),
                       "--gateways", "1", "--first-id", "42", "--bridge", bridge_url, "--derive-secrets", kMaster},
                      (dir / "self.log").string());
    const std::string sim_port = e2e::wait_for_file((dir / "sim.port").string(), 10s);
    e2e::wait_for_file((dir / "self.port").string(), 10s);

    // Every CPE's bootstrap (a fault to the second GPV, for the status's last fault), then GW-0001's Inform on demand.
    std::ofstream(dir / "script.yaml") << "sessions:\n"
                                          "  - expect_events: [\"0 BOOTSTRAP\", \"1 BOOT\"]\n"
                                          "    steps:\n"
                                          "      - rpc: GetParameterValues\n"
                                          "        names: [InternetGatewayDevice.DeviceInfo.SerialNumber]\n"
                                          "      - rpc: GetParameterValues\n"
                                          "        names: [InternetGatewayDevice.DeviceInfo.Bogus]\n"
                                          "        expect_fault: 9005\n"
                                          "  - expect_events: [\"2 PERIODIC\"]\n"
                                          "    forbid_events: [\"1 BOOT\", \"6 CONNECTION REQUEST\"]\n";
    e2e::Process acs({bin + "/scripted-acs", "--listen", "127.0.0.1:0", "--port-file", (dir / "acs.port").string(),
                      "--script", (dir / "script.yaml").string(), "--report", (dir / "report.yaml").string(),
                      "--username", "bridge", "--password", "e2e-acs-pw", "--sessions", "4", "--timeout", "60"},
                     (dir / "acs.log").string());
    const std::string acs_port = e2e::wait_for_file((dir / "acs.port").string(), 10s);

    std::ofstream(dir / "bridge.yaml")
        << "acs: { url: \"http://127.0.0.1:" << acs_port << "/acs\", username: bridge, password: e2e-acs-pw }\n"
        << "connection_request: { listen: \"127.0.0.1:0\" }\n"
        << "cmp:\n  listen: 127.0.0.1:" << cmp_port << "\n  timeout_s: 5\n  accept_registrations: true\n"
        << "  registration_secret: " << kMaster << "\n"
        << "state_dir: " << (dir / "state").string() << "\n"
        << "periodic_inform: { enable: false }\n"
        << "defaults: { mapping: " << fs::absolute("mappings/tr098.yaml").string() << ", secret: " << kSecret << " }\n"
        << "gateways:\n"
        << "  - { id: GW-0001, url: \"http://127.0.0.1:" << sim_port << "/cmp/GW-0001\" }\n"
        << "  - { id: GW-0002, url: \"http://127.0.0.1:" << sim_port << "/cmp/GW-0002\" }\n"
        << "admin:\n  listen: 127.0.0.1:" << admin_port << "\n  username: " << kUser << "\n  password: " << kPassword
        << "\n  token: " << kToken << "\n";
    e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", (dir / "bridge.yaml").string(), "--threads", "2"},
                        (dir / "bridge.log").string());
    INFO("bridge log:\n" << bridge.log());
    INFO("acs log:\n" << acs.log());

    REQUIRE(eventually([&] { return request(admin_port, "GET", "/readyz").status == 200; }, 15s));
    CHECK(request(admin_port, "GET", "/healthz").status == 200);
    // Three bootstrap sessions, GW-0042's included once it registered.
    REQUIRE(e2e::wait_for_log(acs, "session complete", 30s, 3));

    // ---- credentials ----
    const Reply anonymous = request(admin_port, "GET", "/metrics");
    CHECK(anonymous.status == 401);
    CHECK(anonymous.head.find("WWW-Authenticate: Basic") != std::string::npos);
    CHECK(request(admin_port, "GET", "/status.json", "Authorization: Bearer not-the-token-0123456789\r\n").status == 401);
    CHECK(request(admin_port, "POST", "/actions/GW-0001/inform").status == 401);

    // ---- metrics ----
    const Reply metrics = request(admin_port, "GET", "/metrics", kBearer);
    REQUIRE(metrics.status == 200);
    INFO("metrics:\n" << metrics.body);
    auto value_of = [&](const std::string& series) {
        const auto at = metrics.body.find("\n" + series + " ");
        return at == std::string::npos ? -1.0 : std::stod(metrics.body.substr(at + series.size() + 2));
    };
    CHECK(value_of("bridge_cwmp_sessions_total{outcome=\"done\"}") >= 3);
    CHECK(value_of("bridge_cwmp_rpcs_total{rpc=\"GetParameterValues\",fault=\"9005\"}") >= 3);
    CHECK(value_of("bridge_cmp_calls_total{function=\"getRgInfo\",result=\"0\"}") >= 3);
    CHECK(value_of("bridge_cmp_call_duration_seconds_count{function=\"getRgInfo\"}") >= 3);
    CHECK(value_of("bridge_cmp_call_duration_seconds_bucket{function=\"getRgInfo\",le=\"+Inf\"}") >= 3);
    CHECK(value_of("bridge_state_commit_duration_seconds_count{kind=\"durable\"}") >= 3);
    CHECK(value_of("bridge_gateways{state=\"online\"}") == 3);
    // The listeners and the process (-1: the series is missing).
    CHECK(value_of("bridge_listener_refused_total{listener=\"admin\",reason=\"before_body\"}") >= 0);
    CHECK(value_of("bridge_listener_refused_total{listener=\"cmp\",reason=\"source_limit\"}") == 0);
    CHECK(value_of("bridge_listener_connections{listener=\"admin\"}") >= 1);
    CHECK(value_of("process_resident_memory_bytes") > 1e6);
    CHECK(value_of("process_open_fds") > 3);
    CHECK(value_of("bridge_acs_exchange_duration_seconds_count{outcome=\"ok\"}") >= 6);  // Inform + empty POST, 3 CPEs

    // ---- status JSON ----
    const Reply json = request(admin_port, "GET", "/status.json", kBearer);
    REQUIRE(json.status == 200);
    YAML::Node doc = YAML::Load(json.body);
    CHECK(doc["total"].as<int>() == 3);
    REQUIRE(doc["gateways"].size() == 3);
    std::map<std::string, YAML::Node> by_id;
    for (YAML::Node g : doc["gateways"]) by_id[g["id"].as<std::string>()] = g;
    for (const char* id : {"GW-0001", "GW-0002", "GW-0042"}) {
        CAPTURE(id);
        REQUIRE(by_id.count(id));
        CHECK(by_id[id]["state"].as<std::string>() == "online");
        CHECK(by_id[id]["bootstrapped"].as<bool>());
        CHECK_FALSE(by_id[id]["last_inform"].IsNull());
        CHECK(by_id[id]["last_fault"].as<std::string>().find("9005 GetParameterValues") == 0);
    }
    CHECK_FALSE(by_id["GW-0001"]["self_registered"].as<bool>());
    CHECK(by_id["GW-0042"]["self_registered"].as<bool>());
    CHECK(YAML::Load(request(admin_port, "GET", "/status.json?q=0042", kBearer).body)["matched"].as<int>() == 1);

    // ---- the page in a browser: every gateway with its state, the ?q= filter applied by the page's script ----
    const std::string base = "http://" + kUser + ":" + kPassword + "@127.0.0.1:" + std::to_string(admin_port);
    const std::string dom = chromium(dir, "--dump-dom", base + "/status?q=GW-0002");
    INFO("DOM:\n" << dom);
    for (const char* id : {"GW-0001", "GW-0002", "GW-0042"}) CHECK(row_of(dom, id).find("data-state=\"online\"") != std::string::npos);
    CHECK(row_of(dom, "GW-0001").find("hidden") != std::string::npos);
    CHECK(row_of(dom, "GW-0042").find("hidden") != std::string::npos);
    CHECK(row_of(dom, "GW-0002").find("hidden") == std::string::npos);
    CHECK(dom.find("showing 1 of 3") != std::string::npos);
    CHECK(dom.find("<span class=\"state online\">online</span>") != std::string::npos);
    chromium(dir, "--window-size=1200,400 --screenshot=" + (dir / "status.png").string(), base + "/status");
    CHECK(fs::file_size(dir / "status.png") > 1000);
    const std::string detail = chromium(dir, "--dump-dom", base + "/status/GW-0042");
    CHECK(detail.find("<button id=\"drop\">") != std::string::npos);
    CHECK(detail.find("by itself") != std::string::npos);

    // ---- per-gateway log level: GW-0001 silenced, the others as before ----
    // ---- reload from the admin listener: the same as SIGHUP, nothing changed in the file ----
    CHECK(request(admin_port, "GET", "/actions/reload", kBearer).status == 405);
    CHECK(request(admin_port, "POST", "/actions/reload", kBearer + "Origin: http://evil.example\r\n").status == 403);
    CHECK(request(admin_port, "POST", "/actions/reload", kBearer).status == 202);
    CHECK(e2e::wait_for_log(bridge, "reload done: 0 added, 0 removed, 0 replaced", 10s));

    CHECK(request(admin_port, "POST", "/actions/GW-0001/log-level?level=loud", kBearer).status == 400);
    CHECK(request(admin_port, "POST", "/actions/GW-0404/log-level?level=debug", kBearer).status == 404);
    const std::size_t informs_before = e2e::count_in(bridge.log(), "GW-0001: session: Inform [");
    REQUIRE(informs_before >= 1);
    CHECK(request(admin_port, "POST", "/actions/GW-0001/log-level?level=off", kBearer).status == 200);

    // ---- inform now: GW-0001 opens a session with 2 PERIODIC (the script's second session) ----
    CHECK(request(admin_port, "POST", "/actions/GW-0001/inform", kBearer).status == 202);
    CHECK(request(admin_port, "POST", "/actions/GW-0404/inform", kBearer).status == 404);
    REQUIRE(acs.wait(30s) == 0);
    // The session happened (the ACS saw it) but GW-0001 logged nothing of it.
    CHECK(bridge.log().find("GW-0001: admin: log level off") != std::string::npos);
    CHECK(e2e::count_in(bridge.log(), "GW-0001: session: Inform [") == informs_before);
    CHECK(request(admin_port, "POST", "/actions/GW-0001/log-level?level=default", kBearer).status == 200);
    YAML::Node report = YAML::LoadFile((dir / "report.yaml").string());
    bool periodic = false;
    for (YAML::Node s : report["sessions"])
        for (auto e : s["events"]) periodic = periodic || e.as<std::string>() == "2 PERIODIC";
    CHECK(periodic);

    // ---- drop: a configured gateway is refused, a self-registered one forgotten with its registry entry ----
    CHECK(request(admin_port, "POST", "/actions/GW-0001/drop", kBearer).status == 409);
    CHECK(request(admin_port, "POST", "/actions/GW-0042/drop", kBearer + "Origin: http://evil.example\r\n").status == 403);
    REQUIRE(fs::exists(dir / "state" / "registry" / "GW-0042.yaml"));
    const Reply dropped = request(admin_port, "POST", "/actions/GW-0042/drop", kBearer);
    CHECK(dropped.status == 200);
    CHECK(request(admin_port, "GET", "/status/GW-0042.json", kBearer).status == 404);
    CHECK(YAML::Load(request(admin_port, "GET", "/status.json", kBearer).body)["total"].as<int>() == 2);
    CHECK_FALSE(fs::exists(dir / "state" / "registry" / "GW-0042.yaml"));
    CHECK(request(admin_port, "GET", "/status/GW-0001.json", kBearer).status == 200);
    CHECK(bridge.log().find("GW-0042: admin: dropped") != std::string::npos);
    CHECK(bridge.log().find(kToken) == std::string::npos);
    CHECK(bridge.log().find(kPassword) == std::string::npos);

    bridge.stop();
    sim.stop();
    self.stop();
    fs::remove_all(dir);
}
