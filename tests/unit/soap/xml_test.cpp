// The shared SOAP/XML layer: what it refuses to parse and what its writer
// guarantees (every output is well-formed XML 1.0 whatever the input bytes).
#include <doctest/doctest.h>

#include <string>

#include "bridge/soap/xml.hpp"

namespace {

std::string escaped(std::string_view v, bool attribute = false) {
    std::string out;
    soap::append_escaped(out, v, attribute);
    return out;
}

// Round trip through a real parser: the writer's output must parse and give back `expected`.
std::string reparsed_text(std::string_view value) {
    soap::Writer w;
    w.start("v").text(value).end("v");
    auto doc = soap::parse(w.str());
    REQUIRE_MESSAGE(static_cast<bool>(doc), w.str());
    const char* t = (*doc)->RootElement()->GetText();
    return t ? t : "";
}

}  // namespace

TEST_CASE("markup characters are escaped; plain text is copied as is") {
    CHECK(escaped("plain ASCII 123") == "plain ASCII 123");
    CHECK(escaped("a<b>&c") == "a&lt;b&gt;&amp;c");
    CHECK(escaped("say \"hi\"") == "say \"hi\"");
    CHECK(escaped("say \"hi\"", true) == "say &quot;hi&quot;");
    CHECK(escaped("a\r\nb") == "a&#13;\nb");
    CHECK(escaped("a\n\tb", true) == "a&#10;&#9;b");
}

TEST_CASE("characters XML 1.0 forbids become U+FFFD instead of breaking the message") {
    CHECK(escaped(std::string("a\x01" "b", 3)) == "a\xEF\xBF\xBD" "b");
    CHECK(escaped(std::string("\0", 1)) == "\xEF\xBF\xBD");
    CHECK(escaped("\x1F\x0B") == "\xEF\xBF\xBD\xEF\xBF\xBD");
    // Valid multi-byte UTF-8 passes untouched.
    CHECK(escaped("K\xC3\xBC" "che \xE2\x82\xAC \xF0\x9F\x98\x80") == "K\xC3\xBC" "che \xE2\x82\xAC \xF0\x9F\x98\x80");
    // Invalid UTF-8: stray continuation, truncated sequence, overlong, surrogate, > U+10FFFF, U+FFFF.
    CHECK(escaped("\x80") == "\xEF\xBF\xBD");
    CHECK(escaped("a\xE2\x82") == "a\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(escaped("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(escaped("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(escaped("\xF4\x90\x80\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(escaped("\xEF\xBF\xBF") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("whatever bytes a value holds, the written document parses") {
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    CHECK_FALSE(reparsed_text(all).empty());
    CHECK(reparsed_text("x < y && \"z\"") == "x < y && \"z\"");
}

TEST_CASE("the parser refuses DOCTYPE, oversize and over-deep input") {
    CHECK_FALSE(soap::parse("<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>").ok());
    soap::Limits small;
    small.max_bytes = 16;
    CHECK_FALSE(soap::parse("<x>01234567890123456789</x>", small).ok());
    std::string deep;
    for (int i = 0; i < 40; ++i) deep += "<a>";
    for (int i = 0; i < 40; ++i) deep += "</a>";
    CHECK_FALSE(soap::parse(deep).ok());
    CHECK(soap::parse("<a><b/></a>").ok());
}

TEST_CASE("declarations are refused in any case and anywhere; comments and CDATA are not declarations") {
    auto refused = [](std::string_view xml) {
        auto r = soap::parse(xml);
        return !r.ok() && r.error().code == "xml.doctype";
    };
    CHECK(refused("<!doctype x><x/>"));
    CHECK(refused("<x><!-- a --></x><!DocType y>"));
    CHECK(refused("<x/><!ENTITY e 'x'>"));
    CHECK(refused("<x><![CDATA[<!entity]]></x>"));  // refused wherever it appears, as before
    CHECK(refused("<!<!DOCTYPE x><x/>"));
    CHECK(soap::parse("<x><!-- <! DOCTYPE --><![CDATA[<!ENTIT]]></x>").ok());
    CHECK(soap::parse("<x>&lt;!DOCTYPE</x>").ok());
    CHECK_FALSE(refused("<x/><!"));  // malformed, not a declaration
}

TEST_CASE("namespaces resolve through the declarations in scope, nearest first") {
    auto doc = soap::parse(
        "<r xmlns='urn:default' xmlns:c='urn:c' xmlns:cm='urn:cm'>"
        "<c:a><b/><cm:d xmlns='urn:inner'><e/></cm:d></c:a><x:y/><xmlns:z/></r>");
    REQUIRE(doc.ok());
    const tinyxml2::XMLElement* r = (*doc)->RootElement();
    const tinyxml2::XMLElement* a = r->FirstChildElement();
    const tinyxml2::XMLElement* b = a->FirstChildElement();
    const tinyxml2::XMLElement* d = b->NextSiblingElement();
    const tinyxml2::XMLElement* e = d->FirstChildElement();
    const tinyxml2::XMLElement* y = a->NextSiblingElement();
    CHECK(soap::namespace_of(r) == "urn:default");
    CHECK(soap::namespace_of(a) == "urn:c");
    CHECK(soap::namespace_of(b) == "urn:default");
    CHECK(soap::namespace_of(d) == "urn:cm");
    CHECK(soap::namespace_of(e) == "urn:inner");
    CHECK(soap::namespace_of(y).empty());  // undeclared prefix
    CHECK(soap::resolve_prefix(e, "xml") == "http://www.w3.org/XML/1998/namespace");
    CHECK(soap::resolve_prefix(e, "cm") == "urn:cm");
    CHECK(soap::resolve_prefix(e, "m").empty());
    CHECK(soap::resolve_prefix(e, "xmlns").empty());
}
