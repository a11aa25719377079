#include "bridge/app/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace app::systemd {

bool notify_to(const std::string& socket, std::string_view state) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket.empty() || socket.size() >= sizeof addr.sun_path) return false;
    if (socket[0] != '/' && socket[0] != '@') return false;
    std::memcpy(addr.sun_path, socket.data(), socket.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size());
    if (socket[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace: no trailing NUL counted
    else ++len;
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
    ::close(fd);
    return n == static_cast<ssize_t>(state.size());
}

bool notify(std::string_view state) {
    const char* s = std::getenv("NOTIFY_SOCKET");
    return s && *s && notify_to(s, state);
}

std::chrono::microseconds watchdog_interval() {
    const char* usec = std::getenv("WATCHDOG_USEC");
    if (!usec || !*usec) return std::chrono::microseconds{0};
    // systemd sets WATCHDOG_PID so that a child started by the daemon does not feed it.
    if (const char* pid = std::getenv("WATCHDOG_PID"); pid && *pid) {
        char* end = nullptr;
        long long p = std::strtoll(pid, &end, 10);
        if (*end != '\0' || p != static_cast<long long>(::getpid())) return std::chrono::microseconds{0};
    }
    char* end = nullptr;
    unsigned long long v = std::strtoull(usec, &end, 10);
    if (*end != '\0' || v == 0) return std::chrono::microseconds{0};
    return std::chrono::microseconds{static_cast<long long>(v / 2)};
}

}  // namespace app::systemd
