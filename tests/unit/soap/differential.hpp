#pragma once
// The rules by which a decoder built on soap::PullParser / soap::Tree is compared with the tinyxml2
// DOM decoder it replaced (tests/unit/cmp/test_codec_differential.cpp,
// tests/unit/cwmp/decode_differential_test.cpp, tests/fuzz/xml_differential.cpp):
//   - what the new decoder accepts, the DOM accepted, with an equal result;
//   - what both refuse, they refuse with the same code and message, or both as xml.* (the two
//     parsers word well-formedness differently; size and DOCTYPE are one shared check);
//   - only for corrupted input (input that is not XML) may the new decoder refuse, as xml.*,
//     what the DOM accepted or refused for another reason: tinyxml2 took text or a second
//     element outside the root, "<!x>", a NUL byte after the root (docs/performance.md, "the XML and crypto path");
//   - tinyxml2 keeps an '&' that starts no reference, but after an earlier reference in the same
//     value writes a stale byte of its input instead, and reads "&#1#;" as U+0000, which cuts the
//     value: where the results differ, the new one must equal the DOM's for the same document with
//     those '&' written "&amp;".
#include <cctype>
#include <string>
#include <string_view>
#include <utility>

#include "bridge/core/result.hpp"

namespace xml_differential {

inline bool starts_reference(std::string_view rest) {
    for (std::string_view r : {"amp;", "lt;", "gt;", "quot;", "apos;"})
        if (rest.starts_with(r)) return true;
    if (!rest.starts_with("#")) return false;
    bool hex = rest.starts_with("#x");
    std::size_t i = hex ? 2 : 1, first = i;
    while (i < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[i])) ||
                               (hex && std::isxdigit(static_cast<unsigned char>(rest[i])))))
        ++i;
    return i > first && i < rest.size() && rest[i] == ';';
}

// The document with every '&' that starts no reference written "&amp;", outside CDATA sections
// and comments (where '&' is plain text).
inline std::string escape_bare_ampersands(std::string_view doc) {
    std::string out;
    for (std::size_t i = 0; i < doc.size();) {
        for (auto [open, close] :
             {std::pair<std::string_view, std::string_view>{"<![CDATA[", "]]>"}, {"<!--", "-->"}}) {
            if (doc.substr(i).starts_with(open)) {
                std::size_t end = doc.find(close, i + open.size());
                end = end == std::string_view::npos ? doc.size() : end + close.size();
                out += doc.substr(i, end - i);
                i = end;
            }
        }
        if (i >= doc.size()) break;
        out += doc[i];
        if (doc[i] == '&' && !starts_reference(doc.substr(i + 1))) out += "amp;";
        ++i;
    }
    return out;
}

enum class Outcome { accepted_alike, refused_alike, stricter, bare_ampersand, mismatch };

struct Verdict {
    Outcome outcome;
    std::string why;  // for a mismatch
};

// dom_decode(document) decodes another document the DOM way, with the same options.
template <class T, class DomDecode>
Verdict compare(const core::Result<T>& dom, const core::Result<T>& fresh, bool corrupted, std::string_view doc,
                DomDecode&& dom_decode) {
    if (fresh) {
        if (!dom) return {Outcome::mismatch, "accepted only by the new decoder"};
        if (*fresh == *dom) return {Outcome::accepted_alike, {}};
        std::string escaped = escape_bare_ampersands(doc);
        if (escaped == doc) return {Outcome::mismatch, "decoded differently"};
        auto repaired = dom_decode(escaped);
        if (!repaired || !(*fresh == *repaired))
            return {Outcome::mismatch, "decoded differently, even with bare '&' escaped"};
        return {Outcome::bare_ampersand, {}};
    }
    const core::Error& e = fresh.error();
    const bool xml_error = e.code.starts_with("xml.");
    if (dom || !dom.error().code.starts_with("xml.")) {
        if (corrupted && xml_error) return {Outcome::stricter, {}};
        if (dom) return {Outcome::mismatch, "refused only by the new decoder (" + e.code + ": " + e.message + ")"};
        if (e.code != dom.error().code || e.message != dom.error().message)
            return {Outcome::mismatch, "refused differently: " + e.code + ": " + e.message + " / " +
                                           dom.error().code + ": " + dom.error().message};
        return {Outcome::refused_alike, {}};
    }
    const std::string& d = dom.error().code;
    if (!xml_error) return {Outcome::mismatch, "refused differently: " + e.code + " / " + d};
    bool shared_check = d == "xml.too_large" || d == "xml.doctype" || e.code == "xml.too_large" ||
                        e.code == "xml.doctype";
    if (shared_check && e.code != d) return {Outcome::mismatch, "refused differently: " + e.code + " / " + d};
    return {Outcome::refused_alike, {}};
}

}  // namespace xml_differential
