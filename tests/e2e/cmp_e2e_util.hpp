#pragma once
// Helpers of the CMP end-to-end tests: the simulator's control endpoint over
// a plain socket, waiting for a log line, and a throw-away PKI made with the
// openssl command line (shared with the unit tests).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/e2e/process.hpp"
#include "tests/unit/cmp/pki_util.hpp"

namespace e2e {

// Sends `request` (a whole HTTP/1.1 message, "Connection: close") to
// 127.0.0.1:port; returns everything the server wrote ("" when it could not connect).
inline std::string http_exchange(unsigned short port, const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return {};
    }
    (void)!::write(fd, request.data(), request.size());
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

// One bodiless HTTP/1.1 request with a Bearer token; returns the status line and body ("" on failure).
inline std::string http_request(unsigned short port, const std::string& method, const std::string& path,
                                const std::string& token) {
    return http_exchange(port, method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                   "Authorization: Bearer " + token + "\r\nContent-Length: 0\r\n\r\n");
}

// Polls a process's log until it contains needle (true) or the time is up (false).
inline bool wait_for_log(Process& p, const std::string& needle, std::chrono::milliseconds timeout,
                         std::size_t occurrences = 1) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        std::string log = p.log();
        std::size_t count = 0;
        for (auto pos = log.find(needle); pos != std::string::npos; pos = log.find(needle, pos + 1)) ++count;
        if (count >= occurrences) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

inline std::size_t count_in(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++count;
    return count;
}

// A CA, a server certificate for 127.0.0.1 (IP SAN) and a client certificate, signed by it:
// <dir>/<name>-ca.pem, <dir>/<name>-server.{pem,key}, <dir>/<name>-client.{pem,key}.
inline void make_pki(const std::filesystem::path& dir, const std::string& name) { pki::make(dir, name); }

}  // namespace e2e
