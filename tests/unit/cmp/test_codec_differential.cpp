// The one-pass CMP decoder (bridge/cmp/decode.cpp) against the DOM decoding it replaced
// (dom_codec.cpp): every CMP message this project has decodes to the same Request/Response or
// is refused with the same error, and so do thousands of corruptions of each, by the rules of
// tests/unit/soap/differential.hpp.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bridge/cmp/codec.hpp"
#include "dom_codec.hpp"
#include "tests/unit/soap/differential.hpp"
#include "examples/cmp-gateway-sim/gateway_model.hpp"

using namespace cmp;

namespace {

namespace fs = std::filesystem;

const fs::path kSource = BRIDGE_SOURCE_DIR;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Corpus {
    std::vector<std::string> docs;
    std::size_t fuzz = 0, docs_examples = 0, traces = 0, generated = 0, simulator = 0, hand = 0;
};

// Every ```xml block of docs/cmp-protocol.md.
void add_doc_examples(Corpus& c) {
    std::string md = read_file(kSource / "docs/cmp-protocol.md");
    REQUIRE_FALSE(md.empty());
    for (std::size_t at = md.find("```xml\n"); at != std::string::npos; at = md.find("```xml\n", at)) {
        at += 7;
        std::size_t end = md.find("```", at);
        REQUIRE(end != std::string::npos);
        c.docs.push_back(md.substr(at, end - at));
        ++c.docs_examples;
        at = end + 3;
    }
}

// The CMP messages recorded in the trace corpus (one envelope per line in the YAML).
void add_traces(Corpus& c) {
    for (const auto& entry : fs::recursive_directory_iterator(kSource / "tests/traces")) {
        if (entry.path().extension() != ".yaml") continue;
        std::istringstream lines(read_file(entry.path()));
        for (std::string line; std::getline(lines, line);) {
            std::size_t start = line.find_first_not_of(' ');
            if (start == std::string::npos || line[start] != '<' || line.find(kNamespace) == std::string::npos)
                continue;
            c.docs.push_back(line.substr(start));
            ++c.traces;
        }
    }
}

std::string sample_value(const FieldSpec& s, int n) {
    switch (s.type) {
        case Type::String: return s.name + "-" + std::to_string(n) + " <&> \"q\" 'a'\r\n\tx";
        case Type::Int: return std::to_string(-40 + n);
        case Type::UnsignedInt: return std::to_string(4000000000u + static_cast<unsigned>(n));
        case Type::UnsignedLong: return "18446744073709551" + std::to_string(100 + n);
        case Type::Boolean: return n % 2 ? "true" : "false";
        case Type::DateTime: return "2024-11-25T10:2" + std::to_string(n % 10) + ":00Z";
        case Type::List: break;
    }
    return {};
}

Record sample_record(const std::vector<FieldSpec>& specs, int n) {
    Record r;
    for (const auto& s : specs) {
        if (s.type == Type::List) r.add_list(s.name, {sample_record(s.item_fields, n + 1), {}});
        else r.set(s.name, sample_value(s, n));
    }
    return r;
}

// A request and a response of every catalogue function, encoded by the codec; and what the
// gateway simulator answers to each request.
void add_generated(Corpus& c) {
    const auto& cat = Catalogue::builtin();
    sim::GatewayModel model("GW-0001", sim::GatewayModel::Clock::now());
    for (const auto& f : cat.functions()) {
        Request q{{"GW-0001", "tx-" + f.name, "2024-11-25T10:20:00Z"}, f.name, sample_record(f.request, 0)};
        if (q.args.has("rgId")) q.args.set("rgId", "GW-0001");
        c.docs.push_back(encode(q));
        c.docs.push_back(encode(Response{q.header, f.name, 0, "OK & done", sample_record(f.response, 3)}));
        c.generated += 2;
        c.docs.push_back(encode(model.handle(q)));
        ++c.simulator;
    }
    c.docs.push_back(encode(model.make_registration()));
    ++c.simulator;
    Fault fault;
    fault.fault_string = "no <such> function";
    fault.function = "getRgInfo";
    fault.header = {"GW-0001", "7", "2024-11-25T10:20:00Z"};
    c.docs.push_back(encode(fault));
    c.docs.push_back(encode(fault_for(core::make_error("cmp.must_understand", "x"))));
    c.generated += 2;
}

// Hand-written messages for what the encoder never writes: other prefixes, default namespaces,
// comments, CDATA, references, CR LF, foreign elements, faults in other shapes, each refusal.
void add_hand_written(Corpus& c) {
    const std::string env = "http://schemas.xmlsoap.org/soap/envelope/";
    const std::string ns(kNamespace);
    auto wrap = [&](const std::string& body, const std::string& header = "") {
        return "<s:Envelope xmlns:s='" + env + "' xmlns:c='" + ns + "'>" + header + "<s:Body>" + body +
               "</s:Body></s:Envelope>";
    };
    const std::vector<std::string> hand = {
        "<?xml version='1.0'?>\n<e:Envelope xmlns:e='" + env + "' xmlns:h='" + ns +
            "'>\r\n <e:Header>\n <h:rgId> GW-0009 </h:rgId><h:transactionId>t1</h:transactionId>"
            "<x:trace xmlns:x='urn:example:trace'>abc</x:trace></e:Header>\n <e:Body>\n"
            "<getRgDiskRscResponse xmlns='" + ns + "'>\n <resultCode> 0 </resultCode><resultMsg>fi&amp;ne&#x41;&#66;"
            "</resultMsg>\n<disk>\n<diskInfo><name>usb1</name><totalMB>100</totalMB><!-- c --></diskInfo>"
            "<diskInfo><name><![CDATA[a<b\r\nc]]> x &unknown; &#xZZ; &#12</name></diskInfo>\n</disk>\n"
            "<v:ext xmlns:v='urn:vendor'><deep>ignored</deep></v:ext></getRgDiskRscResponse>\n</e:Body>\n</e:Envelope>",
        "\xEF\xBB\xBF<s:Envelope xmlns:s=\"" + env + "\"><s:Body><c:setRgNetInfo xmlns:c=\"" + ns +
            "\" a=\"1\"b='2'><wan><item><x>1</x><y> <!--k-->2<![CDATA[]]> </y></item></wan>"
            "<z>a\rb\n\rc</z><q></q><r/></c:setRgNetInfo></s:Body></s:Envelope>",
        wrap("<c:getRgInfo><rgId>GW</rgId></c:getRgInfo>",
             "<s:Header><c:rgId>A</c:rgId><c:rgId>B</c:rgId><m:x xmlns:m='urn:m' s:mustUnderstand='0'/></s:Header>"),
        wrap("<c:getRgInfo/>", "<s:Header><m:x xmlns:m='urn:m' s:mustUnderstand='true'/></s:Header>"),
        wrap("<c:getRgInfo/>", "<s:Header><m:x xmlns:m='urn:m' mustUnderstand='1'/></s:Header>"),
        wrap("<c:getRgInfo/>") + "<!-- after -->\n",
        wrap("<s:Fault><faultcode>s:Server.busy</faultcode><faultstring>down &amp; out</faultstring>"
             "<detail><c:CMPFault><function>getRgInfo</function><resultCode> 5 </resultCode>"
             "<resultMsg>busy</resultMsg></c:CMPFault></detail></s:Fault>"),
        wrap("<s:Fault><faultcode><!--x-->s:Server</faultcode><faultstring>a<b/>b</faultstring>"
             "<detail><CMPFault><function>not a name</function><resultCode>x</resultCode></CMPFault>"
             "<CMPFault><resultCode>3</resultCode></CMPFault></detail></s:Fault>"),
        wrap("<s:Fault><faultcode>Client</faultcode></s:Fault>"),
        wrap("<c:getRgInfoResponse><x:resultCode xmlns:x='urn:x'>0</x:resultCode><resultCode>0</resultCode>"
             "</c:getRgInfoResponse>"),
        wrap("<c:getRgInfoResponse><dup>1</dup><dup>2</dup><resultCode>zero</resultCode></c:getRgInfoResponse>"),
        wrap("<c:getRgInfoResponse><resultCode>1</resultCode><resultCode>x</resultCode><resultMsg>a</resultMsg>"
             "<resultMsg>b</resultMsg><o>1</o></c:getRgInfoResponse>"),
        wrap("<c:getRgDiskRscResponse><resultCode>0</resultCode><disk>x<item/></disk></c:getRgDiskRscResponse>"),
        wrap("<c:getRgDiskRscResponse><resultCode>0</resultCode><disk><item>t</item></disk></c:getRgDiskRscResponse>"),
        wrap("<c:getRgDiskRsc><diskId><x>1</x></diskId></c:getRgDiskRsc>"),
        wrap("<c:getRgDiskRsc>text<diskId>1</diskId></c:getRgDiskRsc>"),
        wrap("<c:unknownFn><a>t<b>1</b></a><c><i><j>1</j></i><i>t</i></c></c:unknownFn>"),
        wrap("<c:unknownFn><a><b>1</b><b>2</b></a></c:unknownFn>"),
        wrap("<c:getRgInfo/><c:getRgInfo/>"),
        wrap(""),
        wrap("<s:Fault/>"),
        wrap("<o:getRgInfo xmlns:o='urn:other'/>"),
        "<s:Envelope xmlns:s='" + env + "'><s:Body/><s:Header/><s:Body><c:x xmlns:c='" + ns + "'/></s:Body></s:Envelope>",
        "<s:Envelope xmlns:s='" + env + "'/>",
        "<Envelope/>",
        "<s:Envelope xmlns:s='urn:other'><s:Body/></s:Envelope>",
        "<?xml version='1.0'?><!-- only a comment -->",
        "",
        "  \n",
        "<a><b></a>",
        "<!DOCTYPE x [<!ENTITY e 'x'>]><x>&e;</x>",
    };
    for (const auto& h : hand) c.docs.push_back(h);
    c.hand = hand.size();
}

Corpus corpus() {
    Corpus c;
    add_doc_examples(c);
    for (const auto& entry : fs::directory_iterator(kSource / "tests/fuzz/corpus/cmp")) {
        c.docs.push_back(read_file(entry.path()));
        ++c.fuzz;
    }
    add_traces(c);
    add_generated(c);
    add_hand_written(c);
    return c;
}

struct Tally {
    std::size_t compared = 0, accepted = 0, refused_alike = 0, stricter = 0, bare_ampersand = 0;
};

template <class T, class DomDecode>
void compare(const core::Result<T>& dom, const core::Result<T>& pull, bool corrupted, Tally& tally,
             const std::string& doc, DomDecode&& dom_decode) {
    using xml_differential::Outcome;
    ++tally.compared;
    auto v = xml_differential::compare(dom, pull, corrupted, doc, dom_decode);
    if (v.outcome == Outcome::mismatch && pull && dom)
        FAIL(v.why << ": " << doc << "\none-pass: " << encode(*pull) << "\nDOM:      " << encode(*dom));
    REQUIRE_MESSAGE(v.outcome != Outcome::mismatch, v.why << ": " << doc);
    switch (v.outcome) {
        case Outcome::accepted_alike: ++tally.accepted; break;
        case Outcome::refused_alike: ++tally.refused_alike; break;
        case Outcome::bare_ampersand: ++tally.bare_ampersand; break;
        case Outcome::stricter:
            ++tally.stricter;
            if (std::getenv("DIFF_SHOW_STRICTER")) MESSAGE("refused only by the one-pass decoder: " << doc);
            break;
        case Outcome::mismatch: break;
    }
}

void compare_all(const std::string& doc, bool corrupted, Tally& tally) {
    const Catalogue* cat = &Catalogue::builtin();
    for (const Catalogue* c : {static_cast<const Catalogue*>(nullptr), cat}) {
        compare(dom::decode_request(doc, {}, c), decode_request(doc, {}, c), corrupted, tally, doc,
                [c](const std::string& d) { return dom::decode_request(d, {}, c); });
        compare(dom::decode_response(doc, {}, c), decode_response(doc, {}, c), corrupted, tally, doc,
                [c](const std::string& d) { return dom::decode_response(d, {}, c); });
    }
    compare(dom::decode_response(doc, {}, cat, "getRgInfo"), decode_response(doc, {}, cat, "getRgInfo"), corrupted,
            tally, doc, [cat](const std::string& d) { return dom::decode_response(d, {}, cat, "getRgInfo"); });
}

}  // namespace

