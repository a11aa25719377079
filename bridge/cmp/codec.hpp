#pragma once
// CMP SOAP 1.1 envelopes <-> the generic message tree. Pure: no I/O, no clock.
//
// Wire rules (docs/cmp-protocol.md): the function element and the header
// fields are in kNamespace; body fields are unqualified; a list is a container
// element named after the field holding one <item> per record. Whether an
// element is a list is the catalogue's call; without a catalogue (or for a
// field the catalogue does not know), an element with element children is a
// list and any other is a scalar. Scalars keep their text verbatim.
#include <string>
#include <string_view>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"
#include "bridge/soap/xml.hpp"

namespace cmp {

// Characters XML 1.0 cannot carry (controls other than TAB, LF, CR) are
// written as U+FFFD; Catalogue::validate refuses them before it comes to that.
std::string encode(const Request& req);
std::string encode(const Response& resp);

// A SOAP Fault, sent (HTTP 500) when a message cannot be answered with a
// <functionResponse>: unparsable XML, no CMP payload, failed authentication.
struct Fault {
    // SOAP 1.1 faultcode without prefix: Client (the sender's fault), Server,
    // MustUnderstand or VersionMismatch.
    std::string fault_code = "Client";
    std::string fault_string;   // human text
    int result_code = result_code::malformed_message;
    std::string result_msg;
    std::string function;       // the request's function when it could be determined
    Header header;              // echoed when known; empty fields are omitted
};
std::string encode(const Fault& fault);
// The Fault for a decode or validation error of an incoming request.
Fault fault_for(const core::Error& error, std::string function = {});

// Request errors: xml.* (from soap::parse), soap.* (envelope), and
//   cmp.empty_body, cmp.bad_namespace, cmp.unexpected_fault, cmp.not_a_request,
//   cmp.must_understand, cmp.duplicate_field, cmp.unexpected_structure.
core::Result<Request> decode_request(std::string_view xml, const soap::Limits& limits = {},
                                     const Catalogue* catalogue = nullptr);
// A SOAP Fault decodes to a Response: resultCode/resultMsg from its CMP detail,
// else malformed_message (Client) or peer_fault (Server) with the faultstring;
// function from the detail, else request_function. When request_function is
// given, a <xResponse> for another function is refused (cmp.wrong_response).
// Further errors: cmp.not_a_response, cmp.missing_result_code, cmp.bad_result_code.
core::Result<Response> decode_response(std::string_view xml, const soap::Limits& limits = {},
                                       const Catalogue* catalogue = nullptr,
                                       std::string_view request_function = {});

// SOAPAction header value, quotes included: "urn:...:cmp:1#getRgInfo".
std::string soap_action(std::string_view function);
// The function named by a SOAPAction value (quotes optional); empty if it is not ours.
std::string_view function_from_soap_action(std::string_view value);

// resultCode to answer a request whose decoding or validation failed with error.
int result_code_for(const core::Error& error);

}  // namespace cmp
