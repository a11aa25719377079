#pragma once
// Absolute http/https URLs as the ACS, gateways and redirects use them, and
// RFC 3986 reference resolution for Location headers. Deliberately narrow:
// no userinfo (credentials belong in configuration, not in URLs that get
// logged), no fragments on the wire, no control characters or spaces (they
// would end up in a request line).
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"

namespace http {

struct Url {
    std::string scheme;  // "http" or "https", lower case
    std::string host;    // lower case; IPv6 literals without brackets ("::1")
    std::string port;    // decimal, defaulted to 80/443
    std::string target;  // path + query, at least "/"

    static core::Result<Url> parse(std::string_view text);

    // Resolves a Location header value against this URL: absolute URLs,
    // network-path ("//host/x"), absolute-path, query-only and relative paths.
    core::Result<Url> resolve(std::string_view location) const;

    // scheme://host[:port]target, with the port only when it is not the default.
    std::string to_string() const;
    // host[:port] as in a Host header (brackets around IPv6 literals).
    std::string authority() const;
    bool default_port() const;
    bool is_ipv6() const { return host.find(':') != std::string::npos; }
    // The path part of target (before any '?').
    std::string_view path() const;

    bool operator==(const Url&) const = default;
};

}  // namespace http
