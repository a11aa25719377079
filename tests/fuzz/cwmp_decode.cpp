// CWMP decoder: whatever an ACS sends, decode() returns a value or an error,
// never crashes; and what it accepts, the encoder writes back in a form that
// decodes again and re-encodes to the same bytes (the codec is symmetric).
#include "bridge/cwmp/codec.hpp"
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto env = cwmp::decode(fuzz::as_text(data, size));
    if (!env) return 0;
    std::string first = cwmp::encode(*env);
    auto again = cwmp::decode(first);
    fuzz::require(static_cast<bool>(again), "an encoded envelope decodes");
    fuzz::require(cwmp::encode(*again) == first, "encode(decode(encode(x))) == encode(x)");
    return 0;
}
