#pragma once
// HTTP authentication for both directions, sans-I/O.
//
// ClientAuth answers an ACS's 401 challenge and then keeps pre-authorizing
// later requests of the session with the same nonce (nc counting up), so a
// session costs one 401 rather than one per message.
//
// DigestVerifier is the server side (Connection Request and CMP listeners).
// Its nonces carry their own timestamp under an HMAC, so it needs no table of
// issued nonces; the only state is a bounded record of the last nc seen per
// nonce, which is what stops replays.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "bridge/core/result.hpp"
#include "bridge/http/digest.hpp"
#include "bridge/http/message.hpp"

namespace http {

struct Credentials {
    std::string username;
    std::string password;
};

class ClientAuth {
public:
    enum class Scheme { none, basic, digest };
    using CnonceSource = std::function<std::string()>;

    // Picks the strongest supported challenge among every WWW-Authenticate
    // header of a 401 (Digest before Basic, the server's order among Digests)
    // and remembers it with the credentials. Whether to try again at all is
    // the caller's decision (see stale()).
    core::Status on_challenge(const Response& response, Credentials credentials);

    // Authorization header value for the next request, or nullopt before any
    // challenge. Each call consumes one nonce count.
    std::optional<std::string> authorization(std::string_view method, std::string_view uri);

    // Forgets challenge and credentials (new origin after a redirect).
    void reset();

    Scheme scheme() const { return scheme_; }
    // The last challenge had stale=true: the credentials were accepted and
    // only the nonce had expired, so a retry is not a sign of a bad password.
    bool stale() const { return stale_; }

    // Tests inject a fixed cnonce; production uses 16 random bytes.
    void set_cnonce_source(CnonceSource source) { cnonce_source_ = std::move(source); }

private:
    std::string next_cnonce();

    Credentials credentials_;
    Scheme scheme_ = Scheme::none;
    DigestAlgorithm algorithm_ = DigestAlgorithm::md5;
    bool send_algorithm_ = false;  // echo algorithm= only if the server named one
    bool qop_auth_ = false;        // false: RFC 2069 digest
    bool stale_ = false;
    std::string realm_;
    std::string nonce_;
    std::optional<std::string> opaque_;
    std::string sess_cnonce_;  // -sess algorithms bind HA1 to the first cnonce
    std::uint32_t nc_ = 0;
    CnonceSource cnonce_source_;
};

enum class Verdict { ok, missing, bad, stale };

using PasswordLookup = std::function<std::optional<std::string>(std::string_view username)>;

struct DigestVerifierOptions {
    std::string realm = "cmp-cwmp-bridge";
    // HMAC key for nonces; empty = 32 random bytes, so nonces die with the process.
    std::string secret;
    std::int64_t nonce_lifetime = 300;  // seconds
    // Nonces whose nc is tracked; beyond that the oldest are forgotten and
    // treated as stale, which costs a client one extra round trip, never a replay.
    std::size_t max_tracked_nonces = 4096;
};

class DigestVerifier {
public:
    using Verdict = http::Verdict;

    explicit DigestVerifier(DigestVerifierOptions options = {});
    DigestVerifier(const DigestVerifier&) = delete;
    DigestVerifier& operator=(const DigestVerifier&) = delete;

    // WWW-Authenticate value: Digest realm, qop="auth", nonce, opaque, algorithm=MD5.
    std::string challenge(bool stale = false) const;
    std::string challenge_at(std::int64_t now_unix, bool stale = false) const;

    // Checks an Authorization header. `stale` means the digest was right but
    // the nonce expired: answer 401 with challenge(true). Thread-safe.
    Verdict verify(std::string_view authorization, std::string_view method, const PasswordLookup& password_lookup,
                   std::int64_t now_unix);
    // As above, and also requires the digest's uri to equal the request
    // target, so a digest cannot be spent on a different path.
    Verdict verify(std::string_view authorization, std::string_view method, std::string_view request_target,
                   const PasswordLookup& password_lookup, std::int64_t now_unix);

    const std::string& realm() const { return options_.realm; }

private:
    Verdict check(std::string_view authorization, std::string_view method, const std::string_view* request_target,
                  const PasswordLookup& password_lookup, std::int64_t now_unix);
    std::string make_nonce(std::int64_t now_unix) const;
    std::string mac(std::string_view label, std::string_view data) const;
    // Records nc for the nonce; false if it is not above the last one seen.
    bool accept_nc(std::int64_t issued, const std::string& nonce, std::uint32_t nc, std::int64_t now_unix);

    DigestVerifierOptions options_;
    std::string opaque_;
    std::mutex mutex_;
    // Keyed by (issue time, nonce) so that the oldest entries come first.
    std::map<std::pair<std::int64_t, std::string>, std::uint32_t> last_nc_;
    // Nonces issued at or before this time may have lost their nc record.
    std::int64_t forgotten_up_to_ = std::numeric_limits<std::int64_t>::min();
};

// Basic credentials check, for listeners that only run over TLS. The password
// comparison is constant time; unknown users take the same path.
Verdict verify_basic(std::string_view authorization, const PasswordLookup& password_lookup);

}  // namespace http
