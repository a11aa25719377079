#include "bridge/cmp/message_auth.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>
#include <initializer_list>
#include <iterator>
#include <stdexcept>

namespace cmp {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::size_t kMacB64Len = 44;  // base64 of 32 bytes, one '=' of padding

std::string hex(const unsigned char* p, std::size_t n) {
    std::string s(n * 2, '0');
    for (std::size_t i = 0; i < n; ++i) {
        s[2 * i] = kHex[p[i] >> 4];
        s[2 * i + 1] = kHex[p[i] & 0xF];
    }
    return s;
}

std::string base64(const unsigned char* p, std::size_t n) {
    std::string out(4 * ((n + 2) / 3), '\0');
    int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

// OpenSSL 3's one-shot SHA256() and HMAC() fetch the algorithm, allocate a context, look its
// parameters up by name and free it again on every call: with the body's hash, that was most of
// what signing and verifying a CMP message cost (docs/performance.md, "the XML and crypto path"). The algorithms are
// fetched once per process and each thread keeps one context of each, re-initialised per message.
struct Algorithms {
    EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    Algorithms() {
        if (!sha256 || !hmac) throw std::runtime_error("OpenSSL has no SHA-256 or HMAC");
    }
};

const Algorithms& algorithms() {
    static const Algorithms a;
    return a;
}

struct ThreadContexts {
    EVP_MD_CTX* digest = EVP_MD_CTX_new();
    EVP_MAC_CTX* mac = EVP_MAC_CTX_new(algorithms().hmac);
    ThreadContexts() {
        char name[] = "SHA2-256";
        const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
                                     OSSL_PARAM_construct_end()};
        if (!digest || !mac || EVP_MAC_CTX_set_params(mac, params) != 1)
            throw std::runtime_error("cannot create SHA-256/HMAC contexts");
    }
    ~ThreadContexts() {
        EVP_MAC_CTX_free(mac);  // cleanses the keyed state
        EVP_MD_CTX_free(digest);
    }
    ThreadContexts(const ThreadContexts&) = delete;
    ThreadContexts& operator=(const ThreadContexts&) = delete;
};

ThreadContexts& contexts() {
    thread_local ThreadContexts c;
    return c;
}

void sha256(std::string_view data, unsigned char (&out)[SHA256_DIGEST_LENGTH]) {
    EVP_MD_CTX* ctx = contexts().digest;
    unsigned int len = 0;
    if (EVP_DigestInit_ex2(ctx, algorithms().sha256, nullptr) != 1 ||
        EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1)
        throw std::runtime_error("SHA-256 failed");  // only on OpenSSL misconfiguration
}

// HMAC-SHA256(key, the concatenation of parts), as raw bytes.
void hmac(std::string_view key, std::initializer_list<std::string_view> parts,
          unsigned char (&out)[SHA256_DIGEST_LENGTH]) {
    EVP_MAC_CTX* ctx = contexts().mac;
    // The key pointer must never be null: EVP_MAC_init keeps the previous key for a null one, which on
    // this shared context would be another gateway's. An empty key is legal for HMAC.
    static const unsigned char kEmpty = 0;
    const auto* k = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    bool ok = EVP_MAC_init(ctx, k, key.size(), nullptr) == 1;
    for (std::string_view p : parts)
        ok = ok && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(p.data()), p.size()) == 1;
    std::size_t len = 0;
    if (!ok || EVP_MAC_final(ctx, out, &len, sizeof out) != 1 || len != sizeof out)
        throw std::runtime_error("HMAC-SHA256 failed");  // only on OpenSSL misconfiguration
}

std::string hmac_b64(std::string_view key, std::initializer_list<std::string_view> parts) {
    unsigned char mac[SHA256_DIGEST_LENGTH];
    hmac(key, parts, mac);
    return base64(mac, sizeof mac);
}

// The MAC over auth_string_to_sign's string, fed to HMAC piece by piece rather than built.
std::string message_mac(std::string_view secret, std::string_view method, std::string_view path, std::int64_t ts,
                        std::string_view nonce, std::string_view body) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    sha256(body, digest);
    char ts_text[24];
    auto [end, ec] = std::to_chars(std::begin(ts_text), std::end(ts_text), ts);
    (void)ec;  // 24 characters hold any int64
    char digest_hex[2 * SHA256_DIGEST_LENGTH];
    for (std::size_t i = 0; i < sizeof digest; ++i) {
        digest_hex[2 * i] = kHex[digest[i] >> 4];
        digest_hex[2 * i + 1] = kHex[digest[i] & 0xF];
    }
    return hmac_b64(secret, {method, "\n", path, "\n", std::string_view(ts_text, static_cast<std::size_t>(end - ts_text)),
                             "\n", nonce, "\n", std::string_view(digest_hex, sizeof digest_hex)});
}

