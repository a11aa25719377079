#pragma once
// A 61-bit digest of a state blob, so a CPE can tell that what it is about to
// write is what it last wrote without keeping a copy (8 bytes per gateway
// instead of 0.5-2 KiB).
//
// Keyed: the blob holds values the ACS chose, and with an unkeyed hash
// (std::hash, FNV) it could choose values whose state collides with the stored
// one, and a real change would be taken for "nothing new" and never written.
// Here the blob, cut into 7-byte chunks m_1..m_L, is the polynomial
// m_1 r^L + ... + m_L r + length over the field of integers modulo the prime
// p = 2^61 - 1, evaluated at a point r drawn at random once per process. Two
// different blobs give two different polynomials, which agree on at most L of
// the p points: whatever the blobs, they collide with probability at most
// L / 2^61 (1e-16 for a 2 KiB state), and the digests never leave the process,
// so nobody can learn r. One multiplication per 7 bytes: a third of
// SipHash-2-4's instructions, which cost more than the writes it spared (the
// digest is taken at every write).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>

namespace state {

// The polynomial above at the point r (1 <= r < 2^61 - 1).
inline std::uint64_t polynomial_digest(std::uint64_t r, std::string_view data) {
    constexpr std::uint64_t p = (std::uint64_t{1} << 61) - 1;
    constexpr std::uint64_t chunk_mask = (std::uint64_t{1} << 56) - 1;
    // h * r + m, reduced below 2^62 (2^61 = 1 mod p: the bits above 61 fold back in).
    auto step = [r](std::uint64_t h, std::uint64_t m) {
        const unsigned __int128 prod = static_cast<unsigned __int128>(h) * r;
        std::uint64_t s = (static_cast<std::uint64_t>(prod) & p) + static_cast<std::uint64_t>(prod >> 61);
        return (s & p) + (s >> 61) + m;
    };
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t n = data.size();
    std::uint64_t h = 0;
    std::size_t at = 0;
    // A little-endian 8-byte load of which 7 bytes count: the 8th is still inside the blob.
    for (; at + 8 <= n; at += 7) {
        std::uint64_t word = 0;
        for (int i = 0; i < 8; ++i) word |= static_cast<std::uint64_t>(bytes[at + i]) << (8 * i);
        h = step(h, word & chunk_mask);
    }
    if (at < n) {
        std::uint64_t word = 0;
        for (std::size_t i = 0; at + i < n; ++i) word |= static_cast<std::uint64_t>(bytes[at + i]) << (8 * i);
        h = step(h, word);
    }
    // The length: "a" and "a\0" fill their last chunk alike.
    h = step(h, static_cast<std::uint64_t>(n) & chunk_mask);
    h = (h & p) + (h >> 61);
    return h >= p ? h - p : h;
}

// The digest of `blob` at this process's point.
inline std::uint64_t blob_digest(std::string_view blob) {
    static const std::uint64_t r = [] {
        std::random_device rd;
        std::uint64_t x = 0;
        // Rejection keeps r uniform in [1, p): 0 would map every blob to its length.
        do x = ((static_cast<std::uint64_t>(rd()) << 32) | rd()) & ((std::uint64_t{1} << 61) - 1);
        while (x == 0 || x == (std::uint64_t{1} << 61) - 1);
        return x;
    }();
    return polynomial_digest(r, blob);
}

}  // namespace state
