// Issue 10 end to end: the bridge's two listeners under a flood of
// unauthenticated connections. Thousands of connections from 127.0.0.2 send
// headers announcing a large body (just under each listener's body limit,
// the worst case) and part of that body, to the Connection Request listener
// and the CMP listener at once. The bridge must stay small (VmRSS and its
// peak VmHWM from /proc under 200 MiB), and meanwhile serve the legitimate
// peers on 127.0.0.1: a Digest Connection Request is answered 200 and starts
// a 6 CONNECTION REQUEST session, a gateway keep-alive is accepted. Then a
// flood of wrong-digest Connection Requests must not flood the log.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "bridge/http/auth.hpp"
#include "bridge/cpe/cpe_state.hpp"
#include "tests/e2e/cmp_e2e_util.hpp"
#include "tests/loopback_socket.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string bin = E2E_BIN_DIR;
const std::string kSecret = "e2e-limits-secret-7d21c0";
const std::string kToken = "e2e-limits-control-token";
constexpr std::size_t kFloodPerListener = 2000;
constexpr std::size_t kBodyPart = 128 * 1024;  // sent of each announced body
constexpr long kRssCeilingKib = 200 * 1024;

void raise_nofile() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

// The bridge's pid: the process whose command line names this test's unique config file.
pid_t find_pid(const std::string& config) {
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(e.path() / "cmdline");
        std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (char& c : cmd)
            if (c == '\0') c = ' ';
        if (cmd.find("cmp-cwmp-bridge") != std::string::npos && cmd.find(config) != std::string::npos)
            return static_cast<pid_t>(std::stol(name));
    }
    return -1;
}

// A /proc/<pid>/status field in KiB (VmRSS, VmHWM), -1 when unreadable.
long status_kib(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
}

// Every blocking read and write of the test is bounded (5 s).
int connect_from(const char* source, unsigned short port, bool nonblocking) {
    return test_net::connect_from(source, port, nonblocking ? 0 : 5000);
}

// One request on a fresh blocking connection; the parsed answer (status 0: no answer).
http::Response exchange(const char* source, unsigned short port, const std::string& request) {
    http::Response res;
    int fd = connect_from(source, port, false);
    if (fd < 0) return res;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        ::close(fd);
        return res;
    }
    std::string in;
    char buf[4096];
    std::size_t head_end = std::string::npos, length = 0;
    for (int i = 0; i < 1000; ++i) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
            std::istringstream lines(in.substr(0, head_end));
            std::string line;
            std::getline(lines, line);
            if (line.size() > 12) res.status = std::stoi(line.substr(9, 3));
            while (std::getline(lines, line)) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                auto colon = line.find(':');
                if (colon == std::string::npos) continue;
                std::string value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                res.headers.push_back({line.substr(0, colon), value});
                if (http::iequals(line.substr(0, colon), "Content-Length")) length = std::stoul(value);
            }
        }
        if (head_end != std::string::npos && in.size() >= head_end + 4 + length) break;
    }
    ::close(fd);
    return res;
}

std::string cr_get(const std::string& path, const std::string& authorization) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
           (authorization.empty() ? "" : "Authorization: " + authorization + "\r\n") + "\r\n";
}

// Unauthenticated connections from 127.0.0.2, each announcing `content_length`
// bytes and sending the head plus kBodyPart of them as far as the bridge reads.
struct Flood {
    struct Conn {
        int fd = -1;
        std::string head;
        std::size_t sent = 0;
        bool done = false;
    };
    std::vector<Conn> conns;

    void open(unsigned short port, const std::string& head, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            Conn c;
            c.fd = connect_from("127.0.0.2", port, true);
            c.head = head;
            c.done = c.fd < 0;
            conns.push_back(std::move(c));
        }
    }
    // One non-blocking pass; false when nothing is left to send.
    bool pump() {
        static const std::string zeros(kBodyPart, '0');
        bool pending = false;
        for (auto& c : conns) {
            if (c.done) continue;
            const std::size_t total = c.head.size() + kBodyPart;
            while (c.sent < total) {
                const char* p = c.sent < c.head.size() ? c.head.data() + c.sent : zeros.data() + (c.sent - c.head.size());
                std::size_t left = c.sent < c.head.size() ? c.head.size() - c.sent : total - c.sent;
                ssize_t n = ::send(c.fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n > 0) {
                    c.sent += static_cast<std::size_t>(n);
                    continue;
                }
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) pending = true;
                else if (n < 0 && errno == ENOTCONN) pending = true;  // connect still in progress
                else c.done = true;                                   // refused, reset or closed: fine
                break;
            }
            if (c.sent >= total) c.done = true;
        }
        return pending;
    }
    void close_all() {
        for (auto& c : conns)
            if (c.fd >= 0) ::close(c.fd);
        conns.clear();
    }
    ~Flood() { close_all(); }
};

