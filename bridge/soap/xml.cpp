#include "bridge/soap/xml.hpp"

#include <cstring>

namespace soap {
namespace {

// Whether a markup declaration "<!DOCTYPE" or "<!ENTITY" (any case) occurs anywhere. Only the
// rare "<!" positions are compared: the byte-by-byte search over every offset of every message
// was 6 % of the bridge's instructions per session.
bool has_declaration(std::string_view xml) {
    auto upper_is = [](std::string_view s, std::string_view word) {
        if (s.size() < word.size()) return false;
        for (std::size_t k = 0; k < word.size(); ++k) {
            char c = s[k];
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
            if (c != word[k]) return false;
        }
        return true;
    };
    for (std::size_t i = xml.find("<!"); i != std::string_view::npos; i = xml.find("<!", i + 1)) {
        std::string_view rest = xml.substr(i + 2);
        if (upper_is(rest, "DOCTYPE") || upper_is(rest, "ENTITY")) return true;
    }
    return false;
}

int depth_of(const tinyxml2::XMLElement* e, int depth, int limit) {
    if (depth > limit) return depth;
    int deepest = depth;
    for (auto* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
        int d = depth_of(c, depth + 1, limit);
        if (d > deepest) deepest = d;
        if (deepest > limit) break;
    }
    return deepest;
}

}  // namespace

core::Status check_document(std::string_view xml, const Limits& limits) {
    if (xml.size() > limits.max_bytes)
        return core::make_error("xml.too_large", "XML document of " + std::to_string(xml.size()) +
                                                     " bytes exceeds the limit of " +
                                                     std::to_string(limits.max_bytes));
    if (has_declaration(xml))
        return core::make_error("xml.doctype", "DOCTYPE and entity declarations are refused");
    return core::Ok{};
}

core::Result<Document> parse(std::string_view xml, const Limits& limits) {
    if (auto checked = check_document(xml, limits); !checked) return checked.error();
    // COLLAPSE_WHITESPACE would alter values; PRESERVE keeps them verbatim.
    auto doc = std::make_unique<tinyxml2::XMLDocument>(true, tinyxml2::PRESERVE_WHITESPACE);
    if (doc->Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS) {
        std::string msg = doc->ErrorStr() ? doc->ErrorStr() : "malformed XML";
        return core::make_error("xml.malformed", msg);
    }
    auto* root = doc->RootElement();
    if (!root) return core::make_error("xml.empty", "XML document has no root element");
    if (depth_of(root, 1, limits.max_depth) > limits.max_depth)
        return core::make_error("xml.too_deep",
                                "XML nesting exceeds the limit of " + std::to_string(limits.max_depth));
    return Document(std::move(doc));
}

std::string_view local_name(std::string_view q) {
    auto colon = q.find(':');
    return colon == std::string_view::npos ? q : q.substr(colon + 1);
}

std::string_view local_name(const tinyxml2::XMLElement* e) { return local_name(std::string_view(e->Name())); }

std::string_view resolve_prefix(const tinyxml2::XMLElement* e, std::string_view prefix) {
    // Compared in place, without building "xmlns:prefix": this runs for every element of every
    // message (each CMP field's namespace is checked).
    auto declares = [prefix](std::string_view name) {
        if (prefix.empty()) return name == "xmlns";
        return name.size() == 6 + prefix.size() && name.starts_with("xmlns:") && name.substr(6) == prefix;
    };
    for (const tinyxml2::XMLNode* n = e; n; n = n->Parent()) {
        auto* el = n->ToElement();
        if (!el) break;
        for (const tinyxml2::XMLAttribute* a = el->FirstAttribute(); a; a = a->Next())
            if (declares(a->Name())) return a->Value();
    }
    if (prefix == "xml") return "http://www.w3.org/XML/1998/namespace";
    return {};
}

std::string_view namespace_of(const tinyxml2::XMLElement* e) {
    std::string_view name = e->Name();
    auto colon = name.find(':');
    return resolve_prefix(e, colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon));
}

const tinyxml2::XMLElement* child(const tinyxml2::XMLElement* parent, std::string_view local,
                                  const std::string_view* ns) {
    if (!parent) return nullptr;
    for (auto* c = parent->FirstChildElement(); c; c = c->NextSiblingElement()) {
        if (local_name(c) != local) continue;
        if (ns && namespace_of(c) != *ns) continue;
        return c;
    }
    return nullptr;
}

bool all_space(std::string_view s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
    return true;
}

std::string_view trim_space(std::string_view s) {
    while (!s.empty() && all_space(s.substr(0, 1))) s.remove_prefix(1);
    while (!s.empty() && all_space(s.substr(s.size() - 1))) s.remove_suffix(1);
    return s;
}

std::string_view text_of(const tinyxml2::XMLElement* e) {
    if (!e) return {};
    const char* t = e->GetText();
    return t ? trim_space(t) : std::string_view{};
}

