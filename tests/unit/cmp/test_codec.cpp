#include <doctest/doctest.h>

#include <string>

#include "bridge/cmp/codec.hpp"

using namespace cmp;

namespace {

// A plausible value of each type; strings carry XML metacharacters so that
// every round trip also exercises escaping.
std::string sample_value(const FieldSpec& s, int n) {
    switch (s.type) {
        case Type::String: return s.name + "-" + std::to_string(n) + " <&> \"q\" 'a'";
        case Type::Int: return std::to_string(-40 + n);
        case Type::UnsignedInt: return std::to_string(4000000000u + static_cast<unsigned>(n));
        case Type::UnsignedLong: return "1844674407370955" + std::to_string(1000 + n);
        case Type::Boolean: return n % 2 ? "true" : "false";
        case Type::DateTime: return "2024-11-25T10:2" + std::to_string(n % 10) + ":00Z";
        case Type::List: break;
    }
    return {};
}

Record sample_record(const std::vector<FieldSpec>& specs, int n) {
    Record r;
    for (const auto& s : specs) {
        if (s.type == Type::List) r.add_list(s.name, {sample_record(s.item_fields, n + 1), sample_record(s.item_fields, n + 2)});
        else r.set(s.name, sample_value(s, n));
    }
    return r;
}

Header sample_header(std::string_view function) {
    return {"GW-0001", "tx-" + std::string(function), "2024-11-25T10:20:00Z"};
}

Request sample_request(const FunctionSpec& f) {
    Request q{sample_header(f.name), f.name, sample_record(f.request, 0)};
    if (q.args.has("rgId")) q.args.set("rgId", q.header.rg_id);
    return q;
}

Response sample_response(const FunctionSpec& f) {
    return Response{sample_header(f.name), f.name, 0, "OK & done", sample_record(f.response, 3)};
}

const std::string kEnv = "http://schemas.xmlsoap.org/soap/envelope/";

}  // namespace

TEST_CASE("round trip of a request and a response for every catalogue function") {
    const auto& cat = Catalogue::builtin();
    for (const auto& f : cat.functions()) {
        CAPTURE(f.name);
        Request q = sample_request(f);
        REQUIRE(cat.validate(q));
        std::string wire = encode(q);
        auto back = decode_request(wire, {}, &cat);
        REQUIRE_MESSAGE(back, (back ? "" : back.error().message));
        CHECK(*back == q);
        CHECK(cat.validate(*back));

        Response r = sample_response(f);
        REQUIRE(cat.validate(r));
        wire = encode(r);
        auto rback = decode_response(wire, {}, &cat, f.name);
        REQUIRE_MESSAGE(rback, (rback ? "" : rback.error().message));
        CHECK(*rback == r);
        CHECK(cat.validate(*rback));

        // Non-empty lists need no catalogue to be recognised.
        auto generic = decode_response(wire);
        REQUIRE(generic);
        CHECK(*generic == r);
    }
}

TEST_CASE("empty lists and empty strings survive with the catalogue") {
    const auto& cat = Catalogue::builtin();
    Response r{sample_header("getRgDiskRsc"), "getRgDiskRsc", 0, "", {}};
    r.fields.add_list("disk", {});
    std::string wire = encode(r);
    CHECK(wire.find("<disk/>") != std::string::npos);
    auto back = decode_response(wire, {}, &cat);
    REQUIRE(back);
    CHECK(*back == r);
    // Without the catalogue an empty container is indistinguishable from an empty scalar.
    auto generic = decode_response(wire);
    REQUIRE(generic);
    REQUIRE(generic->fields.scalar("disk"));
    CHECK(generic->fields.scalar("disk")->empty());

    Request q{sample_header("getRgDiskRsc"), "getRgDiskRsc", {}};
    q.args.set("diskId", "");
    auto qb = decode_request(encode(q), {}, &cat);
    REQUIRE(qb);
    CHECK(*qb == q);
}

