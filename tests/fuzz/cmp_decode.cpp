// CMP decoder: gateway messages (requests, with and without catalogue
// validation) and gateway answers never crash the decoder; what it accepts
// re-encodes to something that decodes again to the same bytes.
#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto text = fuzz::as_text(data, size);
    const cmp::Catalogue* catalogue = &cmp::Catalogue::builtin();
    for (const cmp::Catalogue* c : {static_cast<const cmp::Catalogue*>(nullptr), catalogue}) {
        if (auto req = cmp::decode_request(text, {}, c)) {
            std::string first = cmp::encode(*req);
            auto again = cmp::decode_request(first, {}, c);
            fuzz::require(static_cast<bool>(again), "an encoded request decodes");
            fuzz::require(cmp::encode(*again) == first, "request: encode(decode(encode(x))) == encode(x)");
        } else {
            (void)cmp::encode(cmp::fault_for(req.error()));  // the listener answers every refusal
        }
        if (auto res = cmp::decode_response(text, {}, c)) {
            std::string first = cmp::encode(*res);
            auto again = cmp::decode_response(first, {}, c);
            fuzz::require(static_cast<bool>(again), "an encoded response decodes");
            fuzz::require(cmp::encode(*again) == first, "response: encode(decode(encode(x))) == encode(x)");
        }
    }
    return 0;
}
