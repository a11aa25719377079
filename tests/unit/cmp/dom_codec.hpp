#pragma once
// The DOM-based CMP decoding the one-pass decoder replaced; the reference of the differential test.
#include "bridge/cmp/codec.hpp"

namespace cmp::dom {

core::Result<Request> decode_request(std::string_view xml, const soap::Limits& limits = {},
                                     const Catalogue* catalogue = nullptr);
core::Result<Response> decode_response(std::string_view xml, const soap::Limits& limits = {},
                                       const Catalogue* catalogue = nullptr,
                                       std::string_view request_function = {});

}  // namespace cmp::dom