TEST_CASE("wire form: namespace, prefixes, header, item elements, escaping") {
    Request q{{"GW-7", "42", "2024-11-25T10:20:00Z"}, "ctrlHomeDev", {}};
    Record a;
    a.set("name", "NewTargetValue").set("value", "1 < 2 & \"3\"\r\n");
    q.args.set("devId", "d1").add_list("arg", {a});
    std::string wire = encode(q);
    CHECK(wire.find("xmlns:cmp=\"urn:iso:std:iso-iec:29104:-1:cmp:1\"") != std::string::npos);
    CHECK(wire.find("<cmp:rgId>GW-7</cmp:rgId>") != std::string::npos);
    CHECK(wire.find("<cmp:transactionId>42</cmp:transactionId>") != std::string::npos);
    CHECK(wire.find("<cmp:ctrlHomeDev><devId>d1</devId><arg><item><name>NewTargetValue</name>") != std::string::npos);
    CHECK(wire.find("1 &lt; 2 &amp; \"3\"&#13;\n") != std::string::npos);
    auto back = decode_request(wire);
    REQUIRE(back);
    CHECK(*back == q);

    Response r = make_response(q, result_code::device_error, "<refused>");
    std::string rw = encode(r);
    CHECK(rw.find("<cmp:ctrlHomeDevResponse><resultCode>9</resultCode><resultMsg>&lt;refused&gt;</resultMsg>") !=
          std::string::npos);
}

TEST_CASE("characters XML cannot carry are replaced, never emitted") {
    Request q{sample_header("getRgLog"), "deregRg", {}};
    q.args.set("reason", std::string("a\x01" "b\x1f" "c", 5));
    std::string wire = encode(q);
    auto back = decode_request(wire);
    REQUIRE(back);
    CHECK(*back->args.scalar("reason") == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
}

TEST_CASE("decoding is prefix-independent: a hand-written message with other prefixes") {
    const std::string xml =
        "<?xml version='1.0'?>\n"
        "<e:Envelope xmlns:e='" + kEnv + "' xmlns:h='urn:iso:std:iso-iec:29104:-1:cmp:1'>\n"
        "  <e:Header>\n"
        "    <h:rgId> GW-0009 </h:rgId><h:transactionId>t1</h:transactionId>\n"
        "    <h:timeStamp>2024-11-25T10:20:00Z</h:timeStamp>\n"
        "    <x:trace xmlns:x='urn:example:trace'>abc</x:trace>\n"
        "  </e:Header>\n"
        "  <e:Body>\n"
        "    <getRgDiskRscResponse xmlns='urn:iso:std:iso-iec:29104:-1:cmp:1'>\n"
        "      <resultCode> 0 </resultCode>\n"
        "      <resultMsg>fine</resultMsg>\n"
        "      <disk>\n"
        "        <diskInfo><name>usb1</name><totalMB>100</totalMB><!-- c --></diskInfo>\n"
        "        <diskInfo><name><![CDATA[a<b]]></name></diskInfo>\n"
        "      </disk>\n"
        "      <v:ext xmlns:v='urn:vendor'>ignored</v:ext>\n"
        "    </getRgDiskRscResponse>\n"
        "  </e:Body>\n"
        "</e:Envelope>";
    auto r = decode_response(xml, {}, &Catalogue::builtin(), "getRgDiskRsc");
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    CHECK(r->header.rg_id == "GW-0009");
    CHECK(r->header.transaction_id == "t1");
    CHECK(r->function == "getRgDiskRsc");
    CHECK(r->result_code == 0);
    CHECK(r->result_msg == "fine");
    REQUIRE(r->fields.list("disk"));
    REQUIRE(r->fields.list("disk")->size() == 2);
    CHECK((*r->fields.list("disk"))[0].get("totalMB") == "100");
    CHECK((*r->fields.list("disk"))[1].get("name") == "a<b");
    CHECK_FALSE(r->fields.has("ext"));
}

TEST_CASE("a wrong namespace is refused even with the usual prefix") {
    const std::string xml = "<s:Envelope xmlns:s='" + kEnv + "' xmlns:cmp='urn:other'><s:Body><cmp:getRgInfo/>"
                            "</s:Body></s:Envelope>";
    auto q = decode_request(xml);
    REQUIRE_FALSE(q);
    CHECK(q.error().code == "cmp.bad_namespace");
}

TEST_CASE("malformed input is refused with clear errors") {
    const std::string ns = "urn:iso:std:iso-iec:29104:-1:cmp:1";
    auto env = [&](const std::string& body, const std::string& header = "") {
        return "<s:Envelope xmlns:s='" + kEnv + "' xmlns:c='" + ns + "'>" + header + "<s:Body>" + body +
               "</s:Body></s:Envelope>";
    };
    struct Case {
        std::string xml;
        std::string code;
        bool response = false;
    };
    const Case cases[] = {
        {"", "xml.malformed"},
        {"not xml", "xml.malformed"},
        {"<a><b></a>", "xml.malformed"},
        {"<!DOCTYPE x [<!ENTITY e 'x'>]><x>&e;</x>", "xml.doctype"},
        {"<Envelope/>", "soap.bad_namespace"},
        {"<s:Envelope xmlns:s='" + kEnv + "'/>", "soap.no_body"},
        {env(""), "cmp.empty_body"},
        {env("<c:getRgInfo/><c:getRgInfo/>"), "cmp.extra_body_element"},
        {env("<c:getRgInfoResponse><resultCode>0</resultCode></c:getRgInfoResponse>"), "cmp.not_a_request"},
        {env("<s:Fault><faultcode>s:Client</faultcode></s:Fault>"), "cmp.unexpected_fault"},
        {env("<c:getRgDiskRsc><diskId><x>1</x></diskId></c:getRgDiskRsc>"), "cmp.unexpected_structure"},
        {env("<c:getRgDiskRsc>text<diskId>1</diskId></c:getRgDiskRsc>"), "cmp.unexpected_structure"},
        {env("<c:getRgDiskRsc><diskId>1</diskId><diskId>2</diskId></c:getRgDiskRsc>"), "cmp.duplicate_field"},
        {env("<c:getRgInfo/>", "<s:Header><m:x xmlns:m='urn:m' s:mustUnderstand='1'/></s:Header>"),
         "cmp.must_understand"},
        {env("<c:getRgInfo/>"), "cmp.not_a_response", true},
        {env("<c:getRgInfoResponse/>"), "cmp.missing_result_code", true},
        {env("<c:getRgInfoResponse><resultCode>zero</resultCode></c:getRgInfoResponse>"), "cmp.bad_result_code",
         true},
        {env("<c:getRgInfoResponse><resultCode>99999999999</resultCode></c:getRgInfoResponse>"),
         "cmp.bad_result_code", true},
        {env("<c:getRgDiskRscResponse><resultCode>0</resultCode><disk>x<item/></disk></c:getRgDiskRscResponse>"),
         "cmp.unexpected_structure", true},
        {env("<c:getRgTimeResponse><resultCode>0</resultCode></c:getRgTimeResponse>"), "cmp.wrong_response", true},
    };
    const auto& cat = Catalogue::builtin();
    for (const auto& c : cases) {
        CAPTURE(c.xml);
        if (c.response) {
            auto r = decode_response(c.xml, {}, &cat, c.code == "cmp.wrong_response" ? "getRgInfo" : "");
            REQUIRE_FALSE(r);
            CHECK(r.error().code == c.code);
            CHECK_FALSE(r.error().message.empty());
        } else {
            auto q = decode_request(c.xml, {}, &cat);
            REQUIRE_FALSE(q);
            CHECK(q.error().code == c.code);
            CHECK_FALSE(q.error().message.empty());
        }
    }
}

TEST_CASE("limits: size and depth") {
    Request q{sample_header("deregRg"), "deregRg", {}};
    q.args.set("reason", std::string(2000, 'x'));
    soap::Limits small;
    small.max_bytes = 1000;
    auto r = decode_request(encode(q), small);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "xml.too_large");

    std::string deep;
    for (int i = 0; i < 40; ++i) deep += "<a>";
    for (int i = 0; i < 40; ++i) deep += "</a>";
    auto d = decode_request("<s:Envelope xmlns:s='" + kEnv + "'><s:Body><c:f xmlns:c='urn:iso:std:iso-iec:29104:-1:cmp:1'>" +
                            deep + "</c:f></s:Body></s:Envelope>");
    REQUIRE_FALSE(d);
    CHECK(d.error().code == "xml.too_deep");
}

