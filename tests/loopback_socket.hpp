#pragma once
// A TCP socket from a chosen loopback source address (127.0.0.2, ...), for
// tests of per-source limits: unit tests (tests/unit/net) and e2e tests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

namespace test_net {

// Connected to 127.0.0.1:port from `source`; -1 on failure. timeout_ms > 0:
// a blocking socket whose every read and write is bounded by it; 0: a
// non-blocking one whose connect may still be in progress.
inline int connect_from(const char* source, unsigned short port, int timeout_ms) {
    const bool nonblocking = timeout_ms == 0;
    int fd = ::socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) return -1;
    if (!nonblocking) {
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, source, &src.sin_addr);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    dst.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && !(nonblocking && errno == EINPROGRESS))) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace test_net
