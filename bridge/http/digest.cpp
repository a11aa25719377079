#include "bridge/http/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "bridge/http/encoding.hpp"
#include "bridge/http/message.hpp"

namespace http {
namespace {

const EVP_MD* md_of(DigestAlgorithm a) {
    return (a == DigestAlgorithm::md5 || a == DigestAlgorithm::md5_sess) ? EVP_md5() : EVP_sha256();
}

bool is_sess(DigestAlgorithm a) { return a == DigestAlgorithm::md5_sess || a == DigestAlgorithm::sha256_sess; }

std::string raw_hash(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!md || EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
        // Only a broken OpenSSL installation gets here; an empty digest would
        // silently authenticate against other empty digests.
        std::fputs("fatal: OpenSSL EVP_Digest failed\n", stderr);
        std::abort();
    }
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string join(std::initializer_list<std::string_view> parts) {
    std::string out;
    bool first = true;
    for (auto p : parts) {
        if (!first) out += ':';
        first = false;
        out.append(p);
    }
    return out;
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

std::string digest_hex(DigestAlgorithm a, std::string_view data) { return hex_encode(raw_hash(md_of(a), data)); }

std::string digest_response(const DigestInput& in) {
    const DigestAlgorithm a = in.algorithm;
    std::string ha1 = digest_hex(a, join({in.username, in.realm, in.password}));
    if (is_sess(a)) ha1 = digest_hex(a, join({ha1, in.nonce, in.cnonce}));
    const std::string ha2 = digest_hex(a, join({in.method, in.uri}));
    if (in.qop.empty()) return digest_hex(a, join({ha1, in.nonce, ha2}));
    return digest_hex(a, join({ha1, in.nonce, in.nc, in.cnonce, in.qop, ha2}));
}

bool secure_equals(std::string_view a, std::string_view b) {
    const std::string ha = raw_hash(EVP_sha256(), a);
    const std::string hb = raw_hash(EVP_sha256(), b);
    return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

}  // namespace http
