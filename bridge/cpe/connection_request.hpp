#pragma once
// The decision behind one Connection Request (TR-069 3.2.2, Annex J), without
// sockets: which answer to give and whether to start a session. Shared by all
// virtual CPEs of a bridge (one listener, one unguessable path per CPE);
// thread-safe, as listener connections run on their own strands.
//
// Order of checks, each with its answer:
//   not authenticated (missing, wrong, unknown path) → 401 + Digest challenge; never a session
//   authenticated with a stale nonce                   → 401 + challenge with stale=true
//   not GET                                            → 405
//   the gateway is offline                             → 503 (Annex J: the proxied device is unreachable)
//   more than max_per_minute in the last minute        → 503 + Retry-After
//   otherwise                                          → 200 (empty), then a session with 6 CONNECTION REQUEST
// Unknown paths get the same challenge as known ones, so paths cannot be probed.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "bridge/http/auth.hpp"
#include "bridge/http/message.hpp"

namespace cpe {

// What the gate needs to know about the CPE a path belongs to.
struct CrTarget {
    std::string id;
    std::string username;
    std::string password;
    bool online = true;
};

class ConnectionRequestGate {
public:
    struct Decision {
        http::Response response;
        bool start_session = false;
        std::string log;  // why, for the log (never a credential)
    };

    ConnectionRequestGate(http::DigestVerifierOptions options, unsigned max_per_minute);

    Decision decide(const http::Request& request, const std::optional<CrTarget>& target, std::int64_t now_unix,
                    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

private:
    http::DigestVerifier verifier_;
    unsigned max_per_minute_;
    std::mutex mutex_;  // guards history_
    std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> history_;
};

// The path part of a request target (the Connection Request URL has no query,
// but an ACS may append one).
std::string_view target_path(std::string_view target);

}  // namespace cpe
