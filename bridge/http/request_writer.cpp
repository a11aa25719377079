#include "bridge/http/request_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace http {
namespace {

// RFC 9110 5.6.2 tchar.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// A field value may hold visible characters, spaces, tabs and obs-text; never CR, LF or NUL.
// Three memchr scans: find_first_of looks each byte up in the set, ten times the cost
// over the Authorization and X-CMP-Auth values of every request.
bool is_field_value(std::string_view s) {
    return s.empty() || (!std::memchr(s.data(), '\r', s.size()) && !std::memchr(s.data(), '\n', s.size()) &&
                         !std::memchr(s.data(), '\0', s.size()));
}

bool is_target(std::string_view s) {
    return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
    });
}

bool writers_own(std::string_view name) {
    return iequals(name, "Host") || iequals(name, "User-Agent") || iequals(name, "Content-Length") ||
           iequals(name, "Transfer-Encoding");
}

core::Error bad(std::string what) { return core::make_error("http.bad_request", std::move(what)); }

}  // namespace

core::Status write_request(const Request& req, const Url& url, std::string_view user_agent, std::string& out) {
    out.clear();
    const std::string_view target = req.target.empty() ? std::string_view(url.target) : std::string_view(req.target);
    if (!is_token(req.method)) return bad("request method is not a token");
    if (!is_target(target)) return bad("request target is empty or holds white space or control characters");
    if (!is_field_value(user_agent) || !is_field_value(url.host) || !is_field_value(url.port))
        return bad("Host or User-Agent holds CR, LF or NUL");
    std::size_t headers_size = 0;
    for (const auto& h : req.headers) {
        if (!is_token(h.name)) return bad("header name '" + h.name + "' is not a token");
        if (!is_field_value(h.value)) return bad("header " + h.name + " holds CR, LF or NUL");
        headers_size += h.name.size() + h.value.size() + 4;
    }
    const bool default_port = (url.scheme == "http" && url.port == "80") || (url.scheme == "https" && url.port == "443");
    const bool v6 = url.host.find(':') != std::string::npos;
    char length[24];
    const std::size_t length_size =
        static_cast<std::size_t>(std::to_chars(length, length + sizeof length, req.body.size()).ptr - length);
    const bool with_length = !req.body.empty() || req.method == "POST" || req.method == "PUT";

    out.reserve(req.method.size() + target.size() + url.host.size() + url.port.size() + user_agent.size() +
                headers_size + req.body.size() + 96);
    out.append(req.method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
    if (v6) out.append("[").append(url.host).append("]");
    else out.append(url.host);
    if (!default_port) out.append(":").append(url.port);
    out.append("\r\nUser-Agent: ").append(user_agent).append("\r\n");
    for (const auto& h : req.headers) {
        if (writers_own(h.name)) continue;
        out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    if (with_length) out.append("Content-Length: ").append(length, length_size).append("\r\n");
    out.append("\r\n").append(req.body);
    return core::Ok{};
}

}  // namespace http
