#pragma once
// Byte encodings and randomness for the HTTP helpers. Randomness always
// comes from OpenSSL's CSPRNG: these values become nonces and unguessable
// URL paths, so a predictable fallback would be worse than stopping.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace http {

// RFC 4648 section 4 (standard alphabet, padded).
std::string base64_encode(std::string_view bytes);
// Strict: standard alphabet, padding required, no whitespace.
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 section 5 (URL- and filename-safe alphabet, unpadded).
std::string base64url_encode(std::string_view bytes);
// Strict: URL-safe alphabet, no padding.
std::optional<std::string> base64url_decode(std::string_view text);

// Lower-case hex.
std::string hex_encode(std::string_view bytes);
// Accepts either case; nullopt on odd length or a non-hex digit.
std::optional<std::string> hex_decode(std::string_view text);

// n bytes from RAND_bytes. Aborts the process if the CSPRNG fails.
std::string random_bytes(std::size_t n);
// base64url of `bytes` random bytes: safe in URL paths, cookies and quoted strings.
std::string random_token(std::size_t bytes);

}  // namespace http
