#pragma once
// A throwaway PostgreSQL server for tests: initdb + pg_ctl in a private
// temporary directory, listening on 127.0.0.1 on a free port only (its unix
// socket in that directory), password (SCRAM) authentication for the test
// user. One per test binary (test_pg::shared()), stopped and removed at the
// end — even when the test binary crashes or is killed: a watchdog process
// in a session of its own holds a pipe from the test process and cleans up
// when that pipe closes, however the test process ended.
//
// Root (CI) cannot run initdb: the server then runs as the `postgres` system
// user the Debian package creates (runuser), the directory chowned to it.
// Binaries: $BRIDGE_POSTGRES_BINDIR, else `pg_config --bindir`, else the
// newest /usr/lib/postgresql/*/bin.
//
// PostgreSQL missing FAILS the test (CI installs it: scripts/install-deps.sh);
// only an explicit BRIDGE_ALLOW_MISSING_POSTGRES=1 turns that into a skip.
//
//   auto* pg = test_pg::shared();
//   if (!pg) return;  // reached only with the opt-out
//   auto store = state::PgStore::open({pg->dsn()});
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace test_pg {

namespace fs = std::filesystem;

inline bool missing_allowed() {
    const char* v = std::getenv("BRIDGE_ALLOW_MISSING_POSTGRES");
    return v != nullptr && std::string_view(v) == "1";
}

// The first line a command prints, or "" when it fails.
inline std::string first_line_of(const std::string& command) {
    std::string out;
    if (FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r")) {
        char buf[512];
        if (std::fgets(buf, sizeof buf, p)) out = buf;
        ::pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

// Where initdb, pg_ctl and postgres live; empty when PostgreSQL is not
// installed. BRIDGE_POSTGRES_BINDIR names another folder (or a missing one,
// to see these tests fail as they would without PostgreSQL).
inline fs::path find_bindir() {
    std::error_code ec;
    if (const char* d = std::getenv("BRIDGE_POSTGRES_BINDIR"); d && *d)
        return fs::exists(fs::path(d) / "initdb", ec) ? fs::path(d) : fs::path();
    fs::path dir = first_line_of("pg_config --bindir");
    if (!dir.empty() && fs::exists(dir / "initdb", ec) && fs::exists(dir / "pg_ctl", ec)) return dir;
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
        if (fs::exists(e.path() / "bin" / "initdb", ec)) found.push_back(e.path() / "bin");
    // Versions are numbers: 9.6 < 10 < 15.
    std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
        return std::atof(a.parent_path().filename().c_str()) < std::atof(b.parent_path().filename().c_str());
    });
    return found.empty() ? fs::path() : found.back();
}

inline int free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

class Server {
public:
    static constexpr const char* kUser = "bridge_test";

    // nullptr and `why` when it cannot start; `missing` tells whether
    // PostgreSQL is absent (opt-out allowed) rather than broken.
    static std::unique_ptr<Server> launch(std::string& why, bool& missing) {
        missing = false;
        std::unique_ptr<Server> s(new Server);
        s->bindir_ = find_bindir();
        if (s->bindir_.empty()) {
            missing = true;
            why = "PostgreSQL is not installed (no pg_config --bindir, no /usr/lib/postgresql/*/bin/initdb; "
                  "Debian packages postgresql and libpq-dev, scripts/install-deps.sh)";
            return nullptr;
        }
        if (::geteuid() == 0) {
            passwd* pw = ::getpwnam("postgres");
            if (!pw) {
                missing = true;
                why = "running as root and there is no 'postgres' user to run the server as (Debian package postgresql)";
                return nullptr;
            }
            s->uid_ = pw->pw_uid;
            s->gid_ = pw->pw_gid;
            s->as_postgres_ = true;
        }
        char tmpl[] = "/tmp/bridge-pg-XXXXXX";
        if (!::mkdtemp(tmpl)) {
            why = "mkdtemp failed";
            return nullptr;
        }
        s->dir_ = tmpl;
        s->start_watchdog();
        std::random_device rd;
        for (int i = 0; i < 24; ++i) s->password_ += "0123456789abcdef"[rd() % 16];
        {
            std::ofstream pw(s->dir_ / "pwfile");
            pw << s->password_ << "\n";
        }
        if (s->as_postgres_ && ::chown(s->dir_.c_str(), s->uid_, s->gid_) != 0) {
            why = "chown of " + s->dir_.string() + " to postgres failed";
            return nullptr;
        }
        if (s->as_postgres_ && ::chown((s->dir_ / "pwfile").c_str(), s->uid_, s->gid_) != 0) {
            why = "chown of the password file failed";
            return nullptr;
        }
        if (!s->run(s->tool("initdb") + " -D " + s->data() + " -U " + kUser + " --pwfile=" +
                    (s->dir_ / "pwfile").string() +
                    " --auth-local=trust --auth-host=scram-sha-256 --no-sync --no-locale -E UTF8 --no-instructions")) {
            why = "initdb failed: " + s->log_tail("cmd.log");
            return nullptr;
        }
        // A port picked now may be taken before the server binds it: try a few.
        for (int attempt = 0; attempt < 5; ++attempt) {
            s->port_ = free_loopback_port();
            if (s->start()) return s;
        }
        why = "pg_ctl start failed: " + s->log_tail("server.log");
        return nullptr;
    }

    ~Server() {
        // Closing the pipe is the watchdog's signal: it stops the server
        // (immediate: nothing here needs keeping) and removes the directory.
        if (pipe_ >= 0) ::close(pipe_);
        if (watchdog_ > 0) ::waitpid(watchdog_, nullptr, 0);
    }

    int port() const { return port_; }
    const std::string& password() const { return password_; }
    std::string dsn(const std::string& password) const {
        return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=" + kUser +
               " password=" + password;
    }
    std::string dsn() const { return dsn(password_); }

    // pg_ctl stop/start of the same cluster on the same port (restart tests).
    bool stop(const char* mode = "fast") { return run(tool("pg_ctl") + " -D " + data() + " -m " + mode + " -w stop"); }
    bool start() {
        return run(tool("pg_ctl") + " -D " + data() + " -l " + (dir_ / "server.log").string() + " -w -t 60 -o \"" +
                   "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + dir_.string() +
                   " -c max_connections=60\" start");
    }

private:
    Server() = default;
    std::string data() const { return (dir_ / "data").string(); }
    std::string tool(const char* name) const { return (bindir_ / name).string(); }

    // Runs `command` in dir_, as postgres when root; output to cmd.log.
    bool run(const std::string& command) const {
        const std::string inner = "cd " + dir_.string() + " && " + command + " > " + (dir_ / "cmd.log").string() + " 2>&1";
        std::string full = as_postgres_ ? "runuser -u postgres -- sh -c '" + inner + "'" : "sh -c '" + inner + "'";
        int rc = std::system(full.c_str());
        return rc == 0;
    }
    std::string log_tail(const char* file) const {
        std::ifstream in(dir_ / file);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return all.size() > 1500 ? all.substr(all.size() - 1500) : all;
    }

    // A child in its own session (a test killed with its process group
    // leaves it alive) waiting for EOF on a pipe only this process holds.
    void start_watchdog() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return;
        const std::string script = "read _; " + std::string(as_postgres_ ? "runuser -u postgres -- " : "") +
                                   tool("pg_ctl") + " -D " + data() + " -m immediate -w stop; rm -rf " + dir_.string();
        pid_t pid = ::fork();
        if (pid == 0) {
            ::setsid();
            ::dup2(fds[0], 0);
            int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
            ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[0]);
        pipe_ = fds[1];
        watchdog_ = pid;
    }

    fs::path bindir_, dir_;
    bool as_postgres_ = false;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    int port_ = 0;
    std::string password_;
    int pipe_ = -1;
    pid_t watchdog_ = -1;
};

// The test binary's server, started by the first test that asks. nullptr
// only with BRIDGE_ALLOW_MISSING_POSTGRES=1 and PostgreSQL absent; otherwise
// a server that cannot start fails the test.
inline Server* shared() {
    static std::string why;
    static bool missing = false;
    static std::unique_ptr<Server> server = Server::launch(why, missing);
    if (server) return server.get();
    if (missing && missing_allowed()) {
        MESSAGE("SKIPPED (BRIDGE_ALLOW_MISSING_POSTGRES=1): " << why);
        return nullptr;
    }
    FAIL(why << std::string(missing ? " (set BRIDGE_ALLOW_MISSING_POSTGRES=1 to skip, docs/testing.md)" : ""));
    return nullptr;
}

}  // namespace test_pg
