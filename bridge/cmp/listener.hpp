#pragma once
// The CMP listener: HOMS's endpoint for gateway-originated messages (regRg,
// authRg, keepAliveRg, deregRg, notify*). Per request, in this order:
// method and Content-Type, X-CMP-Auth (and SEED decryption for legacy
// gateways), SOAP decoding (SOAP Fault + HTTP 500 when malformed), header
// rgId against the authenticated one (401), SOAPAction against the body
// (Fault, 14), catalogue validation (resultCode 3 or 2), then the session
// protocol (GatewaySessions) and the host. Answers are signed with the
// request's nonce and encrypted for legacy gateways.
//
// Not tied to sockets: handle() takes a plain http::Request, so tests feed it
// crafted requests and net::HttpServer calls it per request. Thread-safe
// (one mutex: the replay cache and the sessions are shared by every connection).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include "bridge/cmp/gateway_sessions.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/http/message.hpp"
#include "bridge/soap/xml.hpp"

namespace cmp {

struct ListenerOptions {
    // X-CMP-Auth required (default). Off only for laboratory deployments;
    // legacy SEED gateways always need it (encrypt then MAC).
    bool require_auth = true;
    std::chrono::seconds auth_window{300};
    std::size_t replay_cache = 65536;
    SessionOptions sessions;
    soap::Limits limits;
};

// An authRg whose enrollment the host deferred (ListenerHost::defer_enrollment):
// what Listener::finish() needs to answer it once the host decided.
struct PendingEnrollment {
    Registration registration;
    Request request;   // the authRg
    Incoming incoming;  // for signing (and encrypting) the answer
};

class Listener {
public:
    Listener(ListenerHost& host, ListenerOptions options = {});

    // peer: the remote address, for logs. For hosts that never defer enrollment.
    http::Response handle(const http::Request& req, std::string_view peer, std::int64_t now);

    // handle() in two phases: the checks and the session protocol under the
    // lock; an enrollment the host deferred comes back in `pending`, to be
    // carried out without the lock and answered with finish().
    struct Outcome {
        http::Response response;  // meaningless while pending is set
        std::optional<PendingEnrollment> pending;
    };
    Outcome process(const http::Request& req, std::string_view peer, std::int64_t now);
    http::Response finish(const PendingEnrollment& pending, bool enrolled, std::int64_t now);
    // The checks of handle() that need no body, for net::HttpServer's
    // pre-body hook (issue 10: nothing is buffered for a peer that cannot
    // even name a gateway): the method, then, when X-CMP-Auth is required or
    // present, a well-formed header naming a gateway the host knows, with a
    // timestamp inside the window. A refusal is the one handle() would give,
    // logged the same way; nullopt: read the body, then handle() verifies the MAC.
    std::optional<http::Response> precheck(const http::Request& headers_only, std::string_view peer,
                                           std::int64_t now);
    // Call periodically (every few seconds): gateways whose keep-alives stopped are gone.
    void expire(std::int64_t now);

    bool authenticated(std::string_view rg_id) const;

    // The replay window across restarts (Verifier::set_observer/restore):
    // the observer runs under the listener's lock, so it must not block.
    void on_accepted_nonce(Verifier::AcceptObserver observer);
    void restore_nonce(std::string_view rg_id, std::string_view nonce, std::int64_t ts);

private:
    http::Response respond(const Incoming& in, const Response& res, std::int64_t now);

    ListenerHost& host_;
    ListenerOptions options_;
    mutable std::mutex mutex_;
    Verifier verifier_;
    GatewaySessions sessions_;
};

}  // namespace cmp
