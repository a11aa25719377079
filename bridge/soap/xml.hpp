#pragma once
// Bounded, namespace-aware XML reading and a small escaping writer, shared by
// the CWMP and CMP codecs (both are SOAP 1.1). No I/O, no knowledge of either
// protocol. tinyxml2 does not resolve DTDs, but we refuse any DOCTYPE outright
// so that no entity declaration ever reaches a parser.
#include <tinyxml2.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"

namespace soap {

inline constexpr std::string_view kEnvelopeNs = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kEncodingNs = "http://schemas.xmlsoap.org/soap/encoding/";
inline constexpr std::string_view kXsdNs = "http://www.w3.org/2001/XMLSchema";
inline constexpr std::string_view kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";

struct Limits {
    std::size_t max_bytes = 512 * 1024;
    int max_depth = 32;
    // Attributes of one element (PullParser and Tree only): the duplicate check is quadratic,
    // and half a megabyte of a='' pairs would otherwise cost billions of comparisons.
    std::size_t max_attributes = 64;
};

using Document = std::unique_ptr<tinyxml2::XMLDocument>;

// Parses a whole document; refuses oversize input, DOCTYPE/ENTITY, excessive depth.
core::Result<Document> parse(std::string_view xml, const Limits& limits = {});
// The checks made before any parsing, shared with soap::PullParser: size (xml.too_large) and
// DOCTYPE/ENTITY declarations anywhere (xml.doctype).
core::Status check_document(std::string_view xml, const Limits& limits);

// Namespace URI of an element or attribute prefix, resolved through the
// xmlns declarations in scope. Empty when the name is unqualified and no
// default namespace is declared.
std::string_view namespace_of(const tinyxml2::XMLElement* e);
std::string_view local_name(const tinyxml2::XMLElement* e);
std::string_view local_name(std::string_view qualified);
// Resolves a prefix ("" = default namespace) in the scope of e.
std::string_view resolve_prefix(const tinyxml2::XMLElement* e, std::string_view prefix);

// First child element with this local name (any namespace when ns is null).
const tinyxml2::XMLElement* child(const tinyxml2::XMLElement* parent, std::string_view local,
                                  const std::string_view* ns = nullptr);
// XML white space (space, tab, LF, CR): all of s, and s without it at both ends.
bool all_space(std::string_view s);
std::string_view trim_space(std::string_view s);
// The text of an element ("" when empty), trimmed of surrounding whitespace.
std::string_view text_of(const tinyxml2::XMLElement* e);
// An attribute looked up by namespace URI and local name (prefix-independent).
const char* attribute(const tinyxml2::XMLElement* e, std::string_view ns, std::string_view local);

struct EnvelopeParts {
    const tinyxml2::XMLElement* envelope = nullptr;
    const tinyxml2::XMLElement* header = nullptr;  // may be null
    const tinyxml2::XMLElement* body = nullptr;
    const tinyxml2::XMLElement* payload = nullptr;  // first element in Body; null for an empty body
};
// Checks Envelope/Header?/Body in the SOAP 1.1 namespace.
core::Result<EnvelopeParts> split_envelope(const tinyxml2::XMLDocument& doc);

// Append-only XML writer. Callers give qualified names; values are escaped.
class Writer {
public:
    explicit Writer(std::size_t reserve = 2048) { out_.reserve(reserve); }
    Writer& declaration();
    Writer& open(std::string_view name);                         // "<name"
    Writer& attr(std::string_view name, std::string_view value);  // ' name="value"'
    Writer& close_open();                                         // ">"
    Writer& start(std::string_view name) { return open(name).close_open(); }
    Writer& end(std::string_view name);                           // "</name>"
    Writer& self_close();                                         // "/>"
    Writer& text(std::string_view value);
    Writer& raw(std::string_view value) { out_.append(value); return *this; }
    // <name>value</name>
    Writer& element(std::string_view name, std::string_view value);
    std::string& str() { return out_; }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

void append_escaped(std::string& out, std::string_view value, bool attribute);

}  // namespace soap
