#pragma once
// The opt-in legacy mode of the CMP profile (docs/cmp-protocol.md, 12.5):
// SEED-128-CBC body encryption, as the original CMP drafts used, framed as
//
//   wire body = IV (16 random bytes) || SEED-128-CBC(K_enc, IV, PKCS#7(envelope))
//   K_enc     = first 16 bytes of HMAC-SHA256(secret, "CMP SEED-128-CBC v1")
//   headers   : Content-Type: application/octet-stream, X-CMP-Enc: seed-128-cbc
//
// and always combined with X-CMP-Auth over the encrypted body (encrypt then
// MAC). SEED lives in OpenSSL 3's *legacy* provider; it is loaded into a
// private library context so that loading it never disturbs the default
// providers the rest of the process (TLS, HMAC) relies on.
#include <cstdint>
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"

namespace cmp {

inline constexpr std::string_view kEncHeader = "X-CMP-Enc";
inline constexpr std::string_view kEncSeed = "seed-128-cbc";
inline constexpr std::string_view kLegacyContentType = "application/octet-stream";
inline constexpr std::size_t kSeedBlock = 16;

// True when OpenSSL can do SEED-128-CBC here (legacy provider present, not FIPS-only).
bool seed_available();

// K_enc for a shared secret (16 raw bytes).
std::string seed_key(std::string_view secret);

// Raw SEED-128-CBC with a 16-byte key and IV. pad: PKCS#7 padding on
// encryption / checked and removed on decryption; without it the input must
// be a whole number of blocks (test vectors). Errors: seed.unavailable,
// seed.bad_key, seed.bad_length, seed.bad_padding.
core::Result<std::string> seed_cbc_encrypt(std::string_view key, std::string_view iv, std::string_view plaintext,
                                           bool pad = true);
core::Result<std::string> seed_cbc_decrypt(std::string_view key, std::string_view iv, std::string_view ciphertext,
                                           bool pad = true);

// The wire body for an envelope: a fresh random IV, then the ciphertext.
core::Result<std::string> seal_body(std::string_view secret, std::string_view envelope);
// The envelope of a wire body. Every failure is the same error (seed.decrypt)
// so that callers cannot build a padding oracle by accident.
core::Result<std::string> open_body(std::string_view secret, std::string_view wire);

}  // namespace cmp