const char* attribute(const tinyxml2::XMLElement* e, std::string_view ns, std::string_view local) {
    for (auto* a = e->FirstAttribute(); a; a = a->Next()) {
        std::string_view name = a->Name();
        auto colon = name.find(':');
        if (colon == std::string_view::npos) {
            // Unprefixed attributes have no namespace.
            if (ns.empty() && name == local) return a->Value();
            continue;
        }
        std::string_view prefix = name.substr(0, colon);
        if (prefix == "xmlns") continue;
        if (name.substr(colon + 1) == local && resolve_prefix(e, prefix) == ns) return a->Value();
    }
    return nullptr;
}

core::Result<EnvelopeParts> split_envelope(const tinyxml2::XMLDocument& doc) {
    EnvelopeParts p;
    p.envelope = doc.RootElement();
    if (!p.envelope || local_name(p.envelope) != "Envelope")
        return core::make_error("soap.no_envelope", "root element is not a SOAP Envelope");
    if (namespace_of(p.envelope) != kEnvelopeNs)
        return core::make_error("soap.bad_namespace",
                                "SOAP Envelope is not in the SOAP 1.1 namespace (" +
                                    std::string(namespace_of(p.envelope)) + ")");
    for (auto* c = p.envelope->FirstChildElement(); c; c = c->NextSiblingElement()) {
        if (namespace_of(c) != kEnvelopeNs) continue;
        auto ln = local_name(c);
        if (ln == "Header" && !p.header && !p.body) p.header = c;
        else if (ln == "Body" && !p.body) p.body = c;
    }
    if (!p.body) return core::make_error("soap.no_body", "SOAP Envelope has no Body");
    p.payload = p.body->FirstChildElement();
    return p;
}

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at s[i] that XML 1.0 allows
// (Char production), or 0. Overlongs, surrogates, U+FFFE/U+FFFF and values
// beyond U+10FFFF are refused: a gateway's odd byte must not make the whole
// CWMP message unparsable for the ACS.
std::size_t valid_utf8_at(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        unsigned cp = ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        unsigned cp = ((c & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
        return (cp >= 0x10000 && cp <= 0x10FFFF) ? 4 : 0;
    }
    return 0;
}

}  // namespace

// Bytes copied as they are: printable ASCII but & < > (and " in attributes), plus \n and \t
// in text. Everything else takes the slow path below.
struct PlainBytes {
    bool text[256] = {};
    bool attribute[256] = {};
    constexpr PlainBytes() {
        for (int c = 0x20; c < 0x80; ++c) text[c] = attribute[c] = c != '&' && c != '<' && c != '>';
        attribute['"'] = false;
        text['\n'] = text['\t'] = true;
    }
};
constexpr PlainBytes kPlain;

void append_escaped(std::string& out, std::string_view v, bool attribute) {
    // Runs of plain characters are found by a table lookup per byte and copied in one append:
    // values are mostly plain ASCII and this is on the path of every element we encode.
    const bool* plain = attribute ? kPlain.attribute : kPlain.text;
    std::size_t run = 0;
    auto flush = [&](std::size_t i) {
        if (i > run) out.append(v.data() + run, i - run);
    };
    for (std::size_t i = 0; i < v.size();) {
        auto c = static_cast<unsigned char>(v[i]);
        if (plain[c]) {
            ++i;
            continue;
        }
        std::string_view rep;
        std::size_t len = 1;
        if (c >= 0x80) {
            len = valid_utf8_at(v, i);
            if (len != 0) {
                i += len;
                continue;
            }
            len = 1;
            rep = kReplacement;
        } else if (c == '&') {
            rep = "&amp;";
        } else if (c == '<') {
            rep = "&lt;";
        } else if (c == '>') {
            rep = "&gt;";
        } else if (c == '"') {
            rep = "&quot;";  // only reached for attributes
        } else if (c == '\r') {
            rep = "&#13;";
        } else if (c == '\n') {
            rep = "&#10;";  // attributes only: attribute-value normalisation would turn it into a space
        } else if (c == '\t') {
            rep = "&#9;";  // attributes only
        } else {
            rep = kReplacement;  // not allowed in XML 1.0, not even as a character reference
        }
        flush(i);
        out.append(rep);
        i += len;
        run = i;
    }
    flush(v.size());
}

Writer& Writer::declaration() {
    out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    return *this;
}
Writer& Writer::open(std::string_view name) {
    out_ += '<';
    out_ += name;
    return *this;
}
Writer& Writer::attr(std::string_view name, std::string_view value) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    append_escaped(out_, value, true);
    out_ += '"';
    return *this;
}
Writer& Writer::close_open() {
    out_ += '>';
    return *this;
}
Writer& Writer::end(std::string_view name) {
    out_ += "</";
    out_ += name;
    out_ += '>';
    return *this;
}
Writer& Writer::self_close() {
    out_ += "/>";
    return *this;
}
Writer& Writer::text(std::string_view value) {
    append_escaped(out_, value, false);
    return *this;
}
Writer& Writer::element(std::string_view name, std::string_view value) {
    return start(name).text(value).end(name);
}

}  // namespace soap
