#pragma once
// A net::HttpServer on its own io_context thread, and blocking client sockets
// bound to a chosen loopback source address (127.0.0.0/8 is all local on
// Linux, so per-source limits are testable on one machine). Every client read
// and write has a timeout: no test can hang on a server that misbehaves.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <thread>

#include "bridge/net/http_server.hpp"
#include "tests/loopback_socket.hpp"

namespace nettest {

struct RunningServer {
    boost::asio::io_context ioc;
    std::unique_ptr<net::HttpServer> server;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
    std::thread thread;

    RunningServer(net::ServerOptions options, net::Handler handler)
        : server(std::make_unique<net::HttpServer>(ioc, std::move(options), std::move(handler))) {
        if (!server->listen("127.0.0.1", "0")) throw std::runtime_error("listen failed");
        thread = std::thread([this] { ioc.run(); });
    }
    ~RunningServer() {
        server->stop();
        work.reset();
        ioc.stop();
        thread.join();
    }
    unsigned short port() const { return server->port(); }
};

// A connected blocking socket from `source` (e.g. "127.0.0.2"), -1 on failure.
inline int connect_from(const char* source, unsigned short port, int timeout_ms = 3000) {
    return test_net::connect_from(source, port, timeout_ms);
}

inline bool send_all(int fd, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads one response; its status code, 0 when the connection closed, reset or timed out first.
inline int read_status(int fd, std::string* whole = nullptr) {
    std::string in;
    char buf[4096];
    for (int i = 0; i < 256; ++i) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        auto end = in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        std::size_t length = 0;
        auto cl = in.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(in.substr(cl + 16));
        if (in.size() >= end + 4 + length) break;
    }
    if (whole) *whole = in;
    if (in.rfind("HTTP/1.1 ", 0) != 0 || in.size() < 12) return 0;
    return std::stoi(in.substr(9, 3));
}

inline std::string get(const std::string& extra_headers = "") {
    return "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

}  // namespace nettest
