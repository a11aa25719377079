#pragma once
// Every fuzz target defines LLVMFuzzerTestOneInput. With clang the target is
// linked with -fsanitize=fuzzer (scripts/fuzz.sh, long runs); with any compiler
// it is linked with standalone_driver.cpp, a small deterministic mutator that
// ctest runs for a few thousand inputs over the seed corpus (smoke run).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A property the code under test must keep; aborting makes the fuzzer save the input.
inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz property violated: %s\n", what);
        std::abort();
    }
}

}  // namespace fuzz
