#pragma once
// A read-only element tree of one document, built in one pass by soap::PullParser into flat
// arrays: elements, attributes and text runs, with names and values as views into the input
// (a decoded copy only where a value holds a reference or a CR). For readers that look
// children up in any order, such as the CWMP decoder; tinyxml2's DOM copied the input and
// allocated per node (docs/performance.md, "the XML and crypto path"). Same limits, refusals and values as PullParser.
#include <cstdint>
#include <forward_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/soap/xml.hpp"

namespace soap {

struct TreeAttribute {
    std::string_view name;   // qualified, as written
    std::string_view value;  // decoded
};

struct TreeText {
    std::string_view value;  // decoded; never a run of white space only (as tinyxml2)
    const TreeText* next = nullptr;
};

struct Element {
    std::string_view name;  // qualified, as written
    std::string_view local;
    std::string_view ns;    // resolved through the declarations in scope
    const Element* parent = nullptr;
    const Element* first_child = nullptr;  // elements only
    const Element* next_sibling = nullptr;
    const TreeText* first_text = nullptr;  // the text runs directly inside, in order
    const TreeAttribute* attributes = nullptr;
    std::uint32_t attribute_count = 0;
    bool first_node_is_text = false;  // tinyxml2's GetText: the first child (comments aside) is text
};

class Tree {
public:
    static core::Result<Tree> parse(std::string_view xml, const Limits& limits = {});
    // Elements point into the tree's arrays: a move keeps them valid, a copy would not.
    Tree() = default;
    Tree(Tree&&) = default;
    Tree& operator=(Tree&&) = default;
    Tree(const Tree&) = delete;
    Tree& operator=(const Tree&) = delete;
    const Element* root() const { return elements_.empty() ? nullptr : &elements_.front(); }

private:
    std::vector<Element> elements_;  // document order; the pointers are set once it is complete
    std::vector<TreeAttribute> attributes_;
    std::vector<TreeText> texts_;
    std::forward_list<std::string> decoded_;  // values that are not views into the input
};

// As the tinyxml2 helpers of xml.hpp, for a Tree's elements.
std::string_view namespace_of(const Element* e);
std::string_view local_name(const Element* e);
std::string_view resolve_prefix(const Element* e, std::string_view prefix);
const Element* child(const Element* parent, std::string_view local, const std::string_view* ns = nullptr);
// GetText, trimmed of surrounding white space ("" when the first child is not text).
std::string_view text_of(const Element* e);
// All text runs directly inside e, joined (CDATA included), verbatim.
void text_content(const Element* e, std::string& out);
std::optional<std::string_view> attribute(const Element* e, std::string_view ns, std::string_view local);
// By qualified name as written ("xsi:type"), whatever the prefix is bound to.
std::optional<std::string_view> attribute_named(const Element* e, std::string_view name);

struct TreeEnvelope {
    const Element* envelope = nullptr;
    const Element* header = nullptr;   // may be null
    const Element* body = nullptr;
    const Element* payload = nullptr;  // first element in Body; null for an empty body
};
// Envelope/Header?/Body in the SOAP 1.1 namespace, with split_envelope's errors.
core::Result<TreeEnvelope> split_envelope(const Tree& tree);

}  // namespace soap