void write_config(const fs::path& file, unsigned short acs_port, unsigned short cr_port, unsigned short cmp_port,
                  unsigned short sim_port, const fs::path& state_dir) {
    std::ofstream out(file);
    out << "acs:\n  url: http://127.0.0.1:" << acs_port << "/acs\n  username: bridge\n  password: e2e-acs-pw\n"
        << "connection_request:\n  listen: 127.0.0.1:" << cr_port << "\n  max_per_minute: 10\n"
        << "cmp:\n  listen: 127.0.0.1:" << cmp_port << "\n  timeout_s: 5\n"
        << "state_dir: " << state_dir.string() << "\n"
        // The test reads the CPE's Connection Request credentials from its state file.
        << "state_backend: files\n"
        << "periodic_inform:\n  enable: false\n  interval_s: 86400\n"
        << "defaults:\n  mapping: " << fs::absolute("mappings/tr098.yaml").string() << "\n  secret: " << kSecret << "\n"
        << "gateways:\n  - { id: GW-0001, url: \"http://127.0.0.1:" << sim_port << "/cmp/GW-0001\" }\n";
}

}  // namespace

TEST_CASE("a flood of unauthenticated connections: bounded memory, legitimate peers still served, quiet log") {
    raise_nofile();
    const auto started = std::chrono::steady_clock::now();
    fs::path dir = e2e::make_temp_dir("e2e-limits");
    const unsigned short cmp_port = e2e::free_port(), cr_port = e2e::free_port();
    e2e::Process sim({bin + "/cmp-gateway-sim", "--listen", "127.0.0.1:0", "--port-file", (dir / "sim.port").string(),
                      "--gateways", "1", "--bridge", "http://127.0.0.1:" + std::to_string(cmp_port) + "/cmp",
                      "--secret", kSecret, "--control-token", kToken},
                     (dir / "sim.log").string());
    const auto sim_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "sim.port").string(), 10s)));
    // Session 1: the boot; session 2 must be the one our Connection Request starts.
    std::ofstream(dir / "script.yaml") << "sessions:\n  - expect_events: [\"0 BOOTSTRAP\", \"1 BOOT\"]\n"
                                          "  - expect_events: [\"6 CONNECTION REQUEST\"]\n"
                                          "    forbid_events: [\"0 BOOTSTRAP\"]\n";
    e2e::Process acs({bin + "/scripted-acs", "--listen", "127.0.0.1:0", "--port-file", (dir / "acs.port").string(),
                      "--script", (dir / "script.yaml").string(), "--report", (dir / "report.yaml").string(),
                      "--username", "bridge", "--password", "e2e-acs-pw", "--sessions", "2", "--timeout", "25"},
                     (dir / "acs.log").string());
    const auto acs_port = static_cast<unsigned short>(std::stoi(e2e::wait_for_file((dir / "acs.port").string(), 10s)));
    const fs::path config = dir / "bridge.yaml";
    write_config(config, acs_port, cr_port, cmp_port, sim_port, dir / "state");
    e2e::Process bridge({bin + "/cmp-cwmp-bridge", "run", "-c", config.string(), "--threads", "2"},
                        (dir / "bridge.log").string());
    INFO("bridge log: " << (dir / "bridge.log").string());
    REQUIRE(e2e::wait_for_log(bridge, "GW-0001: authenticated", 10s));
    REQUIRE(e2e::wait_for_log(acs, "session complete", 10s));
    const pid_t pid = find_pid(config.string());
    REQUIRE(pid > 0);
    std::ifstream state_file(dir / "state" / "GW-0001.yaml", std::ios::binary);
    const std::string blob((std::istreambuf_iterator<char>(state_file)), std::istreambuf_iterator<char>());
    auto state = cpe::parse_state(blob);  // the store's compact form
    REQUIRE(state);
    const std::string cr_path = "/" + state->cr_path;
    const http::Credentials cr_credentials{state->cr_username, state->cr_password};
    const long rss_before = status_kib(pid, "VmRSS");

    // The flood: both listeners at once, each body just under that listener's limit
    // (1 MiB on the CR listener, 512 KiB on the CMP listener), from 127.0.0.2.
    Flood flood;
    flood.open(cr_port,
               "GET /" + std::string(24, 'x') + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n",
               kFloodPerListener);
    flood.open(cmp_port,
               "POST /cmp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: 500000\r\n\r\n",
               kFloodPerListener);
    long rss_max = rss_before;
    const auto pump_until = std::chrono::steady_clock::now() + 4s;
    while (std::chrono::steady_clock::now() < pump_until) {
        bool pending = flood.pump();
        rss_max = std::max(rss_max, status_kib(pid, "VmRSS"));
        if (!pending) break;
        std::this_thread::sleep_for(20ms);
    }
    std::this_thread::sleep_for(300ms);
    rss_max = std::max(rss_max, status_kib(pid, "VmRSS"));

    // With the flood's connections still open: a legitimate Connection Request (Digest) from 127.0.0.1.
    http::Response challenge = exchange("127.0.0.1", cr_port, cr_get(cr_path, ""));
    REQUIRE(challenge.status == 401);
    http::ClientAuth auth;
    REQUIRE(auth.on_challenge(challenge, cr_credentials).ok());
    http::Response answer = exchange("127.0.0.1", cr_port, cr_get(cr_path, *auth.authorization("GET", cr_path)));
    CHECK(answer.status == 200);
    // ... and a gateway message: a keep-alive of GW-0001, accepted by the CMP listener.
    const std::string accepted = "GW-0001: keepAliveRg sent, bridge answered resultCode 0";
    const std::size_t keepalives = e2e::count_in(sim.log(), accepted);
    CHECK(e2e::http_request(sim_port, "POST", "/control/GW-0001/keepalive", kToken).rfind("HTTP/1.1 200", 0) == 0);
    CHECK(e2e::wait_for_log(sim, accepted, 5s, keepalives + 1));
    // The session the Connection Request started (the ACS exits 0 once it saw it).
    const int acs_rc = acs.wait(15s);
    rss_max = std::max(rss_max, status_kib(pid, "VmRSS"));
    const long hwm = status_kib(pid, "VmHWM");
    flood.close_all();
    std::this_thread::sleep_for(300ms);
    const long rss_after = status_kib(pid, "VmRSS");
    MESSAGE("bridge VmRSS before the flood " << rss_before << " KiB, max during " << rss_max << " KiB, after "
                                             << rss_after << " KiB, VmHWM " << hwm << " KiB");
    INFO("acs log:\n" << acs.log());
    CHECK(acs_rc == 0);
    CHECK(rss_max < kRssCeilingKib);
    CHECK(hwm < kRssCeilingKib);
    CHECK(rss_after < kRssCeilingKib);

    // Wrong-digest Connection Requests from one source: answered, but the log stays small.
    const std::size_t log_lines_before = e2e::count_in(bridge.log(), "\n");
    const std::size_t log_bytes_before = bridge.log().size();
    const std::string forged = "Digest username=\"" + cr_credentials.username +
                               "\", realm=\"cmp-cwmp-bridge\", nonce=\"0123456789abcdef\", uri=\"" + cr_path +
                               "\", qop=auth, nc=00000001, cnonce=\"abcdef\", response=\"" + std::string(32, '0') + "\"";
    int refused = 0;
    for (int i = 0; i < 2000 && std::chrono::steady_clock::now() - started < 25s; ++i)
        refused += exchange("127.0.0.3", cr_port, cr_get(cr_path, forged)).status == 401;
    CHECK(refused >= 1000);
    std::this_thread::sleep_for(200ms);
    const std::string log = bridge.log();
    const std::size_t new_lines = e2e::count_in(log, "\n") - log_lines_before;
    MESSAGE(refused << " wrong-digest Connection Requests wrote " << new_lines << " log lines, "
                    << (log.size() - log_bytes_before) << " bytes");
    CHECK(new_lines < 50);
    CHECK(log.size() - log_bytes_before < 16 * 1024);
    CHECK(bridge.running());
    // What was not written is counted: at the latest when the bridge stops, one summary per source says how much.
    bridge.stop();
    CHECK(bridge.log().find("similar warnings (401) from 127.0.0.3") != std::string::npos);
    sim.stop();
    if (std::getenv("E2E_KEEP")) MESSAGE("kept " << dir.string());
    else fs::remove_all(dir);
}
