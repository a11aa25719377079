// state::blob_digest: SipHash-2-4 as its authors specify it (their test
// vectors), and a key of this process's own.
#include <doctest/doctest.h>

#include <string>

#include "bridge/state/blob_digest.hpp"

namespace {

// The reference key 00 01 .. 0f as SipHash reads it (little-endian words).
constexpr std::uint64_t kRefK0 = 0x0706050403020100ULL, kRefK1 = 0x0f0e0d0c0b0a0908ULL;

std::string counting(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
    return s;
}

}  // namespace

TEST_CASE("siphash24 gives the reference outputs (SipHash paper, appendix A; vectors.h)") {
    CHECK(state::siphash24(kRefK0, kRefK1, counting(15)) == 0xa129ca6149be45e5ULL);
    // Empty, a whole word, and a word and a tail: every path of the last block.
    CHECK(state::siphash24(kRefK0, kRefK1, counting(0)) == 0x726fdb47dd0e0e31ULL);
    CHECK(state::siphash24(kRefK0, kRefK1, counting(8)) == 0x93f5f5799a932462ULL);
    CHECK(state::siphash24(kRefK0, kRefK1, counting(63)) == 0x958a324ceb064572ULL);
}

TEST_CASE("blob_digest: equal blobs agree, a changed byte or length does not, the key is not the reference one") {
    const std::string blob(1500, 'b');
    std::string changed = blob;
    changed[700] = 'c';
    CHECK(state::blob_digest(blob) == state::blob_digest(std::string(blob)));
    CHECK(state::blob_digest(blob) != state::blob_digest(changed));
    CHECK(state::blob_digest(blob) != state::blob_digest(blob + '\0'));
    CHECK(state::blob_digest(counting(15)) != 0xa129ca6149be45e5ULL);
}
