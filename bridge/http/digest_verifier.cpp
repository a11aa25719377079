// DigestVerifier and verify_basic: the server side of HTTP authentication.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "bridge/http/auth.hpp"
#include "bridge/http/auth_params.hpp"
#include "bridge/http/encoding.hpp"

namespace http {
namespace {

constexpr std::size_t kTimeBytes = 8;
constexpr std::size_t kSaltBytes = 8;
constexpr std::size_t kMacBytes = 16;
constexpr std::int64_t kClockSkew = 60;  // nonces from up to a minute in the future are tolerated

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string be64(std::int64_t v) {
    std::string out(kTimeBytes, '\0');
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 7; i >= 0; --i, u >>= 8) out[i] = static_cast<char>(u & 0xff);
    return out;
}

std::int64_t from_be64(std::string_view s) {
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < kTimeBytes; ++i) u = (u << 8) | static_cast<unsigned char>(s[i]);
    return static_cast<std::int64_t>(u);
}

bool parse_nc(std::string_view s, std::uint32_t& out) {
    if (s.size() != 8) return false;
    auto bytes = hex_decode(s);
    if (!bytes) return false;
    out = 0;
    for (unsigned char c : *bytes) out = (out << 8) | c;
    return out != 0;
}

bool constant_time_hex_equals(std::string_view given, const std::string& expected) {
    if (given.size() != expected.size()) return false;
    // Clients may send upper-case hex; fold before comparing.
    std::string folded = to_lower(given);
    return CRYPTO_memcmp(folded.data(), expected.data(), expected.size()) == 0;
}

}  // namespace

DigestVerifier::DigestVerifier(DigestVerifierOptions options) : options_(std::move(options)) {
    if (options_.secret.empty()) options_.secret = random_bytes(32);
    if (options_.max_tracked_nonces == 0) options_.max_tracked_nonces = 1;
    opaque_ = base64url_encode(mac("opaque", options_.realm).substr(0, 12));
}

std::string DigestVerifier::mac(std::string_view label, std::string_view data) const {
    std::string msg(label);
    msg += '\0';
    msg.append(data);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), options_.secret.data(), static_cast<int>(options_.secret.size()),
              reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len)) {
        std::fputs("fatal: OpenSSL HMAC failed\n", stderr);
        std::abort();
    }
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string DigestVerifier::make_nonce(std::int64_t now_unix) const {
    // time || salt || HMAC(time || salt): verifiable without server state, and
    // unique per challenge so two clients never share an nc sequence.
    std::string payload = be64(now_unix) + random_bytes(kSaltBytes);
    return base64url_encode(payload + mac("nonce", payload).substr(0, kMacBytes));
}

std::string DigestVerifier::challenge(bool stale) const { return challenge_at(unix_now(), stale); }

std::string DigestVerifier::challenge_at(std::int64_t now_unix, bool stale) const {
    std::string h = "Digest realm=" + quote(options_.realm) + ", qop=\"auth\", nonce=\"" + make_nonce(now_unix) +
                    "\", opaque=\"" + opaque_ + "\", algorithm=MD5";
    if (stale) h += ", stale=true";
    return h;
}

Verdict DigestVerifier::verify(std::string_view authorization, std::string_view method,
                               const PasswordLookup& password_lookup, std::int64_t now_unix) {
    return check(authorization, method, nullptr, password_lookup, now_unix);
}

Verdict DigestVerifier::verify(std::string_view authorization, std::string_view method,
                               std::string_view request_target, const PasswordLookup& password_lookup,
                               std::int64_t now_unix) {
    return check(authorization, method, &request_target, password_lookup, now_unix);
}

