#pragma once
// A 64-bit digest of a state blob, so a CPE can tell that what it is about to
// write is what it last wrote without keeping a copy (8 bytes per gateway
// instead of 0.5-2 KiB). Keyed SipHash-2-4 with a key drawn at random once per
// process: the blob holds values the ACS chose, and with an unkeyed hash
// (std::hash, FNV) it could choose values whose state collides with the stored
// one, and a real change would be taken for "nothing new" and never written.
// Not stable across processes, and need not be: digests live in memory only.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

namespace state {

// SipHash-2-4 (Aumasson, Bernstein 2012) of `data` under the key (k0, k1):
// the key's bytes 0-7 and 8-15 read as little-endian integers.
inline std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::string_view data) {
    auto rotl = [](std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
    std::uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    std::uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    auto round = [&] {
        v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
        v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
        v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
        v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
    };
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t n = data.size(), whole = n & ~std::size_t{7};
    // Little-endian words whatever the host (compilers make this one load on x86).
    auto word = [&](std::size_t at, std::size_t len) {
        std::uint64_t m = 0;
        for (std::size_t i = 0; i < len; ++i) m |= static_cast<std::uint64_t>(p[at + i]) << (8 * i);
        return m;
    };
    for (std::size_t at = 0; at < whole; at += 8) {
        const std::uint64_t m = word(at, 8);
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
    const std::uint64_t last = word(whole, n - whole) | (static_cast<std::uint64_t>(n) << 56);
    v3 ^= last;
    round();
    round();
    v0 ^= last;
    v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) round();
    return v0 ^ v1 ^ v2 ^ v3;
}

// The digest of `blob` under this process's key.
inline std::uint64_t blob_digest(std::string_view blob) {
    struct Key {
        std::uint64_t k0, k1;
    };
    static const Key key = [] {
        std::random_device rd;
        auto draw = [&] { return (static_cast<std::uint64_t>(rd()) << 32) | rd(); };
        return Key{draw(), draw()};
    }();
    return siphash24(key.k0, key.k1, blob);
}

}  // namespace state
