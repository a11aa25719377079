#pragma once
// The DOM-based CWMP decoding that soap::Tree replaced; the reference of the differential test.
#include "bridge/cwmp/codec.hpp"

namespace cwmp::dom {

core::Result<Envelope> decode(std::string_view xml, const DecodeLimits& limits = {});

}  // namespace cwmp::dom