Verdict DigestVerifier::check(std::string_view authorization, std::string_view method,
                              const std::string_view* request_target, const PasswordLookup& password_lookup,
                              std::int64_t now_unix) {
    if (authorization.find_first_not_of(" \t") == std::string_view::npos) return Verdict::missing;
    auto parsed = parse_auth_header(authorization);
    if (!parsed || parsed->size() != 1 || (*parsed)[0].scheme != "digest") return Verdict::bad;
    const AuthChallenge& a = (*parsed)[0];

    const std::string* username = a.param("username");
    const std::string* realm = a.param("realm");
    const std::string* nonce = a.param("nonce");
    const std::string* uri = a.param("uri");
    const std::string* response = a.param("response");
    const std::string* qop = a.param("qop");
    const std::string* nc_text = a.param("nc");
    const std::string* cnonce = a.param("cnonce");
    const std::string* algorithm = a.param("algorithm");
    const std::string* opaque = a.param("opaque");
    if (!username || !realm || !nonce || !uri || !response || !qop || !nc_text || !cnonce || cnonce->empty())
        return Verdict::bad;  // qop is required: without nc there is no replay protection
    if (*realm != options_.realm || !iequals(*qop, "auth")) return Verdict::bad;
    if (algorithm && !iequals(*algorithm, "MD5")) return Verdict::bad;
    if (opaque && *opaque != opaque_) return Verdict::bad;
    if (request_target && *uri != *request_target) return Verdict::bad;
    std::uint32_t nc = 0;
    if (!parse_nc(*nc_text, nc)) return Verdict::bad;

    auto raw = base64url_decode(*nonce);
    if (!raw || raw->size() != kTimeBytes + kSaltBytes + kMacBytes) return Verdict::bad;
    const std::string_view payload = std::string_view(*raw).substr(0, kTimeBytes + kSaltBytes);
    const std::string expected_mac = mac("nonce", payload).substr(0, kMacBytes);
    if (CRYPTO_memcmp(raw->data() + payload.size(), expected_mac.data(), kMacBytes) != 0) return Verdict::bad;
    const std::int64_t issued = from_be64(payload);
    if (issued > now_unix + kClockSkew) return Verdict::bad;

    // Unknown users go through the same hashing so that timing does not tell
    // which user names exist.
    std::optional<std::string> password = password_lookup ? password_lookup(*username) : std::nullopt;
    DigestInput in;
    in.algorithm = DigestAlgorithm::md5;
    in.username = *username;
    in.password = password ? std::string_view(*password) : std::string_view("\x01unknown-user\x01");
    in.realm = options_.realm;
    in.nonce = *nonce;
    in.cnonce = *cnonce;
    in.nc = *nc_text;
    in.qop = "auth";
    in.method = method;
    in.uri = *uri;
    const bool digest_ok = constant_time_hex_equals(*response, digest_response(in));
    if (!digest_ok || !password) return Verdict::bad;

    // RFC 7616 3.3: stale only when the digest itself was right.
    if (now_unix - issued > options_.nonce_lifetime) return Verdict::stale;
    std::lock_guard lock(mutex_);
    if (!accept_nc(issued, *nonce, nc, now_unix)) {
        // A nonce whose record was evicted is sent back as stale: the client
        // renews it at the cost of one round trip, and no replay gets through.
        return issued <= forgotten_up_to_ && !last_nc_.count({issued, *nonce}) ? Verdict::stale : Verdict::bad;
    }
    return Verdict::ok;
}

bool DigestVerifier::accept_nc(std::int64_t issued, const std::string& nonce, std::uint32_t nc,
                               std::int64_t now_unix) {
    // Expired nonces are answered as stale before they get here; their records can go.
    while (!last_nc_.empty() && now_unix - last_nc_.begin()->first.first > options_.nonce_lifetime)
        last_nc_.erase(last_nc_.begin());

    auto key = std::make_pair(issued, nonce);
    auto it = last_nc_.find(key);
    if (it == last_nc_.end()) {
        if (issued <= forgotten_up_to_) return false;
        while (last_nc_.size() >= options_.max_tracked_nonces) {
            forgotten_up_to_ = std::max(forgotten_up_to_, last_nc_.begin()->first.first);
            last_nc_.erase(last_nc_.begin());
        }
        // A newcomer older than everything just evicted counts as forgotten too.
        if (issued <= forgotten_up_to_) return false;
        last_nc_.emplace(std::move(key), nc);
        return true;
    }
    if (nc <= it->second) return false;
    it->second = nc;
    return true;
}

Verdict verify_basic(std::string_view authorization, const PasswordLookup& password_lookup) {
    if (authorization.find_first_not_of(" \t") == std::string_view::npos) return Verdict::missing;
    auto parsed = parse_auth_header(authorization);
    if (!parsed || parsed->size() != 1 || (*parsed)[0].scheme != "basic" || (*parsed)[0].token68.empty())
        return Verdict::bad;
    auto decoded = base64_decode((*parsed)[0].token68);
    if (!decoded) return Verdict::bad;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return Verdict::bad;
    const std::string_view user = std::string_view(*decoded).substr(0, colon);
    const std::string_view given = std::string_view(*decoded).substr(colon + 1);
    std::optional<std::string> expected = password_lookup ? password_lookup(user) : std::nullopt;
    const bool same = secure_equals(given, expected ? std::string_view(*expected) : std::string_view("\x01"));
    return (same && expected) ? Verdict::ok : Verdict::bad;
}

}  // namespace http
