#include "bridge/soap/tree.hpp"

#include <limits>

#include "bridge/soap/pull.hpp"

namespace soap {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Links kept as indices while the arrays grow, turned into pointers once they are complete.
struct Links {
    std::uint32_t parent = kNone, first_child = kNone, last_child = kNone, next_sibling = kNone;
    std::uint32_t first_text = kNone, last_text = kNone, first_attribute = 0;
    bool has_child_node = false;
};


}  // namespace

core::Result<Tree> Tree::parse(std::string_view xml, const Limits& limits) {
    PullParser p(xml, limits);
    Tree t;
    std::vector<Links> links;
    std::vector<std::uint32_t> text_next;
    std::vector<std::uint32_t> open;
    // A value the parser decoded lives in its storage (or is replaced at the next event):
    // copied into the tree's own. A view into the input is kept as it is.
    auto keep = [&](std::string_view v) -> std::string_view {
        if (v.empty() || (v.data() >= xml.data() && v.data() + v.size() <= xml.data() + xml.size())) return v;
        return t.decoded_.emplace_front(v);
    };
    for (;;) {
        switch (p.next()) {
            case PullParser::Event::start_element: {
                auto index = static_cast<std::uint32_t>(t.elements_.size());
                Element& e = t.elements_.emplace_back();
                e.name = p.name();
                e.local = p.local_name();
                e.ns = keep(p.namespace_uri());
                Links& l = links.emplace_back();
                l.first_attribute = static_cast<std::uint32_t>(t.attributes_.size());
                for (std::size_t i = 0; i < p.attribute_count(); ++i) {
                    auto value = p.attribute_value(i);
                    if (!value)
                        return core::make_error("xml.malformed", "malformed XML: attribute " +
                                                                     std::string(p.attribute_name(i)) +
                                                                     " holds a character reference XML does not allow");
                    t.attributes_.push_back({p.attribute_name(i), keep(*value)});
                }
                e.attribute_count = static_cast<std::uint32_t>(t.attributes_.size() - l.first_attribute);
                if (!open.empty()) {
                    Links& parent = links[open.back()];
                    l.parent = open.back();
                    if (parent.last_child == kNone) parent.first_child = index;
                    else links[parent.last_child].next_sibling = index;
                    parent.last_child = index;
                    parent.has_child_node = true;
                }
                open.push_back(index);
                break;
            }
            case PullParser::Event::end_element: open.pop_back(); break;
            case PullParser::Event::text: {
                auto index = static_cast<std::uint32_t>(t.texts_.size());
                t.texts_.push_back({keep(p.text()), nullptr});
                text_next.push_back(kNone);
                Links& l = links[open.back()];
                if (!l.has_child_node) t.elements_[open.back()].first_node_is_text = true;
                l.has_child_node = true;
                if (l.last_text == kNone) l.first_text = index;
                else text_next[l.last_text] = index;
                l.last_text = index;
                break;
            }
            case PullParser::Event::end_document: {
                auto element = [&](std::uint32_t i) { return i == kNone ? nullptr : &t.elements_[i]; };
                for (std::size_t i = 0; i < t.elements_.size(); ++i) {
                    Element& e = t.elements_[i];
                    const Links& l = links[i];
                    e.parent = element(l.parent);
                    e.first_child = element(l.first_child);
                    e.next_sibling = element(l.next_sibling);
                    e.first_text = l.first_text == kNone ? nullptr : &t.texts_[l.first_text];
                    e.attributes = e.attribute_count ? &t.attributes_[l.first_attribute] : nullptr;
                }
                for (std::size_t i = 0; i < t.texts_.size(); ++i)
                    t.texts_[i].next = text_next[i] == kNone ? nullptr : &t.texts_[text_next[i]];
                return t;
            }
            case PullParser::Event::error: return p.error();
        }
    }
}

std::string_view namespace_of(const Element* e) { return e->ns; }
std::string_view local_name(const Element* e) { return e->local; }

std::string_view resolve_prefix(const Element* e, std::string_view prefix) {
    auto declares = [prefix](std::string_view name) {
        if (prefix.empty()) return name == "xmlns";
        return name.size() == 6 + prefix.size() && name.starts_with("xmlns:") && name.substr(6) == prefix;
    };
    for (; e; e = e->parent)
        for (std::uint32_t i = 0; i < e->attribute_count; ++i)
            if (declares(e->attributes[i].name)) return e->attributes[i].value;
    if (prefix == "xml") return "http://www.w3.org/XML/1998/namespace";
    return {};
}

const Element* child(const Element* parent, std::string_view local, const std::string_view* ns) {
    if (!parent) return nullptr;
    for (const Element* c = parent->first_child; c; c = c->next_sibling)
        if (c->local == local && (!ns || c->ns == *ns)) return c;
    return nullptr;
}

std::string_view text_of(const Element* e) {
    if (!e || !e->first_node_is_text) return {};
    return trim_space(e->first_text->value);
}

void text_content(const Element* e, std::string& out) {
    out.clear();
    for (const TreeText* t = e->first_text; t; t = t->next) out.append(t->value);
}

std::optional<std::string_view> attribute(const Element* e, std::string_view ns, std::string_view local) {
    for (std::uint32_t i = 0; i < e->attribute_count; ++i) {
        std::string_view name = e->attributes[i].name;
        auto colon = name.find(':');
        if (colon == std::string_view::npos) {
            // Unprefixed attributes have no namespace.
            if (ns.empty() && name == local) return e->attributes[i].value;
            continue;
        }
        std::string_view prefix = name.substr(0, colon);
        if (prefix == "xmlns") continue;
        if (name.substr(colon + 1) == local && resolve_prefix(e, prefix) == ns) return e->attributes[i].value;
    }
    return std::nullopt;
}

std::optional<std::string_view> attribute_named(const Element* e, std::string_view name) {
    for (std::uint32_t i = 0; i < e->attribute_count; ++i)
        if (e->attributes[i].name == name) return e->attributes[i].value;
    return std::nullopt;
}

core::Result<TreeEnvelope> split_envelope(const Tree& tree) {
    TreeEnvelope p;
    p.envelope = tree.root();
    if (!p.envelope || p.envelope->local != "Envelope")
        return core::make_error("soap.no_envelope", "root element is not a SOAP Envelope");
    if (p.envelope->ns != kEnvelopeNs)
        return core::make_error("soap.bad_namespace", "SOAP Envelope is not in the SOAP 1.1 namespace (" +
                                                          std::string(p.envelope->ns) + ")");
    for (const Element* c = p.envelope->first_child; c; c = c->next_sibling) {
        if (c->ns != kEnvelopeNs) continue;
        if (c->local == "Header" && !p.header && !p.body) p.header = c;
        else if (c->local == "Body" && !p.body) p.body = c;
    }
    if (!p.body) return core::make_error("soap.no_body", "SOAP Envelope has no Body");
    p.payload = p.body->first_child;
    return p;
}

}  // namespace soap
