#pragma once
// The lexical side of SetParameterValues: does an ACS value fit the XML
// Schema type of its parameter, and is the xsi:type the ACS wrote compatible
// with that type? Facets (ranges of the data model, enumerations, lengths)
// are the owner's business: the device for gateway parameters,
// management_server.cpp for the bridge's own.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cpe {

enum class XsdType : std::uint8_t { string, int_, unsigned_int, long_, unsigned_long, boolean, date_time, base64, hex_binary, other };

// "xsd:unsignedInt" → unsigned_int. A prefix other than xsd: is accepted
// (the codec normalises prefixes bound to XML Schema to xsd:).
XsdType parse_xsd_type(std::string_view xsi_type);

// Whether a value the ACS typed `requested` may be stored in a parameter of
// type `param`. No xsi:type (empty) is accepted, as is any integer type for
// an integer parameter (GenieACS writes xsd:int for values it reads back as
// unsignedInt); the range check then decides. Everything else must match.
bool type_compatible(std::string_view requested, std::string_view param);

// The canonical form of `value` as a `param`-typed value, or nullopt when it
// is not one: integers without sign, spaces or leading zeros and inside the
// type's range; booleans true/false/1/0 → "true"/"false"; dateTime with or
// without fraction and zone (kept as sent, trimmed); base64 and hexBinary
// checked for alphabet and length; strings unchanged.
std::optional<std::string> canonical_value(std::string_view param_type, std::string_view value);

// xsd:dateTime → Unix seconds (fraction dropped; no zone = UTC). The CWMP
// unknown time 0001-01-01T00:00:00Z parses (to a large negative number).
std::optional<std::int64_t> parse_date_time(std::string_view text);
// True for 0001-01-01T00:00:00 in any zone spelling: TR-069's "unknown time".
bool is_unknown_time(std::string_view text);

}  // namespace cpe
