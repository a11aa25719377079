#pragma once
// Semantic comparison of XML messages for trace replay. Two messages are the
// same when their element trees are: elements and attributes identified by
// namespace URI + local name (prefixes and namespace declarations do not
// matter), attributes in any order, text trimmed, whitespace-only text and
// comments ignored, child order significant (CWMP lists are ordered).
// QName values (xsi:type="xsd:string", soap-enc:arrayType) are resolved
// through the declarations in scope, so they too are prefix-independent.
//
// Volatile fields (timestamps, message ids) are matched by rule, not value:
// a rule names an element and what its text must look like on both sides.
//
// The comparison works on a canonical rendering — one line per element, with
// short fixed aliases for well-known namespaces — so that equality and the
// readable diff shown on a divergence are the same thing.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/core/result.hpp"

namespace trace {

struct XmlNode {
    std::string ns;    // namespace URI, empty when unqualified
    std::string name;  // local name
    // "{uri}local" or "local" -> value (QNames resolved to "{uri}local"), sorted by name.
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text;  // all text children concatenated, trimmed
    std::vector<XmlNode> children;
};

// Parses (bounded, no DOCTYPE) and canonicalises one document.
core::Result<XmlNode> canonicalize(std::string_view xml);

enum class Match {
    any,        // any text, even empty (the element must still be there)
    nonempty,   // some text on both sides (message ids)
    date_time,  // an xsd:dateTime on both sides (clocks)
};

struct VolatileRule {
    std::string ns;      // namespace URI; a trailing '*' matches any URI with that prefix
    std::string name;    // local name
    std::string parent;  // local name of the parent element; empty = any parent
    Match match = Match::any;
};
using Rules = std::vector<VolatileRule>;

// cwmp:ID, Inform/CurrentTime, cmp:transactionId, cmp:timeStamp (docs/traces.md).
const Rules& default_rules();

// One line per element: indentation, "alias:name", sorted attributes, the
// text (or the rule's placeholder when a volatile value satisfies its rule).
struct Line {
    std::string text;  // as shown in diffs
    std::string path;  // "Envelope/Body/Inform/DeviceId/SerialNumber", for summaries
};
std::vector<Line> render(const XmlNode& root, const Rules& rules = default_rules());

// A body as lines: canonical XML when it parses, else its trimmed text lines
// (with a note), "(empty)" when blank.
std::vector<Line> render_body(std::string_view body, const Rules& rules = default_rules());

struct Comparison {
    bool equal = true;
    std::string first_path;  // where the first difference is
    std::string expected;    // the first differing lines (without the +/- marks)
    std::string actual;
    std::string diff;        // unified diff, "--- expected" / "+++ actual"
};
Comparison compare_lines(const std::vector<Line>& expected, const std::vector<Line>& actual);
Comparison compare_xml(std::string_view expected, std::string_view actual, const Rules& rules = default_rules());

// Unified diff of two line sequences with `context` lines around each change.
// Empty when they are equal.
std::string unified_diff(const std::vector<std::string>& a, const std::vector<std::string>& b,
                         std::string_view label_a, std::string_view label_b, std::size_t context = 3);

bool is_date_time(std::string_view s);

}  // namespace trace
