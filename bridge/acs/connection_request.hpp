#pragma once
// The ACS's Connection Request to a CPE (TR-069 3.2.2), sans-I/O: an HTTP GET
// to the CPE's ConnectionRequestURL, answered 401 with a Digest challenge,
// repeated with the Authorization; 200 or 204 means the CPE will open a
// session with "6 CONNECTION REQUEST". The driver sends what start() and
// on_response() return and applies its own timeout to each exchange.
#include <chrono>
#include <optional>
#include <string>

#include "bridge/core/result.hpp"
#include "bridge/http/auth.hpp"
#include "bridge/http/message.hpp"
#include "bridge/http/url.hpp"

namespace acs {

class ConnectionRequestClient {
public:
    struct Step {
        enum class Kind { send, done, failed };
        Kind kind = Kind::failed;
        http::Request request;  // send
        std::string error;      // failed: why (never a credential)
        // failed with 503: the CPE is busy (in a session, or limiting Connection
        // Requests) and may be asked again, after retry_after when it said so.
        bool busy = false;
        std::optional<std::chrono::seconds> retry_after;
    };

    ConnectionRequestClient(http::Url url, http::Credentials credentials, int max_auth_attempts = 2);

    Step start();
    Step on_response(const http::Response& response);

    const http::Url& url() const { return url_; }
    // Tests pin the cnonce.
    http::ClientAuth& auth() { return auth_; }

private:
    Step send();
    static Step failed(std::string why);

    http::Url url_;
    http::Credentials credentials_;
    int max_auth_attempts_;
    int auth_attempts_ = 0;
    http::ClientAuth auth_;
};

}  // namespace acs
