// The decoders built on soap::PullParser / soap::Tree against the tinyxml2 DOM decoders they
// replaced (kept in tests/unit/cmp/dom_codec.cpp and tests/unit/cwmp/dom_decode.cpp), on any
// input: CMP requests and responses with and without the catalogue, and CWMP envelopes, by the
// rules of tests/unit/soap/differential.hpp. Seeds: the CMP corpus and ../shared/traces.
#include <string>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cwmp/codec.hpp"
#include "fuzz_target.hpp"
#include "tests/unit/cmp/dom_codec.hpp"
#include "tests/unit/cwmp/dom_decode.hpp"
#include "tests/unit/soap/differential.hpp"

namespace {

template <class T, class DomDecode>
void check(const core::Result<T>& dom, const core::Result<T>& fresh, std::string_view doc, DomDecode&& dom_decode) {
    auto v = xml_differential::compare(dom, fresh, true, doc, dom_decode);
    if (v.outcome == xml_differential::Outcome::mismatch) std::fprintf(stderr, "%s\n", v.why.c_str());
    fuzz::require(v.outcome != xml_differential::Outcome::mismatch, "the new decoder agrees with the DOM one");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string doc(fuzz::as_text(data, size));
    for (const cmp::Catalogue* c : {static_cast<const cmp::Catalogue*>(nullptr), &cmp::Catalogue::builtin()}) {
        check(cmp::dom::decode_request(doc, {}, c), cmp::decode_request(doc, {}, c), doc,
              [c](const std::string& d) { return cmp::dom::decode_request(d, {}, c); });
        check(cmp::dom::decode_response(doc, {}, c), cmp::decode_response(doc, {}, c), doc,
              [c](const std::string& d) { return cmp::dom::decode_response(d, {}, c); });
    }
    check(cwmp::dom::decode(doc), cwmp::decode(doc), doc, [](const std::string& d) { return cwmp::dom::decode(d); });
    return 0;
}
