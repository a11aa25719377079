#pragma once
// Per-gateway shared-secret message authentication (docs/cmp-protocol.md,
// "Message authentication"). Pure: the caller supplies the clock, the nonce
// and the secret lookup, so tests and trace replay are deterministic.
//
//   X-CMP-Auth: rgId="GW-0001", ts="1732530000", nonce="<16..64 hex>", mac="<base64>"
//   mac = base64(HMAC-SHA256(secret, METHOD LF path LF ts LF nonce LF hex(SHA-256(body))))
//
// Requests use the HTTP method ("POST") and the request-target; responses use
// the status code ("200") and the request's path and echo the request's nonce,
// which binds a response to its request without a second replay cache.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace cmp {

inline constexpr std::string_view kAuthHeader = "X-CMP-Auth";

// The canonical string the MAC covers (exposed for tests and documentation).
std::string auth_string_to_sign(std::string_view method, std::string_view path, std::int64_t ts,
                                std::string_view nonce, std::string_view body);
// The X-CMP-Auth header value. method: "POST" for requests, the status code for responses.
std::string sign(std::string_view secret, std::string_view rg_id, std::string_view method, std::string_view path,
                 std::string_view body, std::int64_t ts, std::string_view nonce);
// 128 random bits as 32 lower-case hex digits (OpenSSL RAND_bytes).
std::string make_nonce();

// authRg.authDigest = base64(HMAC-SHA256(secret, nonce LF rgId LF sessionId)).
std::string auth_digest(std::string_view secret, std::string_view nonce, std::string_view rg_id,
                        std::string_view session_id);
bool check_auth_digest(std::string_view digest, std::string_view secret, std::string_view nonce,
                       std::string_view rg_id, std::string_view session_id);

// Per-gateway secret derived from a deployment's registration secret, for
// gateways that register themselves (docs/configuration.md, "Gateways that
// register themselves"): lower-hex(HMAC-SHA256(master, "cmp-gateway-secret-v1" LF rgId)).
// Each gateway is provisioned with its own derived value, so one gateway's
// secret never lets it speak for another, and the master stays on the bridge.
std::string derive_gateway_secret(std::string_view master, std::string_view rg_id);

// Parsed X-CMP-Auth parameters.
struct AuthParams {
    std::string rg_id;
    std::int64_t ts = 0;
    std::string nonce;
    std::string mac;
};
// nullopt unless exactly rgId, ts, nonce and mac appear, once each, well-formed.
std::optional<AuthParams> parse_auth_header(std::string_view value);

enum class Verdict { ok, missing, malformed, unknown_gateway, bad_mac, stale, replay };
std::string_view to_string(Verdict v);

using SecretLookup = std::function<std::optional<std::string>(std::string_view rg_id)>;

// Verifies request headers and remembers accepted nonces. Not thread-safe:
// serialise calls (strand or mutex); separate instances do not share nonces,
// so one listener needs exactly one Verifier. Replay protection is complete while the cache
// holds every nonce seen within the window; when it overflows, the entry
// closest to expiry is evicted and every message at or before that entry's
// timestamp is refused from then on, so an evicted nonce can never be replayed.
class Verifier {
public:
    explicit Verifier(std::chrono::seconds window = std::chrono::seconds(300), std::size_t replay_cache = 65536);

    Verdict verify(std::string_view header, std::string_view method, std::string_view path, std::string_view body,
                   std::int64_t now, const SecretLookup& secret_lookup, std::string* rg_id_out = nullptr);

    std::size_t cached() const { return seen_.size(); }
    std::int64_t window_seconds() const { return window_; }

    // Replay protection across restarts: every accepted nonce is reported to
    // the observer (which makes it durable), and a restarted listener
    // restores what was recorded before it answers anything.
    using AcceptObserver = std::function<void(std::string_view rg_id, std::string_view nonce, std::int64_t ts)>;
    void set_observer(AcceptObserver observer) { observer_ = std::move(observer); }
    void restore(std::string_view rg_id, std::string_view nonce, std::int64_t ts);

private:
    void prune(std::int64_t now);
    void remember(std::string key, std::int64_t ts);

    std::int64_t window_;
    std::size_t capacity_;
    std::unordered_set<std::string> seen_;           // rgId '\n' nonce
    std::multimap<std::int64_t, std::string> order_;  // ts -> key, oldest first
    std::int64_t floor_ = std::numeric_limits<std::int64_t>::min();  // refuse ts <= floor_
    AcceptObserver observer_;
};

// Verifies a signed response: same secret, the request's nonce echoed, ts in window.
// No replay cache: the nonce is the caller's own, used once.
Verdict verify_response(std::string_view header, int status, std::string_view path, std::string_view body,
                        std::int64_t now, std::chrono::seconds window, std::string_view secret,
                        std::string_view expected_rg_id, std::string_view request_nonce);

}  // namespace cmp