bool equal_ct(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_b64(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}
bool ows(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string auth_string_to_sign(std::string_view method, std::string_view path, std::int64_t ts,
                                std::string_view nonce, std::string_view body) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    sha256(body, digest);
    std::string s;
    s.reserve(method.size() + path.size() + nonce.size() + 96);
    s.append(method).append("\n").append(path).append("\n").append(std::to_string(ts)).append("\n");
    s.append(nonce).append("\n").append(hex(digest, sizeof digest));
    return s;
}

std::string sign(std::string_view secret, std::string_view rg_id, std::string_view method, std::string_view path,
                 std::string_view body, std::int64_t ts, std::string_view nonce) {
    std::string mac = message_mac(secret, method, path, ts, nonce, body);
    std::string v = "rgId=\"";
    v.append(rg_id).append("\", ts=\"").append(std::to_string(ts)).append("\", nonce=\"");
    v.append(nonce).append("\", mac=\"").append(mac).append("\"");
    return v;
}

std::string make_nonce() {
    // One RAND_bytes call per 32 nonces: its per-call cost (the DRBG's locking and bookkeeping)
    // was 1 % of a session's instructions. Nonces are public; each drawn byte is used once.
    constexpr std::size_t kNonceBytes = 16;
    thread_local unsigned char pool[32 * kNonceBytes];
    thread_local std::size_t used = sizeof pool;
    if (used == sizeof pool) {
        if (RAND_bytes(pool, sizeof pool) != 1) throw std::runtime_error("RAND_bytes failed");
        used = 0;
    }
    std::string n = hex(pool + used, kNonceBytes);
    used += kNonceBytes;
    return n;
}

std::string auth_digest(std::string_view secret, std::string_view nonce, std::string_view rg_id,
                        std::string_view session_id) {
    return hmac_b64(secret, {nonce, "\n", rg_id, "\n", session_id});
}

bool check_auth_digest(std::string_view digest, std::string_view secret, std::string_view nonce,
                       std::string_view rg_id, std::string_view session_id) {
    return equal_ct(digest, auth_digest(secret, nonce, rg_id, session_id));
}

std::string derive_gateway_secret(std::string_view master, std::string_view rg_id) {
    unsigned char mac[SHA256_DIGEST_LENGTH];
    hmac(master, {"cmp-gateway-secret-v1\n", rg_id}, mac);
    return hex(mac, sizeof mac);
}

std::optional<AuthParams> parse_auth_header(std::string_view v) {
    AuthParams p;
    bool have_rg = false, have_ts = false, have_nonce = false, have_mac = false;
    std::size_t i = 0;
    auto skip = [&] {
        while (i < v.size() && ows(v[i])) ++i;
    };
    skip();
    while (true) {
        std::size_t name_start = i;
        while (i < v.size() && ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z'))) ++i;
        std::string_view name = v.substr(name_start, i - name_start);
        skip();
        if (i >= v.size() || v[i] != '=') return std::nullopt;
        ++i;
        skip();
        if (i >= v.size() || v[i] != '"') return std::nullopt;
        std::size_t close = v.find('"', ++i);
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view value = v.substr(i, close - i);
        i = close + 1;
        for (char c : value)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E || c == '\\')
                return std::nullopt;
        if (name == "rgId" && !have_rg) {
            if (value.empty() || value.size() > 128) return std::nullopt;
            p.rg_id = std::string(value);
            have_rg = true;
        } else if (name == "ts" && !have_ts) {
            if (value.empty() || value.size() > 18) return std::nullopt;
            for (char c : value)
                if (c < '0' || c > '9') return std::nullopt;
            p.ts = std::stoll(std::string(value));
            have_ts = true;
        } else if (name == "nonce" && !have_nonce) {
            if (value.size() < 16 || value.size() > 64) return std::nullopt;
            for (char c : value)
                if (!is_hex(c)) return std::nullopt;
            p.nonce = std::string(value);
            have_nonce = true;
        } else if (name == "mac" && !have_mac) {
            if (value.size() != kMacB64Len || value.back() != '=') return std::nullopt;
            for (std::size_t k = 0; k + 1 < value.size(); ++k)
                if (!is_b64(value[k])) return std::nullopt;
            p.mac = std::string(value);
            have_mac = true;
        } else {
            return std::nullopt;  // unknown or repeated parameter
        }
        skip();
        if (i == v.size()) break;
        if (v[i] != ',') return std::nullopt;
        ++i;
        skip();
    }
    if (!(have_rg && have_ts && have_nonce && have_mac)) return std::nullopt;
    return p;
}

std::string_view to_string(Verdict v) {
    switch (v) {
        case Verdict::ok: return "ok";
        case Verdict::missing: return "missing";
        case Verdict::malformed: return "malformed";
        case Verdict::unknown_gateway: return "unknown_gateway";
        case Verdict::bad_mac: return "bad_mac";
        case Verdict::stale: return "stale";
        case Verdict::replay: return "replay";
    }
    return "?";
}

Verifier::Verifier(std::chrono::seconds window, std::size_t replay_cache)
    : window_(window.count()), capacity_(replay_cache == 0 ? 1 : replay_cache) {}

void Verifier::prune(std::int64_t now) {
    // An entry whose ts left the window can no longer pass the stale check.
    while (!order_.empty() && order_.begin()->first < now - window_) {
        seen_.erase(order_.begin()->second);
        order_.erase(order_.begin());
    }
}

void Verifier::remember(std::string key, std::int64_t ts) {
    while (seen_.size() >= capacity_ && !order_.empty()) {
        auto oldest = order_.begin();
        if (oldest->first > floor_) floor_ = oldest->first;
        seen_.erase(oldest->second);
        order_.erase(oldest);
    }
    seen_.insert(key);
    order_.emplace(ts, std::move(key));
}

Verdict Verifier::verify(std::string_view header, std::string_view method, std::string_view path,
                         std::string_view body, std::int64_t now, const SecretLookup& secret_lookup,
                         std::string* rg_id_out) {
    std::size_t first = 0;
    while (first < header.size() && ows(header[first])) ++first;
    if (first == header.size()) return Verdict::missing;
    auto p = parse_auth_header(header);
    if (!p) return Verdict::malformed;
    if (rg_id_out) *rg_id_out = p->rg_id;
    std::optional<std::string> secret = secret_lookup ? secret_lookup(p->rg_id) : std::nullopt;
    if (!secret) return Verdict::unknown_gateway;
    if (p->ts < now - window_ || p->ts > now + window_) return Verdict::stale;
    std::string expected = message_mac(*secret, method, path, p->ts, p->nonce, body);
    if (!equal_ct(expected, p->mac)) return Verdict::bad_mac;
    // Only authenticated messages reach the cache, so forgeries cannot flush it.
    prune(now);
    if (p->ts <= floor_) return Verdict::replay;
    std::string key = p->rg_id + "\n" + p->nonce;
    if (seen_.count(key)) return Verdict::replay;
    remember(std::move(key), p->ts);
    if (observer_) observer_(p->rg_id, p->nonce, p->ts);
    return Verdict::ok;
}

void Verifier::restore(std::string_view rg_id, std::string_view nonce, std::int64_t ts) {
    std::string key = std::string(rg_id) + "\n" + std::string(nonce);
    if (seen_.count(key)) return;
    remember(std::move(key), ts);
}

Verdict verify_response(std::string_view header, int status, std::string_view path, std::string_view body,
                        std::int64_t now, std::chrono::seconds window, std::string_view secret,
                        std::string_view expected_rg_id, std::string_view request_nonce) {
    std::size_t first = 0;
    while (first < header.size() && ows(header[first])) ++first;
    if (first == header.size()) return Verdict::missing;
    auto p = parse_auth_header(header);
    if (!p) return Verdict::malformed;
    if (p->rg_id != expected_rg_id) return Verdict::unknown_gateway;
    if (p->ts < now - window.count() || p->ts > now + window.count()) return Verdict::stale;
    char status_text[12];
    auto [status_end, ec] = std::to_chars(std::begin(status_text), std::end(status_text), status);
    (void)ec;
    std::string expected = message_mac(secret, std::string_view(status_text, static_cast<std::size_t>(status_end - status_text)),
                                       path, p->ts, p->nonce, body);
    if (!equal_ct(expected, p->mac)) return Verdict::bad_mac;
    if (p->nonce != request_nonce) return Verdict::replay;  // a genuine response, but to another request
    return Verdict::ok;
}

}  // namespace cmp