TEST_CASE("garbage and truncations never crash") {
    const auto& cat = Catalogue::builtin();
    Request q = sample_request(*cat.find("ctrlHomeDev"));
    std::string wire = encode(q);
    for (std::size_t n = 0; n < wire.size(); n += 7) {
        auto r = decode_request(std::string_view(wire).substr(0, n), {}, &cat);
        CHECK_FALSE(r);  // every strict prefix is incomplete XML
        auto s = decode_response(std::string_view(wire).substr(0, n), {}, &cat);
        CHECK_FALSE(s);
    }
    std::string mutated = wire;
    for (std::size_t i = 0; i < mutated.size(); i += 13) {
        std::string m = mutated;
        m[i] = static_cast<char>(m[i] ^ 0x5A);
        (void)decode_request(m, {}, &cat);
        (void)decode_response(m, {}, &cat);
    }
}

TEST_CASE("SOAP Faults: encoded with a CMP detail, decoded to a Response") {
    core::Error e = core::make_error("cmp.unknown_field", "getRgInfo.x: unknown field");
    Fault f = fault_for(e, "getRgInfo");
    f.header = {"GW-1", "t-5", ""};
    CHECK(f.result_code == result_code::invalid_argument);
    std::string wire = encode(f);
    CHECK(wire.find("<faultcode>SOAP-ENV:Client</faultcode>") != std::string::npos);
    CHECK(wire.find("<cmp:CMPFault><function>getRgInfo</function><resultCode>2</resultCode>") != std::string::npos);
    auto r = decode_response(wire);
    REQUIRE(r);
    CHECK(r->function == "getRgInfo");
    CHECK(r->result_code == result_code::invalid_argument);
    CHECK(r->result_msg == "cmp.unknown_field: getRgInfo.x: unknown field");
    CHECK(r->header.transaction_id == "t-5");

    // A bare fault from a generic SOAP stack.
    const std::string bare = "<S:Envelope xmlns:S='" + kEnv + "'><S:Body><S:Fault><faultcode>S:Server</faultcode>"
                             "<faultstring>boom</faultstring></S:Fault></S:Body></S:Envelope>";
    auto b = decode_response(bare, {}, nullptr, "rebootRg");
    REQUIRE(b);
    CHECK(b->function == "rebootRg");
    CHECK(b->result_code == result_code::peer_fault);
    CHECK(b->result_msg == "boom");
    auto c = decode_response("<S:Envelope xmlns:S='" + kEnv + "'><S:Body><S:Fault><faultcode>S:Client.Auth</faultcode>"
                             "</S:Fault></S:Body></S:Envelope>");
    REQUIRE(c);
    CHECK(c->result_code == result_code::malformed_message);

    Fault mu = fault_for(core::make_error("cmp.must_understand", "x"));
    CHECK(encode(mu).find("<faultcode>SOAP-ENV:MustUnderstand</faultcode>") != std::string::npos);
    CHECK(encode(fault_for(core::make_error("soap.bad_namespace", "x"))).find("SOAP-ENV:VersionMismatch") !=
          std::string::npos);
    auto mur = decode_response(encode(mu));
    REQUIRE(mur);
    CHECK(mur->result_code == result_code::malformed_message);
    CHECK(mur->function.empty());
}

