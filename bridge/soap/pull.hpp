#pragma once
// A bounded, namespace-aware XML pull parser: the document as a stream of events read in one
// pass, without building a tree. Names, namespace URIs and most values are string_views into
// the input; only a value that holds a reference (&...;) or a carriage return is decoded, into
// storage the parser keeps. The per-message DOM of tinyxml2 (an allocation and a copy per node)
// was the largest cost of reading a CMP response (docs/performance.md, "the XML and crypto path").
//
// Same limits and refusals as soap::parse: size, depth, DOCTYPE/ENTITY refused before anything is
// read (no XXE), well-formedness errors as "xml.malformed" with the line and column; and one more,
// at most Limits::max_attributes per element (xml.too_many_attributes). Values are
// what the DOM path gives: line ends normalised as tinyxml2 does (CR LF, LF CR and a lone CR
// become LF), the five predefined entities and character references decoded, an unknown entity
// or a malformed character reference left as written, and a run of text between two pieces of
// markup that is all white space is not reported. It is stricter than tinyxml2 on input that is
// not XML: text or a second element outside the root, "<!" other than a comment or CDATA, a
// character reference to U+0000 or outside Unicode, attributes in an end tag (docs/performance.md, "the XML and crypto path").
#include <cstddef>
#include <cstdint>
#include <forward_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/soap/xml.hpp"

namespace soap {

class PullParser {
public:
    enum class Event : std::uint8_t {
        start_element,  // name(), local_name(), namespace_uri(), attribute() describe it
        end_element,    // name() of the element that ends
        text,           // text(): one run of character data or one CDATA section, decoded
        end_document,   // the root element has ended and only comments or white space follow
        error,          // error() says what; every later next() returns error again
    };

    explicit PullParser(std::string_view xml, const Limits& limits = {});

    Event next();
    // Reads through the end tag of the element whose start_element was just returned. Returns
    // false when the document turned out malformed on the way.
    bool skip_element();
    // Reads everything that is left; returns end_document or error.
    Event finish();

    std::string_view name() const { return name_; }
    std::string_view local_name() const { return local_; }
    std::string_view namespace_uri() const { return uri_; }
    std::string_view text() const { return text_; }
    // Elements open, the one just started included and the one just ended not.
    int depth() const { return static_cast<int>(open_.size()); }
    // An attribute of the element just started, by namespace URI and local name (an unprefixed
    // attribute has no namespace), decoded.
    std::optional<std::string_view> attribute(std::string_view ns, std::string_view local);
    // All attributes of the element just started, by position: the qualified name, and the value
    // decoded (valid as long as the parser); nullopt for a refused character reference.
    std::size_t attribute_count() const { return attributes_.size(); }
    std::string_view attribute_name(std::size_t i) const { return attributes_[i].name; }
    std::optional<std::string_view> attribute_value(std::size_t i) { return decode(attributes_[i].raw, true, true); }
    const core::Error& error() const { return error_; }

private:
    struct Open {
        std::string_view name;
        std::size_t bindings;  // size of bindings_ before this element's declarations
    };
    struct Binding {
        std::string_view prefix;  // "" for the default namespace
        std::string_view uri;
    };
    struct Attribute {
        std::string_view name;
        std::string_view raw;
    };

    Event fail(std::string_view what);
    Event fail_at(std::size_t at, std::string_view what);
    Event start_tag();
    Event end_tag();
    Event markup_at_top();
    bool skip_space();
    std::string_view resolve(std::string_view prefix) const;
    // raw as is when it needs no decoding, else decoded into storage that lives as long as
    // the parser (into scratch when `kept` is false: valid until the next event); entities
    // false for CDATA (line ends only). nullopt: a character reference is refused.
    std::optional<std::string_view> decode(std::string_view raw, bool kept, bool entities);

    std::string_view xml_;
    std::size_t pos_ = 0;
    int max_depth_;
    std::size_t max_attributes_;
    Event last_ = Event::start_element;
    bool pending_end_ = false;   // a self-closing element's end is the next event
    bool seen_root_ = false;
    bool only_declarations_ = true;  // "<?xml ...?>" is allowed only before anything else
    std::string_view name_, local_, uri_, text_;
    std::vector<Open> open_;
    std::vector<Binding> bindings_;
    std::vector<Attribute> attributes_;
    std::string scratch_;
    std::forward_list<std::string> kept_;  // stable addresses; no allocation while empty
    core::Error error_;
};

}  // namespace soap
