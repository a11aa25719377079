#include "bridge/http/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "bridge/http/encoding.hpp"
#include "bridge/http/message.hpp"

namespace http {
namespace {

// OpenSSL 3 fetches the implementation of EVP_md5()/EVP_sha256() again on every EVP_Digest call,
// which cost more than the hashing of these short strings (three per Authorization header towards
// the ACS: 4 % of a session, docs/performance.md, "the XML and crypto path"). Fetched once per process; one context per
// thread, re-initialised per hash.
[[noreturn]] void fatal_openssl() {
    // Only a broken OpenSSL installation gets here; an empty digest would
    // silently authenticate against other empty digests.
    std::fputs("fatal: OpenSSL digest failed\n", stderr);
    std::abort();
}

struct Algorithms {
    EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
};

const EVP_MD* md_of(DigestAlgorithm a) {
    static const Algorithms algorithms;
    const EVP_MD* md =
        (a == DigestAlgorithm::md5 || a == DigestAlgorithm::md5_sess) ? algorithms.md5 : algorithms.sha256;
    if (!md) fatal_openssl();
    return md;
}

struct ThreadContext {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~ThreadContext() { EVP_MD_CTX_free(ctx); }
};

bool is_sess(DigestAlgorithm a) { return a == DigestAlgorithm::md5_sess || a == DigestAlgorithm::sha256_sess; }

// The hash of parts joined by ':', without building the joined string.
std::string raw_hash(DigestAlgorithm a, std::initializer_list<std::string_view> parts) {
    thread_local ThreadContext context;
    EVP_MD_CTX* ctx = context.ctx;
    bool ok = ctx && EVP_DigestInit_ex2(ctx, md_of(a), nullptr) == 1;
    bool first = true;
    for (std::string_view p : parts) {
        if (!first) ok = ok && EVP_DigestUpdate(ctx, ":", 1) == 1;
        first = false;
        ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ok || EVP_DigestFinal_ex(ctx, out, &len) != 1) fatal_openssl();
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hash_hex(DigestAlgorithm a, std::initializer_list<std::string_view> parts) {
    return hex_encode(raw_hash(a, parts));
}

}  // namespace

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view name) {
    if (iequals(name, "MD5")) return DigestAlgorithm::md5;
    if (iequals(name, "MD5-sess")) return DigestAlgorithm::md5_sess;
    if (iequals(name, "SHA-256")) return DigestAlgorithm::sha256;
    if (iequals(name, "SHA-256-sess")) return DigestAlgorithm::sha256_sess;
    return std::nullopt;
}

std::string_view to_string(DigestAlgorithm a) {
    switch (a) {
        case DigestAlgorithm::md5: return "MD5";
        case DigestAlgorithm::md5_sess: return "MD5-sess";
        case DigestAlgorithm::sha256: return "SHA-256";
        case DigestAlgorithm::sha256_sess: return "SHA-256-sess";
    }
    return "MD5";
}

std::string digest_hex(DigestAlgorithm a, std::string_view data) { return hash_hex(a, {data}); }

std::string digest_response(const DigestInput& in) {
    const DigestAlgorithm a = in.algorithm;
    std::string ha1 = hash_hex(a, {in.username, in.realm, in.password});
    if (is_sess(a)) ha1 = hash_hex(a, {ha1, in.nonce, in.cnonce});
    const std::string ha2 = hash_hex(a, {in.method, in.uri});
    if (in.qop.empty()) return hash_hex(a, {ha1, in.nonce, ha2});
    return hash_hex(a, {ha1, in.nonce, in.nc, in.cnonce, in.qop, ha2});
}

bool secure_equals(std::string_view a, std::string_view b) {
    const std::string ha = raw_hash(DigestAlgorithm::sha256, {a});
    const std::string hb = raw_hash(DigestAlgorithm::sha256, {b});
    return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

}  // namespace http
