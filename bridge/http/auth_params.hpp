#pragma once
// The auth-param grammar shared by WWW-Authenticate and Authorization
// (RFC 9110 section 11): a scheme token followed by either a token68 or a
// comma-separated list of name=value pairs, where values are tokens or
// quoted-strings with backslash escapes. Several challenges may share one
// header line, which is why a comma alone cannot split them.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/core/result.hpp"

namespace http {

struct AuthChallenge {
    std::string scheme;  // lower case
    std::string token68;
    std::vector<std::pair<std::string, std::string>> params;  // names lower case, values unescaped

    // First parameter of that name (case-insensitive), or nullptr.
    const std::string* param(std::string_view name) const;
};

// Parses one header value into its challenges (or, for Authorization, the
// one credentials item). Errors never quote the input: it may hold secrets.
core::Result<std::vector<AuthChallenge>> parse_auth_header(std::string_view value);

// Wraps s in double quotes, escaping '"' and '\'.
std::string quote(std::string_view s);

// Splits a quoted list such as qop="auth,auth-int" into trimmed items.
std::vector<std::string_view> split_list(std::string_view s);

}  // namespace http
