// sd_notify without libsystemd: the datagrams systemd reads under Type=notify
// and WatchdogSec=, sent to a local socket standing in for systemd's.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "bridge/app/systemd_notify.hpp"

namespace {

// A bound unix datagram socket; name starting with '@' is abstract.
struct Listener {
    int fd = -1;
    std::string name;
    explicit Listener(std::string n) : name(std::move(n)) {
        fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path, name.data(), name.size());
        socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        if (name[0] == '@') a.sun_path[0] = '\0';
        else ::unlink(name.c_str());
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
        timeval tv{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~Listener() {
        ::close(fd);
        if (name[0] == '/') ::unlink(name.c_str());
    }
    std::string receive() const {
        char buf[512];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<std::size_t>(n));
    }
};

}  // namespace

TEST_CASE("notify sends the state as one datagram to $NOTIFY_SOCKET") {
    auto path = std::filesystem::temp_directory_path() / ("bridge-notify-" + std::to_string(::getpid()));
    Listener l(path.string());
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    CHECK(app::systemd::notify("READY=1\nSTATUS=serving"));
    CHECK(l.receive() == "READY=1\nSTATUS=serving");
    CHECK(app::systemd::notify("WATCHDOG=1"));
    CHECK(l.receive() == "WATCHDOG=1");
    ::unsetenv("NOTIFY_SOCKET");
    // Not under systemd: nothing sent, and the caller is told.
    CHECK_FALSE(app::systemd::notify("READY=1"));
}

TEST_CASE("abstract sockets (@name) as systemd may name them") {
    const std::string name = "@bridge-notify-test-" + std::to_string(::getpid());
    Listener l(name);
    CHECK(app::systemd::notify_to(name, "STOPPING=1"));
    CHECK(l.receive() == "STOPPING=1");
    // Nobody listening or not a socket name: a failure, never a crash.
    CHECK_FALSE(app::systemd::notify_to("@bridge-notify-nobody-" + std::to_string(::getpid()), "READY=1"));
    CHECK_FALSE(app::systemd::notify_to("relative/path", "READY=1"));
}

TEST_CASE("watchdog interval: half of WATCHDOG_USEC, only for the process it names") {
    using std::chrono::microseconds;
    ::unsetenv("WATCHDOG_PID");
    ::unsetenv("WATCHDOG_USEC");
    CHECK(app::systemd::watchdog_interval() == microseconds{0});
    ::setenv("WATCHDOG_USEC", "30000000", 1);
    CHECK(app::systemd::watchdog_interval() == microseconds{15'000'000});
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    CHECK(app::systemd::watchdog_interval() == microseconds{15'000'000});
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    CHECK(app::systemd::watchdog_interval() == microseconds{0});
    ::unsetenv("WATCHDOG_PID");
    ::setenv("WATCHDOG_USEC", "soon", 1);
    CHECK(app::systemd::watchdog_interval() == microseconds{0});
    ::unsetenv("WATCHDOG_USEC");
}
