// soap::PullParser: the events of a document, namespaces by URI, values as the DOM path gives
// them, and the same refusals (size, depth, DOCTYPE/ENTITY, not well-formed) with a position.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bridge/soap/pull.hpp"

namespace {

using Event = soap::PullParser::Event;

// The events as text: "<{uri}local", ">local", "'text'", "end", or "error:code".
std::vector<std::string> events(std::string_view xml, const soap::Limits& limits = {}) {
    soap::PullParser p(xml, limits);
    std::vector<std::string> out;
    for (;;) {
        switch (p.next()) {
            case Event::start_element:
                out.push_back("<{" + std::string(p.namespace_uri()) + "}" + std::string(p.local_name()));
                break;
            case Event::end_element: out.push_back(">" + std::string(p.local_name())); break;
            case Event::text: out.push_back("'" + std::string(p.text()) + "'"); break;
            case Event::end_document: out.push_back("end"); return out;
            case Event::error: out.push_back("error:" + p.error().code); return out;
        }
    }
}

std::string first_text(std::string_view xml) {
    soap::PullParser p(xml);
    std::string out;
    for (Event e = p.next(); e != Event::end_document && e != Event::error; e = p.next())
        if (e == Event::text) out += p.text();
    REQUIRE_MESSAGE(p.error().code.empty(), p.error().message);
    return out;
}

std::string error_of(std::string_view xml, const soap::Limits& limits = {}) {
    soap::PullParser p(xml, limits);
    return p.finish() == Event::error ? p.error().code + " " + p.error().message : "";
}

}  // namespace

TEST_CASE("events: elements, text runs, self-closing elements, the end of the document") {
    CHECK(events("<?xml version='1.0'?>\n<!-- c --><a x='1'>t<b/>u<!--k-->v<c>\n  </c></a>\n<!-- after -->") ==
          std::vector<std::string>{"<{}a", "'t'", "<{}b", ">b", "'u'", "'v'", "<{}c", ">c", ">a", "end"});
}

TEST_CASE("namespaces are resolved by URI, in scope, whatever the prefix") {
    CHECK(events("<e:A xmlns:e='urn:e' xmlns='urn:d'><B/><e:C xmlns:e='urn:f'/><x:D/><E xmlns=''/></e:A>") ==
          std::vector<std::string>{"<{urn:e}A", "<{urn:d}B", ">B", "<{urn:f}C", ">C", "<{}D", ">D", "<{}E", ">E",
                                   ">A", "end"});
    soap::PullParser p("<a xmlns:s='urn:s' s:flag='1&amp;2' flag='plain' other:flag='x'/>");
    REQUIRE(p.next() == Event::start_element);
    CHECK(p.attribute("urn:s", "flag") == "1&2");
    CHECK(p.attribute("", "flag") == "plain");
    CHECK_FALSE(p.attribute("urn:none", "flag"));
}

TEST_CASE("values as the DOM path gives them: references, line ends, CDATA, white space") {
    CHECK(first_text("<a>x &lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x10FFFF;</a>") == "x <>&\"' AB\xF4\x8F\xBF\xBF");
    // An unknown entity or a malformed character reference is kept as written (tinyxml2 does).
    CHECK(first_text("<a>AT&T &unknown; &#12 &#xZ; &</a>") == "AT&T &unknown; &#12 &#xZ; &");
    CHECK(first_text("<a>1\r\n2\r3\n\r4</a>") == "1\n2\n3\n4");
    CHECK(first_text("<a><![CDATA[<&amp;>\r\n]]></a>") == "<&amp;>\n");
    CHECK(first_text("<a>  <![CDATA[  ]]> x </a>") == "   x ");  // an all-space run is not text; CDATA is
    CHECK(first_text("<a>   </a>").empty());
}

TEST_CASE("refusals: size, depth, DOCTYPE and ENTITY before anything is read") {
    soap::Limits small;
    small.max_bytes = 10;
    CHECK(error_of("<a>0123456789</a>", small).starts_with("xml.too_large"));
    CHECK(error_of("<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>").starts_with("xml.doctype"));
    CHECK(error_of("<a><!entity x></a>").starts_with("xml.doctype"));
    soap::Limits shallow;
    shallow.max_depth = 3;
    CHECK(error_of("<a><b><c/></b></a>", shallow).empty());
    CHECK(error_of("<a><b><c><d/></c></b></a>", shallow).starts_with("xml.too_deep"));
    // The duplicate-attribute check compares each with those before it: their number is bounded.
    auto with_attributes = [](int n) {
        std::string xml = "<a";
        for (int i = 0; i < n; ++i) xml += " a" + std::to_string(i) + "=''";
        return xml + "/>";
    };
    CHECK(error_of(with_attributes(64)).empty());
    CHECK(error_of(with_attributes(65)).starts_with("xml.too_many_attributes"));
    CHECK(error_of(with_attributes(40000)).starts_with("xml.too_many_attributes"));
}

TEST_CASE("not well-formed: refused with the line and column") {
    CHECK(error_of("<a>\n  <b></a>") == "xml.malformed malformed XML at line 2, column 6: end tag </a> does not match <b>");
    CHECK(error_of("<a x='1' x='2'/>").find("attribute x appears twice") != std::string::npos);
    CHECK(error_of("").starts_with("xml.malformed"));
    CHECK(error_of(std::string_view("<a>x\0y</a>", 10)) == "xml.malformed malformed XML at line 1, column 5: a NUL byte");
    CHECK(error_of(" \n ").starts_with("xml.malformed"));
    CHECK(error_of("<?xml version='1.0'?><!-- no root -->").starts_with("xml.empty"));
    for (std::string_view bad : {"<a>", "<a", "<a x>", "<a x=1/>", "<a x='1/>", "<a></b>", "</a>", "<a/><b/>",
                                 "<a/>text", "text<a/>", "<a><?pi x?></a>", "<!-- c --><?xml version='1.0'?><a/>",
                                 "<a><!-- x</a>", "<a><![CDATA[x</a>", "<a><!x></a>", "<a>&#0;</a>",
                                 "<a>&#xD800;</a>", "<a>&#x110000;</a>", "< a/>", "<a></a x='1'>", "<1a/>"}) {
        CAPTURE(bad);
        CHECK(error_of(bad).starts_with("xml."));
    }
}

TEST_CASE("skip_element reads through the element just started, nested or self-closing") {
    soap::PullParser p("<r><skip><x><y/>t</x></skip><keep/><skip2/><last>v</last></r>");
    REQUIRE(p.next() == Event::start_element);
    REQUIRE(p.next() == Event::start_element);
    CHECK(p.skip_element());
    REQUIRE(p.next() == Event::start_element);
    CHECK(p.local_name() == "keep");
    REQUIRE(p.next() == Event::end_element);
    REQUIRE(p.next() == Event::start_element);
    CHECK(p.skip_element());
    REQUIRE(p.next() == Event::start_element);
    CHECK(p.local_name() == "last");
    CHECK(p.depth() == 2);
    REQUIRE(p.next() == Event::text);
    CHECK(p.text() == "v");
    CHECK(p.finish() == Event::end_document);
    soap::PullParser bad("<r><skip><x></skip></r>");
    bad.next();
    bad.next();
    CHECK_FALSE(bad.skip_element());
}
