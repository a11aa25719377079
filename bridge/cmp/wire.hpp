#pragma once
// CMP messages <-> HTTP messages, with the profile's security applied in one
// place (docs/cmp-protocol.md, sections 2 and 12): X-CMP-Auth on requests and
// on 200/500 responses (nonce echoed), optional SEED-128-CBC body encryption
// for legacy gateways (encrypt then MAC), and the checks a receiver owes
// (method, Content-Type, MAC, no downgrade). Used by cmp::GatewayClient, the
// listener and the gateway simulator, so both ends share one implementation.
// Pure apart from the nonce and IV randomness; the caller passes the clock.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/cmp/message.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "bridge/core/result.hpp"
#include "bridge/http/message.hpp"

namespace cmp {

// What one side knows about its peer gateway.
struct PeerKeys {
    std::string rg_id;
    std::string secret;        // empty: unsigned messages (laboratory deployments only)
    bool legacy_seed = false;  // SEED-128-CBC bodies (section 12.5); needs a secret
};

// ---- requester side ----
struct OutgoingRequest {
    http::Request http;
    std::string nonce;  // the X-CMP-Auth nonce, to check the response against; empty when unsigned
};
// POST to `target` (origin form, exactly as it will be on the request line).
core::Result<OutgoingRequest> make_http_request(const Request& msg, std::string_view target, const PeerKeys& keys,
                                           std::int64_t now);
// Checks and decodes the answer to a request made by make_http_request. Errors:
//   cmp.unauthorized   the peer answered 401 (it refused our X-CMP-Auth)
//   cmp.http           another status than 200/500
//   cmp.bad_signature  response X-CMP-Auth missing or wrong (verdict in the message)
//   cmp.decrypt        legacy body missing its X-CMP-Enc framing or undecryptable
//   and the decode_response errors.
core::Result<Response> read_http_response(const http::Response& res, std::string_view target, const PeerKeys& keys,
                                     std::string_view nonce, std::int64_t now, std::string_view function,
                                     std::chrono::seconds window = std::chrono::seconds(300));

// ---- responder side ----
// The outcome of opening a request: either the envelope to decode, or the
// HTTP status to refuse it with (and why, for the log: never a secret).
struct Incoming {
    int refuse_status = 0;  // 0: accepted; else 401, 405 or 415
    std::string reason;     // verdict or check that failed
    std::string rg_id;      // authenticated gateway; empty when the request was unsigned
    std::string nonce;      // to echo in the response signature
    std::string path;       // the request-target, which the response signature covers
    PeerKeys keys;          // of rg_id, when authenticated
    std::string xml;        // the envelope (decrypted in legacy mode)
    bool ok() const { return refuse_status == 0; }
};
using KeyLookup = std::function<std::optional<PeerKeys>(std::string_view rg_id)>;
// require_auth: refuse requests without X-CMP-Auth (a present header is
// always verified). Legacy gateways must encrypt and plain gateways must not
// (415): the mode is configured, never negotiated. A MAC failure and a
// decryption failure are refused alike (401) so no padding oracle exists.
// The verifier is the caller's (one per listener; serialise calls).
Incoming open_request(const http::Request& req, Verifier& verifier, bool require_auth, std::int64_t now,
                      const KeyLookup& lookup);
// A 200 (response) or 500 (SOAP Fault) answer: encrypted for legacy peers,
// signed with the request's nonce when the request was signed.
http::Response make_http_response(int status, std::string xml, const Incoming& in, std::int64_t now);
// A refusal (401/405/413/415): never signed nor encrypted; 401 carries a Fault (resultCode 4).
http::Response make_refusal(int status, std::string_view function = {});

std::int64_t unix_now();

}  // namespace cmp