TEST_CASE("result codes for decode and validation errors") {
    CHECK(result_code_for(core::make_error("cmp.unknown_function", "")) == result_code::unknown_function);
    CHECK(result_code_for(core::make_error("cmp.missing_field", "")) == result_code::invalid_argument);
    CHECK(result_code_for(core::make_error("cmp.bad_type", "")) == result_code::invalid_argument);
    CHECK(result_code_for(core::make_error("auth.bad_mac", "")) == result_code::unauthorized);
    CHECK(result_code_for(core::make_error("xml.malformed", "")) == result_code::malformed_message);
}

TEST_CASE("SOAPAction") {
    CHECK(soap_action("getRgInfo") == "\"urn:iso:std:iso-iec:29104:-1:cmp:1#getRgInfo\"");
    CHECK(function_from_soap_action(soap_action("regRg")) == "regRg");
    CHECK(function_from_soap_action("urn:iso:std:iso-iec:29104:-1:cmp:1#regRg") == "regRg");
    CHECK(function_from_soap_action("\"urn:other#regRg\"").empty());
    CHECK(function_from_soap_action("\"\"").empty());
    CHECK(function_from_soap_action("").empty());
}

TEST_CASE("structure errors name the field: function, field, list item") {
    auto env = [](const std::string& body) {
        return "<s:Envelope xmlns:s='" + kEnv + "' xmlns:c='urn:iso:std:iso-iec:29104:-1:cmp:1'><s:Body>" + body +
               "</s:Body></s:Envelope>";
    };
    const auto& cat = Catalogue::builtin();
    auto q = decode_request(env("<c:getRgDiskRsc><diskId>1</diskId><diskId>2</diskId></c:getRgDiskRsc>"), {}, &cat);
    REQUIRE_FALSE(q);
    CHECK(q.error().message == "getRgDiskRsc.diskId: field appears twice");
    q = decode_request(env("<c:getRgDiskRsc>text</c:getRgDiskRsc>"), {}, &cat);
    REQUIRE_FALSE(q);
    CHECK(q.error().message == "getRgDiskRsc: text where only elements are expected");
    auto r = decode_response(env("<c:getRgDiskRscResponse><resultCode>0</resultCode><disk>x<item/></disk>"
                                 "</c:getRgDiskRscResponse>"),
                             {}, &cat);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "getRgDiskRscResponse.disk: text inside a list");
    r = decode_response(env("<c:getRgDiskRscResponse><resultCode>0</resultCode><disk><item/><item><a>1</a><a>2</a>"
                            "</item></disk></c:getRgDiskRscResponse>"),
                        {}, &cat);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "getRgDiskRscResponse.disk[1].a: field appears twice");
}
