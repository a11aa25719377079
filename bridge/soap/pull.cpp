#include "bridge/soap/pull.hpp"

#include <cstring>

namespace soap {
namespace {

constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";

// Byte classes as tinyxml2 has them, so that what the DOM path accepted is accepted here:
// white space is C isspace() on ASCII; a name starts with a letter, '_', ':' or any byte >= 0x80.
struct ByteClasses {
    bool space[256] = {};
    bool name_start[256] = {};
    bool name[256] = {};
    constexpr ByteClasses() {
        for (char c : {' ', '\t', '\n', '\v', '\f', '\r'}) space[static_cast<unsigned char>(c)] = true;
        for (int c = 0; c < 256; ++c) {
            bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            name_start[c] = c >= 0x80 || alpha || c == ':' || c == '_';
            name[c] = name_start[c] || (c >= '0' && c <= '9') || c == '.' || c == '-';
        }
    }
};
constexpr ByteClasses kBytes;

bool is_space(char c) { return kBytes.space[static_cast<unsigned char>(c)]; }
bool is_name_start(char c) { return kBytes.name_start[static_cast<unsigned char>(c)]; }
bool is_name(char c) { return kBytes.name[static_cast<unsigned char>(c)]; }


void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

enum class CharRef { literal, decoded, refused };

// "&#...;" at raw[i]. Like tinyxml2, anything but digits up to the next ';' leaves the '&' as
// written; unlike it, U+0000, surrogates and values beyond U+10FFFF are refused (tinyxml2 cut
// the value at a NUL or wrote bytes that are not UTF-8).
CharRef char_ref(std::string_view raw, std::size_t& i, std::string& out) {
    const bool hex = i + 2 < raw.size() && raw[i + 2] == 'x';
    const std::size_t first = i + (hex ? 3 : 2);
    if (first >= raw.size()) return CharRef::literal;
    const std::size_t semicolon = raw.find(';', first);
    if (semicolon == std::string_view::npos) return CharRef::literal;
    std::uint32_t cp = 0;
    bool too_big = false;
    for (std::size_t k = first; k < semicolon; ++k) {
        char c = raw[k];
        std::uint32_t d;
        if (c >= '0' && c <= '9') d = static_cast<std::uint32_t>(c - '0');
        else if (hex && c >= 'a' && c <= 'f') d = static_cast<std::uint32_t>(c - 'a' + 10);
        else if (hex && c >= 'A' && c <= 'F') d = static_cast<std::uint32_t>(c - 'A' + 10);
        else return CharRef::literal;
        if (!too_big) {
            cp = cp * (hex ? 16 : 10) + d;
            too_big = cp > 0x10FFFF;
        }
    }
    if (too_big || cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return CharRef::refused;
    append_utf8(out, cp);
    i = semicolon + 1;
    return CharRef::decoded;
}

struct NamedEntity {
    std::string_view name;  // with its ';'
    char value;
};
constexpr NamedEntity kEntities[] = {{"quot;", '"'}, {"amp;", '&'}, {"apos;", '\''}, {"lt;", '<'}, {"gt;", '>'}};

// tinyxml2's StrPair::GetStr: CR LF, LF CR and a lone CR become LF; with `entities`, the five
// predefined entities and character references are decoded and any other '&' is kept.
bool decode_into(std::string& out, std::string_view raw, bool entities) {
    out.clear();
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        char c = raw[i];
        if (c == '\r' || c == '\n') {
            char pair = c == '\r' ? '\n' : '\r';
            out += '\n';
            i += i + 1 < raw.size() && raw[i + 1] == pair ? 2 : 1;
            continue;
        }
        if (c == '&' && entities) {
            if (i + 1 < raw.size() && raw[i + 1] == '#') {
                CharRef r = char_ref(raw, i, out);
                if (r == CharRef::refused) return false;
                if (r == CharRef::decoded) continue;
            } else {
                std::string_view rest = raw.substr(i + 1);
                bool found = false;
                for (const auto& e : kEntities) {
                    if (rest.starts_with(e.name)) {
                        out += e.value;
                        i += 1 + e.name.size();
                        found = true;
                        break;
                    }
                }
                if (found) continue;
            }
        }
        out += c;
        ++i;
    }
    return true;
}

// Two memchr scans rather than one loop over the bytes: values are mostly long plain runs,
// and this looked at every byte of every value at 3 to 4 instructions each.
bool needs_decoding(std::string_view raw, bool entities) {
    return raw.find('\r') != std::string_view::npos || (entities && raw.find('&') != std::string_view::npos);
}

}  // namespace

PullParser::PullParser(std::string_view xml, const Limits& limits)
    : xml_(xml), max_depth_(limits.max_depth), max_attributes_(limits.max_attributes) {
    if (auto checked = check_document(xml, limits); !checked) {
        error_ = checked.error();
        last_ = Event::error;
        return;
    }
    // tinyxml2 reads a C string: a NUL byte ended the document there. XML allows none anywhere.
    if (std::size_t nul = xml_.find('\0'); nul != std::string_view::npos) {
        fail_at(nul, "a NUL byte");
        return;
    }
    open_.reserve(static_cast<std::size_t>(max_depth_ > 0 ? max_depth_ : 1));
    bindings_.reserve(8);
    attributes_.reserve(8);
    skip_space();
    if (xml_.substr(pos_).starts_with("\xEF\xBB\xBF")) pos_ += 3;  // a UTF-8 byte order mark
    if (pos_ == xml_.size()) fail("empty document");
}

PullParser::Event PullParser::fail(std::string_view what) { return fail_at(pos_, what); }

PullParser::Event PullParser::fail_at(std::size_t at, std::string_view what) {
    // Line and column are counted only here: errors are rare, documents are read once.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < at && i < xml_.size(); ++i) {
        if (xml_[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    error_ = core::make_error("xml.malformed", "malformed XML at line " + std::to_string(line) + ", column " +
                                                   std::to_string(column) + ": " + std::string(what));
    return last_ = Event::error;
}

bool PullParser::skip_space() {
    std::size_t start = pos_;
    while (pos_ < xml_.size() && is_space(xml_[pos_])) ++pos_;
    return pos_ != start;
}

std::string_view PullParser::resolve(std::string_view prefix) const {
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it)
        if (it->prefix == prefix) return it->uri;
    if (prefix == "xml") return kXmlNs;
    return {};
}

std::optional<std::string_view> PullParser::decode(std::string_view raw, bool kept, bool entities) {
    if (!needs_decoding(raw, entities)) return raw;
    std::string& out = kept ? kept_.emplace_front() : scratch_;
    if (!decode_into(out, raw, entities)) return std::nullopt;
    return std::string_view(out);
}

PullParser::Event PullParser::next() {
    if (last_ == Event::error || last_ == Event::end_document) return last_;
    if (pending_end_) {
        pending_end_ = false;
        bindings_.resize(open_.back().bindings);
        open_.pop_back();
        return last_ = Event::end_element;
    }
    if (open_.empty()) return markup_at_top();
    for (;;) {
        if (pos_ >= xml_.size())
            return fail("element <" + std::string(open_.back().name) + "> is not closed");
        if (xml_[pos_] != '<') {
            std::size_t lt = xml_.find('<', pos_);
            if (lt == std::string_view::npos)
                return fail("element <" + std::string(open_.back().name) + "> is not closed");
            std::string_view raw = xml_.substr(pos_, lt - pos_);
            std::size_t at = pos_;
            pos_ = lt;
            if (all_space(raw)) continue;  // as tinyxml2: such a run is not a node
            auto value = decode(raw, false, true);
            if (!value) return fail_at(at, "a character reference to a character XML does not allow");
            text_ = *value;
            return last_ = Event::text;
        }
        std::string_view rest = xml_.substr(pos_);
        if (rest.starts_with("</")) return end_tag();
        if (rest.starts_with("<!--")) {
            std::size_t end = xml_.find("-->", pos_ + 4);
            if (end == std::string_view::npos) return fail("comment is not closed");
            pos_ = end + 3;
            continue;  // a comment still ends a run of text, as it ends a text node in tinyxml2
        }
        if (rest.starts_with("<![CDATA[")) {
            std::size_t end = xml_.find("]]>", pos_ + 9);
            if (end == std::string_view::npos) return fail("CDATA section is not closed");
            std::string_view raw = xml_.substr(pos_ + 9, end - pos_ - 9);
            pos_ = end + 3;
            text_ = *decode(raw, false, false);  // line ends only: cannot fail
            return last_ = Event::text;
        }
        if (rest.starts_with("<!")) return fail("markup declaration inside an element");
        if (rest.starts_with("<?")) return fail("processing instruction inside an element");
        return start_tag();
    }
}

PullParser::Event PullParser::markup_at_top() {
    for (;;) {
        skip_space();
        if (pos_ == xml_.size()) {
            if (!seen_root_) {
                error_ = core::make_error("xml.empty", "XML document has no root element");
                return last_ = Event::error;
            }
            return last_ = Event::end_document;
        }
        std::string_view rest = xml_.substr(pos_);
        if (rest[0] != '<') return fail(seen_root_ ? "text after the root element" : "text before the root element");
        if (rest.starts_with("<?")) {
            // tinyxml2 allows declarations only before any other node; so do we.
            if (!only_declarations_) return fail("XML declaration after other content");
            std::size_t end = xml_.find("?>", pos_ + 2);
            if (end == std::string_view::npos) return fail("XML declaration is not closed");
            pos_ = end + 2;
            continue;
        }
        only_declarations_ = false;
        if (rest.starts_with("<!--")) {
            std::size_t end = xml_.find("-->", pos_ + 4);
            if (end == std::string_view::npos) return fail("comment is not closed");
            pos_ = end + 3;
            continue;
        }
        if (rest.starts_with("<!")) return fail("markup declaration outside the root element");
        if (rest.starts_with("</")) return fail("end tag without a start tag");
        if (seen_root_) return fail("a second root element");
        return start_tag();
    }
}

PullParser::Event PullParser::start_tag() {
    const std::size_t at = pos_;
    std::size_t p = pos_ + 1;
    if (p >= xml_.size() || !is_name_start(xml_[p])) return fail("expected an element name after '<'");
    std::size_t name_end = p + 1;
    while (name_end < xml_.size() && is_name(xml_[name_end])) ++name_end;
    name_ = xml_.substr(p, name_end - p);
    p = name_end;
    attributes_.clear();
    bool self_closing = false;
    for (;;) {
        while (p < xml_.size() && is_space(xml_[p])) ++p;
        if (p >= xml_.size()) return fail_at(at, "start tag <" + std::string(name_) + " is not closed");
        char c = xml_[p];
        if (c == '>') {
            ++p;
            break;
        }
        if (c == '/' && p + 1 < xml_.size() && xml_[p + 1] == '>') {
            p += 2;
            self_closing = true;
            break;
        }
        if (!is_name_start(c)) return fail_at(p, "unexpected character in the start tag of <" + std::string(name_) + ">");
        std::size_t a = p;
        while (p < xml_.size() && is_name(xml_[p])) ++p;
        std::string_view attribute_name = xml_.substr(a, p - a);
        while (p < xml_.size() && is_space(xml_[p])) ++p;
        if (p >= xml_.size() || xml_[p] != '=') return fail_at(p, "expected '=' after attribute " + std::string(attribute_name));
        ++p;
        while (p < xml_.size() && is_space(xml_[p])) ++p;
        if (p >= xml_.size() || (xml_[p] != '"' && xml_[p] != '\''))
            return fail_at(p, "attribute " + std::string(attribute_name) + " has no quoted value");
        std::size_t close = xml_.find(xml_[p], p + 1);
        if (close == std::string_view::npos)
            return fail_at(p, "value of attribute " + std::string(attribute_name) + " is not closed");
        if (attributes_.size() == max_attributes_) {
            error_ = core::make_error("xml.too_many_attributes", "an element has more than " +
                                                                     std::to_string(max_attributes_) + " attributes");
            return last_ = Event::error;
        }
        for (const auto& other : attributes_)
            if (other.name == attribute_name)
                return fail_at(a, "attribute " + std::string(attribute_name) + " appears twice");
        attributes_.push_back({attribute_name, xml_.substr(p + 1, close - p - 1)});
        p = close + 1;
    }
    if (static_cast<int>(open_.size()) >= max_depth_) {
        error_ = core::make_error("xml.too_deep", "XML nesting exceeds the limit of " + std::to_string(max_depth_));
        return last_ = Event::error;
    }
    pos_ = p;
    open_.push_back({name_, bindings_.size()});
    seen_root_ = true;
    for (const auto& a : attributes_) {
        std::string_view prefix;
        if (a.name == "xmlns") prefix = {};
        else if (a.name.starts_with("xmlns:")) prefix = a.name.substr(6);
        else continue;
        auto uri = decode(a.raw, true, true);
        if (!uri) return fail_at(at, "a character reference to a character XML does not allow");
        bindings_.push_back({prefix, *uri});
    }
    auto colon = name_.find(':');
    local_ = colon == std::string_view::npos ? name_ : name_.substr(colon + 1);
    uri_ = resolve(colon == std::string_view::npos ? std::string_view{} : name_.substr(0, colon));
    pending_end_ = self_closing;
    return last_ = Event::start_element;
}

PullParser::Event PullParser::end_tag() {
    std::size_t p = pos_ + 2;
    if (p >= xml_.size() || !is_name_start(xml_[p])) return fail("expected an element name after '</'");
    std::size_t name_end = p + 1;
    while (name_end < xml_.size() && is_name(xml_[name_end])) ++name_end;
    std::string_view closing = xml_.substr(p, name_end - p);
    p = name_end;
    while (p < xml_.size() && is_space(xml_[p])) ++p;
    if (p >= xml_.size() || xml_[p] != '>') return fail_at(p, "end tag </" + std::string(closing) + " is not closed");
    if (closing != open_.back().name)
        return fail("end tag </" + std::string(closing) + "> does not match <" + std::string(open_.back().name) + ">");
    pos_ = p + 1;
    name_ = closing;
    auto colon = name_.find(':');
    local_ = colon == std::string_view::npos ? name_ : name_.substr(colon + 1);
    bindings_.resize(open_.back().bindings);
    open_.pop_back();
    return last_ = Event::end_element;
}

bool PullParser::skip_element() {
    const int depth = this->depth();
    for (;;) {
        Event e = next();
        if (e == Event::error) return false;
        if (e == Event::end_element && this->depth() < depth) return true;
        if (e == Event::end_document) return true;  // cannot happen inside an element
    }
}

PullParser::Event PullParser::finish() {
    while (last_ != Event::end_document && last_ != Event::error) next();
    return last_;
}

std::optional<std::string_view> PullParser::attribute(std::string_view ns, std::string_view local) {
    for (const auto& a : attributes_) {
        auto colon = a.name.find(':');
        if (colon == std::string_view::npos) {
            // Unprefixed attributes have no namespace.
            if (!(ns.empty() && a.name == local)) continue;
        } else {
            std::string_view prefix = a.name.substr(0, colon);
            if (prefix == "xmlns" || a.name.substr(colon + 1) != local || resolve(prefix) != ns) continue;
        }
        auto value = decode(a.raw, true, true);
        if (!value) return std::string_view{};
        return value;
    }
    return std::nullopt;
}

}  // namespace soap
