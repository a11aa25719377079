#pragma once
// CWMP envelope <-> typed messages. No I/O, no session state: the session
// layer decides what to send and what an answer means; this layer only
// guarantees that what it writes validates against the BBF schema of the
// envelope's version and that what it accepts is bounded and well-formed.
#include <cstddef>
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/soap/xml.hpp"

namespace cwmp {

struct DecodeLimits {
    soap::Limits xml;
    // Per list (ParameterList, ParameterNames, Event, SetParameterValuesFault, ...).
    std::size_t max_list_items = 4096;
    // Per text field (a parameter value, a name, the cwmp:ID, ...).
    std::size_t max_string = 64 * 1024;
};

// A complete SOAP 1.1 envelope, XML declaration first, prefixes soap-env,
// soap-enc, xsd, xsi and cwmp (bound to namespace_uri(env.version)).
// Fault codes the version's schema does not define are sent as the generic code
// of their family (e.g. 9018 as 9010 in cwmp-1-0; docs/cwmp.md). Every other
// value is written as given: a field the schema restricts (an OUI, an event
// code, a file type) is the caller's to get right.
std::string encode(const Envelope& env);

// Error codes: "xml.*" and "soap.*" from bridge/soap, then
//   cwmp.empty_body       the Body holds no element
//   cwmp.not_cwmp         the RPC element is not in a cwmp-1-0/1-1/1-2 namespace
//   cwmp.missing_element  a required element is absent (the message names it)
//   cwmp.bad_number       a number that does not parse or overflows its field
//   cwmp.bad_boolean      a boolean other than true/false/1/0
//   cwmp.bad_value        a number outside the values TR-069 defines for the field
//   cwmp.too_many_items   a list longer than max_list_items
//   cwmp.too_long         a text field longer than max_string
core::Result<Envelope> decode(std::string_view xml, const DecodeLimits& limits = {});

}  // namespace cwmp
