// state::blob_digest: the polynomial over GF(2^61 - 1) it is documented to be
// (values computed independently with Python's integers), and a point of this
// process's own.
#include <doctest/doctest.h>

#include <string>

#include "bridge/state/blob_digest.hpp"

namespace {

std::string counting(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 251));
    return s;
}

constexpr std::uint64_t kP = (std::uint64_t{1} << 61) - 1;

}  // namespace

TEST_CASE("polynomial_digest: the blob's 7-byte chunks and its length as a polynomial mod 2^61-1") {
    const std::uint64_t r = 0x123456789abcdefULL;
    // Empty, one chunk, exactly 7 and 8 bytes (the 8-byte load, then a tail), two chunks and a tail, a state's size.
    CHECK(state::polynomial_digest(r, counting(0)) == 0x0);
    CHECK(state::polynomial_digest(r, counting(1)) == 0x1);
    CHECK(state::polynomial_digest(r, counting(7)) == 0x1a0097d1bf71fa70ULL);
    CHECK(state::polynomial_digest(r, counting(8)) == 0x164834223e4c877eULL);
    CHECK(state::polynomial_digest(r, counting(15)) == 0x79438fe611ded53ULL);
    CHECK(state::polynomial_digest(r, counting(1500)) == 0xef89990ff509b55ULL);
    // The largest point and the largest chunks: the reductions' edges.
    CHECK(state::polynomial_digest(kP - 1, counting(200)) == 0x6262619a9b9d66ULL);
    CHECK(state::polynomial_digest(2, std::string(64, '\xff')) == 0x1bfffffffffffa81ULL);
}

TEST_CASE("blob_digest: equal blobs agree; a changed byte, a zero byte more or a different point does not") {
    const std::string blob = counting(1500);
    std::string changed = blob;
    changed[700] ^= 1;
    CHECK(state::blob_digest(blob) == state::blob_digest(std::string(blob)));
    CHECK(state::blob_digest(blob) != state::blob_digest(changed));
    CHECK(state::blob_digest(blob) != state::blob_digest(blob + '\0'));  // the same chunks, another length
    CHECK(state::blob_digest(blob) < kP);
    // The point is drawn, not a constant a reader of the source could use.
    CHECK(state::blob_digest(blob) != state::polynomial_digest(0x123456789abcdefULL, blob));
}
