// SEED-128-CBC legacy mode: the cipher against RFC 4269 Appendix B, the
// CBC chaining, the key derivation and the wire framing.
#include <doctest/doctest.h>

#include "bridge/cmp/seed_cipher.hpp"
#include "bridge/http/encoding.hpp"
#include "bridge/http/message.hpp"

using namespace cmp;

namespace {

std::string unhex(std::string_view h) {
    std::string compact;
    for (char c : h)
        if (c != ' ') compact += c;
    auto b = http::hex_decode(compact);
    REQUIRE(b);
    return *b;
}

const std::string kZeroIv(16, '\0');

}  // namespace

TEST_CASE("SEED is available through the OpenSSL legacy provider") {
    REQUIRE(seed_available());
}

TEST_CASE("RFC 4269 Appendix B test vectors (one block, zero IV: CBC = ECB)") {
    struct Vector {
        const char *key, *plain, *cipher;
    };
    // Appendix B.1 to B.4 of RFC 4269 (the same as RFC 4009).
    const Vector vectors[] = {
        {"00000000000000000000000000000000", "000102030405060708090A0B0C0D0E0F", "5EBAC6E0054E166819AFF1CC6D346CDB"},
        {"000102030405060708090A0B0C0D0E0F", "00000000000000000000000000000000", "C11F22F20140505084483597E4370F43"},
        {"4706480851E61BE85D74BFB3FD956185", "83A2F8A288641FB9A4E9A5CC2F131C7D", "EE54D13EBCAE706D226BC3142CD40D4A"},
        {"28DBC3BC49FFD87DCFA509B11D422BE7", "B41E6BE2EBA84A148E2EED84593C5EC7", "9B9B7BFCD1813CB95D0B3618F40F5122"},
    };
    for (const auto& v : vectors) {
        CAPTURE(v.key);
        auto ct = seed_cbc_encrypt(unhex(v.key), kZeroIv, unhex(v.plain), false);
        REQUIRE(ct);
        CHECK(http::hex_encode(*ct) == http::to_lower(v.cipher));
        auto pt = seed_cbc_decrypt(unhex(v.key), kZeroIv, unhex(v.cipher), false);
        REQUIRE(pt);
        CHECK(*pt == unhex(v.plain));
    }
}

TEST_CASE("CBC chaining uses the IV and the previous block") {
    // IV = B.1's plaintext and P1 = 0 make the cipher input B.1's plaintext;
    // P2 = C1 xor IV makes the second input the same again.
    const std::string key(16, '\0');
    const std::string iv = unhex("000102030405060708090A0B0C0D0E0F");
    const std::string c1 = unhex("5EBAC6E0054E166819AFF1CC6D346CDB");
    std::string p2(16, '\0');
    for (int i = 0; i < 16; ++i) p2[i] = static_cast<char>(c1[i] ^ iv[i]);
    auto ct = seed_cbc_encrypt(key, iv, std::string(16, '\0') + p2, false);
    REQUIRE(ct);
    CHECK(*ct == c1 + c1);

    // Against the openssl command line (PKCS#7 padding, 33 bytes -> 3 blocks):
    // printf 'hello, SEED-CBC with two blocks!!' | openssl enc -seed-cbc -provider legacy
    //   -provider default -K 000102030405060708090a0b0c0d0e0f -iv 0f0e0d0c0b0a09080706050403020100
    auto padded = seed_cbc_encrypt(unhex("000102030405060708090a0b0c0d0e0f"),
                                   unhex("0f0e0d0c0b0a09080706050403020100"), "hello, SEED-CBC with two blocks!!");
    REQUIRE(padded);
    CHECK(http::hex_encode(*padded) ==
          "3c908f9c0dafdb11d3b2306e36313de2e08cad29decf84a75a14c4eac1a9388ba16c3567db43a77e39ed567fbdb97f97");
}

TEST_CASE("K_enc derivation and a framed envelope, as documented") {
    // printf 'CMP SEED-128-CBC v1' | openssl dgst -sha256 -hmac 'correct horse battery staple' (first 16 bytes)
    const std::string key = seed_key("correct horse battery staple");
    CHECK(http::hex_encode(key) == "eca0db02bcd324113c5b7c561fa4944d");
    auto ct = seed_cbc_encrypt(key, unhex("000102030405060708090a0b0c0d0e0f"), "<x/>");
    REQUIRE(ct);
    CHECK(http::hex_encode(*ct) == "fc950704f86389ba47bf24d44983ae08");
    auto opened = open_body("correct horse battery staple", unhex("000102030405060708090a0b0c0d0e0f") + *ct);
    REQUIRE(opened);
    CHECK(*opened == "<x/>");
}

TEST_CASE("seal/open: fresh IV per message, any damage reads the same") {
    const std::string env = "<SOAP-ENV:Envelope>...</SOAP-ENV:Envelope>";
    auto a = seal_body("s3cret", env);
    auto b = seal_body("s3cret", env);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a != *b);  // random IV
    CHECK(a->size() == 16 + 48);
    CHECK(open_body("s3cret", *a).value() == env);
    CHECK(open_body("s3cret", *b).value() == env);

    auto wrong_key = open_body("other", *a);
    auto truncated = open_body("s3cret", a->substr(0, a->size() - 1));
    auto too_short = open_body("s3cret", a->substr(0, 16));
    std::string flipped = *a;
    flipped.back() = static_cast<char>(flipped.back() ^ 0x01);
    auto bad_pad = open_body("s3cret", flipped);
    for (auto* r : {&truncated, &too_short, &bad_pad}) {
        REQUIRE_FALSE(*r);
        CHECK(r->error().code == "seed.decrypt");
        CHECK(r->error().message == "cannot decrypt the message body");
    }
    // A wrong key almost always breaks the padding; if it does not, the text is garbage.
    if (wrong_key) CHECK(*wrong_key != env);
    else CHECK(wrong_key.error().code == "seed.decrypt");

    auto empty = seal_body("s3cret", "");
    REQUIRE(empty);
    CHECK(empty->size() == 32);  // IV + one block of padding
    CHECK(open_body("s3cret", *empty).value().empty());
}

TEST_CASE("raw API refuses bad sizes") {
    CHECK(seed_cbc_encrypt("short", kZeroIv, "x").error().code == "seed.bad_key");
    CHECK(seed_cbc_encrypt(std::string(16, 'k'), "iv", "x").error().code == "seed.bad_key");
    CHECK(seed_cbc_encrypt(std::string(16, 'k'), kZeroIv, "not a block", false).error().code == "seed.bad_length");
    CHECK(seed_cbc_decrypt(std::string(16, 'k'), kZeroIv, "not a block").error().code == "seed.bad_length");
}