TEST_CASE("differential: every CMP message of the project decodes as through the DOM") {
    Corpus c = corpus();
    MESSAGE("corpus: " << c.docs_examples << " docs/cmp-protocol.md examples, " << c.fuzz << " fuzz seeds, "
                       << c.traces << " trace messages, " << c.generated << " generated, " << c.simulator
                       << " simulator answers, " << c.hand << " hand-written");
    CHECK(c.docs_examples >= 3);
    CHECK(c.traces >= 50);
    Tally tally;
    for (const auto& doc : c.docs) compare_all(doc, false, tally);
    MESSAGE(tally.compared << " decodes compared: " << tally.accepted << " accepted alike, " << tally.refused_alike
                           << " refused alike");
    CHECK(tally.stricter == 0);
    CHECK(tally.accepted > 500);
}

TEST_CASE("differential: corruptions of every message decode, or are refused, as through the DOM") {
    Corpus c = corpus();
    Tally tally;
    const char replacements[] = {'<', '>', '/', '&', ';', '"', '\'', ' ', '\r', 'x', ':', '=', '!', '?', '-', '#', ']', '\0'};
    std::size_t d = 0;
    for (const auto& doc : c.docs) {
        // A different byte stride per document keeps the run short but covers every offset class.
        const std::size_t stride = 5 + d++ % 7;
        for (std::size_t n = 0; n < doc.size(); n += stride) compare_all(doc.substr(0, n), true, tally);
        for (std::size_t i = 0; i < doc.size(); i += stride) {
            std::string m = doc;
            m[i] = replacements[(i / stride) % sizeof replacements];
            compare_all(m, true, tally);
            compare_all(doc.substr(0, i) + doc.substr(i + 1), true, tally);
        }
    }
    MESSAGE(tally.compared << " decodes of corrupted messages compared: " << tally.accepted << " accepted alike, "
                           << tally.refused_alike << " refused alike, " << tally.stricter
                           << " refused as not XML by the one-pass decoder only, " << tally.bare_ampersand
                           << " alike once bare '&' are escaped");
    CHECK(tally.accepted > 1000);
}
