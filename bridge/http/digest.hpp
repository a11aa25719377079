#pragma once
// HTTP Digest arithmetic (RFC 2617 / RFC 7616), shared by the client and the
// server side so that both compute exactly the same thing.
#include <optional>
#include <string>
#include <string_view>

namespace http {

enum class DigestAlgorithm { md5, md5_sess, sha256, sha256_sess };

// "MD5", "md5-sess", "SHA-256", ... (case-insensitive); nullopt if unsupported.
std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view name);
std::string_view to_string(DigestAlgorithm a);

// Lower-case hex digest of data with the algorithm's hash function.
std::string digest_hex(DigestAlgorithm a, std::string_view data);

struct DigestInput {
    DigestAlgorithm algorithm = DigestAlgorithm::md5;
    std::string_view username;
    std::string_view password;
    std::string_view realm;
    std::string_view nonce;
    std::string_view cnonce;  // unused without qop unless the algorithm is -sess
    std::string_view nc;      // 8 hex digits
    std::string_view qop;     // "auth", or empty for RFC 2069 compatibility
    std::string_view method;
    std::string_view uri;
};

// The request-digest ("response" parameter), lower-case hex.
std::string digest_response(const DigestInput& in);

// SHA-256 of both values compared with CRYPTO_memcmp: constant time in the
// contents and independent of the length of the secret.
bool secure_equals(std::string_view a, std::string_view b);

}  // namespace http
