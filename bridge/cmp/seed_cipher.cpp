#include "bridge/cmp/seed_cipher.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <memory>
#include <mutex>

namespace cmp {
namespace {

constexpr std::string_view kKeyLabel = "CMP SEED-128-CBC v1";

// A private library context holding the legacy provider and the fetched
// cipher, created once. Loading "legacy" into the default context would stop
// OpenSSL from auto-activating the default provider there.
struct SeedProvider {
    OSSL_LIB_CTX* ctx = nullptr;
    OSSL_PROVIDER* legacy = nullptr;
    EVP_CIPHER* cipher = nullptr;

    SeedProvider() {
        ctx = OSSL_LIB_CTX_new();
        if (!ctx) return;
        legacy = OSSL_PROVIDER_load(ctx, "legacy");
        if (legacy) cipher = EVP_CIPHER_fetch(ctx, "SEED-CBC", nullptr);
    }
    ~SeedProvider() {
        EVP_CIPHER_free(cipher);
        if (legacy) OSSL_PROVIDER_unload(legacy);
        OSSL_LIB_CTX_free(ctx);
    }
};

const EVP_CIPHER* seed_cbc() {
    // Intentionally leaked: ciphers may still be in use while static objects are destroyed.
    static SeedProvider* provider = new SeedProvider();
    return provider->cipher;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

core::Result<std::string> run(bool encrypt, std::string_view key, std::string_view iv, std::string_view in, bool pad) {
    const EVP_CIPHER* cipher = seed_cbc();
    if (!cipher) return core::make_error("seed.unavailable", "SEED-CBC is not available (OpenSSL legacy provider)");
    if (key.size() != kSeedBlock || iv.size() != kSeedBlock)
        return core::make_error("seed.bad_key", "SEED-128-CBC needs a 16-byte key and a 16-byte IV");
    if ((!encrypt || !pad) && in.size() % kSeedBlock != 0)
        return core::make_error("seed.bad_length", "input is not a whole number of 16-byte blocks");
    CipherCtx c(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!c) return core::make_error("seed.unavailable", "cannot allocate a cipher context");
    auto k = reinterpret_cast<const unsigned char*>(key.data());
    auto v = reinterpret_cast<const unsigned char*>(iv.data());
    if (EVP_CipherInit_ex2(c.get(), cipher, k, v, encrypt ? 1 : 0, nullptr) != 1)
        return core::make_error("seed.unavailable", "SEED-CBC initialisation failed");
    EVP_CIPHER_CTX_set_padding(c.get(), pad ? 1 : 0);
    std::string out(in.size() + kSeedBlock, '\0');
    int n1 = 0, n2 = 0;
    auto o = reinterpret_cast<unsigned char*>(out.data());
    if (EVP_CipherUpdate(c.get(), o, &n1, reinterpret_cast<const unsigned char*>(in.data()),
                         static_cast<int>(in.size())) != 1)
        return core::make_error("seed.bad_length", "SEED-CBC update failed");
    if (EVP_CipherFinal_ex(c.get(), o + n1, &n2) != 1)
        return core::make_error("seed.bad_padding", "SEED-CBC: bad padding");
    out.resize(static_cast<std::size_t>(n1 + n2));
    return out;
}

}  // namespace

bool seed_available() { return seed_cbc() != nullptr; }

std::string seed_key(std::string_view secret) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    static const unsigned char kEmpty = 0;
    const void* k = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
    HMAC(EVP_sha256(), k, static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(kKeyLabel.data()),
         kKeyLabel.size(), mac, &len);
    return std::string(reinterpret_cast<const char*>(mac), kSeedBlock);
}

core::Result<std::string> seed_cbc_encrypt(std::string_view key, std::string_view iv, std::string_view plaintext,
                                           bool pad) {
    return run(true, key, iv, plaintext, pad);
}

core::Result<std::string> seed_cbc_decrypt(std::string_view key, std::string_view iv, std::string_view ciphertext,
                                           bool pad) {
    return run(false, key, iv, ciphertext, pad);
}

core::Result<std::string> seal_body(std::string_view secret, std::string_view envelope) {
    std::string iv(kSeedBlock, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(iv.data()), static_cast<int>(iv.size())) != 1)
        return core::make_error("seed.random", "RAND_bytes failed");
    auto ct = seed_cbc_encrypt(seed_key(secret), iv, envelope);
    if (!ct) return ct.error();
    return iv + *ct;
}

core::Result<std::string> open_body(std::string_view secret, std::string_view wire) {
    // At least the IV and one block; every failure reads the same.
    if (wire.size() < 2 * kSeedBlock || wire.size() % kSeedBlock != 0)
        return core::make_error("seed.decrypt", "cannot decrypt the message body");
    auto pt = seed_cbc_decrypt(seed_key(secret), wire.substr(0, kSeedBlock), wire.substr(kSeedBlock));
    if (!pt) return core::make_error("seed.decrypt", "cannot decrypt the message body");
    return pt;
}

}  // namespace cmp
