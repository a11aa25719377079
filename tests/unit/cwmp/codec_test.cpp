// Round trips and the codec's own rules: what it writes, what it tolerates,
// what it refuses and with which error code.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "bridge/cwmp/codec.hpp"
#include "samples.hpp"

using namespace cwmp;
using cwmp_test::envelope;
using cwmp_test::kVersions;

namespace {

// A cwmp-1-0 envelope around `body` (raw XML), with the usual prefixes.
std::string wrap(std::string_view body, std::string_view header = "",
                 std::string_view ns = "urn:dslforum-org:cwmp-1-0") {
    std::string s =
        "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:cwmp=\"";
    s += ns;
    s += "\">";
    if (!header.empty()) s += "<soap-env:Header>" + std::string(header) + "</soap-env:Header>";
    s += "<soap-env:Body>" + std::string(body) + "</soap-env:Body></soap-env:Envelope>";
    return s;
}

std::string error_code(const core::Result<Envelope>& r) { return r.ok() ? "ok" : r.error().code; }

}  // namespace

TEST_CASE("every Body alternative survives encode -> decode in every version") {
    for (Version v : kVersions) {
        std::set<std::size_t> covered;
        for (const Body& body : cwmp_test::sample_bodies(v)) {
            Envelope env = envelope(v, body);
            std::string xml = encode(env);
            CAPTURE(to_string(v));
            CAPTURE(xml);
            auto back = decode(xml);
            REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().code + " " + back.error().message));
            CHECK(back->body.index() == body.index());
            CHECK(*back == env);
            covered.insert(body.index());
        }
        CHECK(covered.size() == std::variant_size_v<Body>);
    }
}

TEST_CASE("header fields round trip; absent header stays absent") {
    for (Version v : kVersions) {
        for (std::optional<bool> hold :
             {std::optional<bool>{}, std::optional<bool>{true}, std::optional<bool>{false}}) {
            Envelope env = envelope(v, InformResponse{1}, "");
            env.hold_requests = hold;
            env.no_more_requests = !hold.has_value();
            auto back = decode(encode(env));
            REQUIRE(back.ok());
            CHECK(*back == env);
        }
        Envelope bare = envelope(v, GetRPCMethods{}, "");
        std::string xml = encode(bare);
        CHECK(xml.find("Header") == std::string::npos);
        CHECK(*decode(xml) == bare);
    }
}

TEST_CASE("encoding follows the BBF schema conventions") {
    Envelope env =
        envelope(Version::v1_1, GetParameterValuesResponse{{{"A.B", "1", "xsd:int"}, {"A.C", "x", ""}}}, "7");
    env.hold_requests = false;
    std::string xml = encode(env);
    CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0) == 0);
    CHECK(xml.find("xmlns:cwmp=\"urn:dslforum-org:cwmp-1-1\"") != std::string::npos);
    CHECK(xml.find("<cwmp:ID soap-env:mustUnderstand=\"1\">7</cwmp:ID>") != std::string::npos);
    CHECK(xml.find("<cwmp:HoldRequests soap-env:mustUnderstand=\"1\">0</cwmp:HoldRequests>") != std::string::npos);
    CHECK(xml.find("<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">") != std::string::npos);
    CHECK(xml.find("<Value xsi:type=\"xsd:int\">1</Value>") != std::string::npos);
    CHECK(xml.find("<Value>x</Value>") != std::string::npos);  // no type: no attribute

    std::string gpn = encode(envelope(Version::v1_0, GetParameterNames{"A.", true}));
    CHECK(gpn.find("<cwmp:GetParameterNames><ParameterPath>A.</ParameterPath><NextLevel>1</NextLevel>") !=
          std::string::npos);
    std::string names = encode(envelope(Version::v1_0, GetParameterValues{{"A.", "B."}}));
    CHECK(names.find("<ParameterNames soap-enc:arrayType=\"xsd:string[2]\"><string>A.</string>") != std::string::npos);
    std::string empty = encode(envelope(Version::v1_2, RebootResponse{}));
    CHECK(empty.find("<cwmp:RebootResponse/>") != std::string::npos);
}

TEST_CASE("faults: faultcode follows TR-069 A.5, detail carries cwmp:Fault") {
    struct Case {
        std::uint32_t code;
        const char* faultcode;
    };
    for (Case c :
         {Case{9000, "Server"}, Case{9002, "Server"}, Case{9003, "Client"}, Case{9005, "Client"}, Case{9008, "Client"},
          Case{9009, "Server"}, Case{9019, "Server"}, Case{9020, "Client"}, Case{9021, "Client"}, Case{9022, "Server"},
          Case{9850, "Server"}, Case{8003, "Client"}, Case{8005, "Server"}}) {
        CAPTURE(c.code);
        std::string xml = encode(envelope(Version::v1_2, Fault{c.code, "x", {}}));
        CHECK(xml.find(std::string("<faultcode>") + c.faultcode + "</faultcode>") != std::string::npos);
        CHECK(xml.find("<faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>" + std::to_string(c.code) +
                       "</FaultCode>") != std::string::npos);
    }
    auto soap_only =
        decode(wrap("<soap-env:Fault><faultcode>Server</faultcode><faultstring>boom</faultstring>"
                    "</soap-env:Fault>"));
    CHECK(error_code(soap_only) == "cwmp.missing_element");
    CHECK(soap_only.error().message.find("boom") != std::string::npos);
    // A cwmp:Fault put straight into the Body is still understood.
    auto bare = decode(wrap("<cwmp:Fault><FaultCode>9001</FaultCode></cwmp:Fault>"));
    REQUIRE(bare.ok());
    CHECK(std::get<Fault>(bare->body) == Fault{9001, "", {}});
}

TEST_CASE("fault codes a version does not define are sent as the generic code of their family") {
    auto sent = [](Version v, Body body) {
        auto back = decode(encode(envelope(v, std::move(body))));
        REQUIRE(back.ok());
        return back->body;
    };
    auto fault = [&](Version v, std::uint32_t code, std::uint32_t spv_code = 9007) {
        return std::get<Fault>(sent(v, Fault{code, "detail kept", {{"A.B", spv_code, "s"}}}));
    };
    // cwmp-1-0 knows 9000-9013 only (plus 8000-8005 and the vendor ranges).
    CHECK(fault(Version::v1_0, 9018) == Fault{9010, "detail kept", {{"A.B", 9007, "s"}}});
    CHECK(fault(Version::v1_0, 9020).code == 9010);
    CHECK(fault(Version::v1_0, 9027).code == 9002);
    CHECK(fault(Version::v1_0, 8006).code == 8002);
    CHECK(fault(Version::v1_0, 9850).code == 9850);
    CHECK(fault(Version::v1_0, 9005, 9016).set_parameter_values_faults[0].fault_code == 9010);
    CHECK(fault(Version::v1_1, 9018).code == 9018);
    CHECK(fault(Version::v1_2, 9020).code == 9020);
    CHECK(fault(Version::v1_2, 8006).code == 8006);
    CHECK(fault(Version::v1_2, 1234).code == 9002);
    CHECK(fault(Version::v1_2, 9003, 8003).set_parameter_values_faults[0].fault_code == 9002);  // CPE codes only
    // The faultcode follows the code actually sent: 9020 is Client, 9010 Server.
    CHECK(encode(envelope(Version::v1_0, Fault{9020, "", {}})).find("<faultcode>Server</faultcode>") !=
          std::string::npos);

    auto transfer = [&](Version v, std::uint32_t code) {
        return std::get<TransferComplete>(sent(v, TransferComplete{"k", {code, "why"}, "", ""})).fault;
    };
    CHECK(transfer(Version::v1_0, 9018) == FaultStruct{9010, "why"});
    CHECK(transfer(Version::v1_0, 9003).code == 9002);
    CHECK(transfer(Version::v1_0, 0).code == 0);
    CHECK(transfer(Version::v1_1, 9018).code == 9018);
    CHECK(transfer(Version::v1_1, 9013).code == 9010);
    CHECK(transfer(Version::v1_2, 9020).code == 9020);
    CHECK(transfer(Version::v1_2, 9025).code == 9002);
    CHECK(transfer(Version::v1_2, 9850).code == 9850);
}

TEST_CASE("decode finds the RPC by namespace, not by prefix") {
    auto c = decode(
        "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:c=\"urn:dslforum-org:cwmp-1-2\">"
        "<e:Header><c:ID e:mustUnderstand=\"1\">42</c:ID></e:Header><e:Body><c:GetParameterValues>"
        "<c:ParameterNames><c:string>A.</c:string><string>B.</string></c:ParameterNames>"
        "</c:GetParameterValues></e:Body></e:Envelope>");
    REQUIRE(c.ok());
    CHECK(c->version == Version::v1_2);
    CHECK(c->id == "42");
    CHECK(std::get<GetParameterValues>(c->body).names == std::vector<std::string>{"A.", "B."});

    auto dflt = decode(
        "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"><Body>"
        "<Reboot xmlns=\"urn:dslforum-org:cwmp-1-1\"><CommandKey>k</CommandKey></Reboot></Body></Envelope>");
    REQUIRE(dflt.ok());
    CHECK(dflt->version == Version::v1_1);
    CHECK(std::get<Reboot>(dflt->body).command_key == "k");

    // "cwmp" bound to something else is not CWMP, whatever the prefix says.
    CHECK(error_code(decode(wrap("<cwmp:Reboot/>", "", "urn:example:not-cwmp"))) == "cwmp.not_cwmp");
    CHECK(error_code(decode(wrap("<cwmp:Reboot/>", "", "urn:dslforum-org:cwmp-1-3"))) == "cwmp.not_cwmp");
    CHECK(error_code(decode(wrap("<Reboot/>"))) == "cwmp.not_cwmp");

    auto unknown = decode(wrap("<cwmp:X_ACME_Frob><A>1</A></cwmp:X_ACME_Frob>", "", "urn:dslforum-org:cwmp-1-1"));
    REQUIRE(unknown.ok());
    CHECK(unknown->version == Version::v1_1);
    CHECK(std::get<UnknownRpc>(unknown->body) == UnknownRpc{"X_ACME_Frob", "urn:dslforum-org:cwmp-1-1"});
    CHECK(rpc_name(unknown->body) == "X_ACME_Frob");
}

TEST_CASE("decode tolerates what real peers send") {
    SUBCASE("headers: any ID text, unknown headers even with mustUnderstand") {
        auto r = decode(wrap("<cwmp:InformResponse><MaxEnvelopes> 1 </MaxEnvelopes></cwmp:InformResponse>",
                             "<cwmp:ID soap-env:mustUnderstand=\"1\">null</cwmp:ID>"
                             "<cwmp:SessionTimeout soap-env:mustUnderstand=\"1\">40</cwmp:SessionTimeout>"
                             "<x:Vendor xmlns:x=\"urn:x\">1</x:Vendor>"
                             "<cwmp:HoldRequests soap-env:mustUnderstand=\"1\">true</cwmp:HoldRequests>"
                             "<cwmp:NoMoreRequests>1</cwmp:NoMoreRequests>"));
        REQUIRE(r.ok());
        CHECK(r->id == "null");
        CHECK(r->hold_requests == true);
        CHECK(r->no_more_requests);
        CHECK(std::get<InformResponse>(r->body).max_envelopes == 1);
    }
    SUBCASE("missing ParameterKey, <Value/> without type, xs: prefix, undeclared xsi") {
        auto r = decode(
            wrap("<cwmp:SetParameterValues><ParameterList><ParameterValueStruct><Name>A</Name><Value/>"
                 "</ParameterValueStruct><ParameterValueStruct><Name>B</Name>"
                 "<Value xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xsi:type=\"xs:int\">-5</Value>"
                 "</ParameterValueStruct><ParameterValueStruct><Name>C</Name>"
                 "<Value xmlns:enc=\"http://schemas.xmlsoap.org/soap/encoding/\" xsi:type=\"enc:base64\">QQ==</Value>"
                 "</ParameterValueStruct><ParameterValueStruct><Name>D</Name>"
                 "<Value xsi:type=\"vendor:thing\"><![CDATA[<raw>]]> &amp; more</Value>"
                 "</ParameterValueStruct></ParameterList></cwmp:SetParameterValues>"));
        REQUIRE(r.ok());
        const auto& spv = std::get<SetParameterValues>(r->body);
        CHECK(spv.parameter_key.empty());
        REQUIRE(spv.parameters.size() == 4);
        CHECK(spv.parameters[0] == ParameterValue{"A", "", ""});
        CHECK(spv.parameters[1] == ParameterValue{"B", "-5", "xsd:int"});
        CHECK(spv.parameters[2] == ParameterValue{"C", "QQ==", "soap-enc:base64"});
        CHECK(spv.parameters[3] == ParameterValue{"D", "<raw> & more", "vendor:thing"});

        auto bare_xsi = decode(
            "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">"
            "<e:Body><cwmp:GetParameterValuesResponse><ParameterList><ParameterValueStruct><Name>A</Name>"
            "<Value xsi:type=\"xsd:string\">v</Value></ParameterValueStruct></ParameterList>"
            "</cwmp:GetParameterValuesResponse></e:Body></e:Envelope>");
        REQUIRE(bare_xsi.ok());
        CHECK(std::get<GetParameterValuesResponse>(bare_xsi->body).parameters[0].type == "xsd:string");
    }
    SUBCASE("booleans and numbers in every spelling TR-069 peers use") {
        for (const char* t : {"1", "true", " true\n", "\t1 "}) {
            auto r = decode(wrap(std::string("<cwmp:GetParameterNames><ParameterPath>A.</ParameterPath><NextLevel>") +
                                 t + "</NextLevel></cwmp:GetParameterNames>"));
            REQUIRE(r.ok());
            CHECK(std::get<GetParameterNames>(r->body).next_level);
        }
        auto r = decode(wrap("<cwmp:ScheduleInform><DelaySeconds>\n +30 \n</DelaySeconds></cwmp:ScheduleInform>"));
        REQUIRE(r.ok());
        CHECK(std::get<ScheduleInform>(r->body) == ScheduleInform{30, ""});
    }
    SUBCASE("optional transfer fields keep their defaults") {
        auto r = decode(wrap("<cwmp:DownloadResponse><Status>0</Status></cwmp:DownloadResponse>"));
        REQUIRE(r.ok());
        CHECK(std::get<DownloadResponse>(r->body) ==
              DownloadResponse{0, std::string(kUnknownTime), std::string(kUnknownTime)});
    }
}

TEST_CASE("decode refuses what would be guessed wrong, naming the element") {
    struct Case {
        const char* body;
        const char* code;
        const char* mentions;
    };
    const Case cases[] = {
        {"<cwmp:GetParameterValues/>", "cwmp.missing_element", "ParameterNames"},
        {"<cwmp:Inform><Event/></cwmp:Inform>", "cwmp.missing_element", "DeviceId"},
        {"<cwmp:Inform><DeviceId><OUI>001122</OUI></DeviceId><Event/></cwmp:Inform>", "cwmp.missing_element",
         "SerialNumber"},
        {"<cwmp:GetParameterNames><ParameterPath>A.</ParameterPath></cwmp:GetParameterNames>", "cwmp.missing_element",
         "NextLevel"},
        {"<cwmp:GetParameterValuesResponse><ParameterList><ParameterValueStruct><Name>A</Name>"
         "</ParameterValueStruct></ParameterList></cwmp:GetParameterValuesResponse>",
         "cwmp.missing_element", "Value"},
        {"<cwmp:AddObjectResponse><InstanceNumber>x1</InstanceNumber><Status>0</Status></cwmp:AddObjectResponse>",
         "cwmp.bad_number", "InstanceNumber"},
        {"<cwmp:ScheduleInform><DelaySeconds>-1</DelaySeconds></cwmp:ScheduleInform>", "cwmp.bad_number",
         "DelaySeconds"},
        {"<cwmp:ScheduleInform><DelaySeconds>4294967296</DelaySeconds></cwmp:ScheduleInform>", "cwmp.bad_number",
         "DelaySeconds"},
        {"<cwmp:ScheduleInform><DelaySeconds></DelaySeconds></cwmp:ScheduleInform>", "cwmp.bad_number", "DelaySeconds"},
        {"<cwmp:GetParameterNames><ParameterPath/><NextLevel>yes</NextLevel></cwmp:GetParameterNames>",
         "cwmp.bad_boolean", "NextLevel"},
        {"<cwmp:DeleteObjectResponse><Status>2</Status></cwmp:DeleteObjectResponse>", "cwmp.bad_value", "Status"},
        {"<cwmp:Fault><FaultString>x</FaultString></cwmp:Fault>", "cwmp.missing_element", "FaultCode"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.body);
        auto r = decode(wrap(c.body));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == c.code);
        CHECK(r.error().message.find(c.mentions) != std::string::npos);
    }
    CHECK(error_code(decode(
              wrap("<cwmp:Reboot/>", "<cwmp:HoldRequests soap-env:mustUnderstand=\"1\">maybe</cwmp:HoldRequests>"))) ==
          "cwmp.bad_boolean");
    CHECK(error_code(decode(wrap("", "<cwmp:ID soap-env:mustUnderstand=\"1\">1</cwmp:ID>"))) == "cwmp.empty_body");
    CHECK(error_code(decode(wrap("  \n  "))) == "cwmp.empty_body");
}

TEST_CASE("decode enforces its limits") {
    SUBCASE("document size, DOCTYPE, depth, non-SOAP") {
        DecodeLimits small;
        small.xml.max_bytes = 64;
        CHECK(error_code(decode(wrap("<cwmp:GetRPCMethods/>"), small)) == "xml.too_large");
        CHECK(error_code(decode("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>" + wrap("<cwmp:Reboot/>"))) ==
              "xml.doctype");
        std::string deep;
        for (int i = 0; i < 40; ++i) deep += "<a>";
        for (int i = 0; i < 40; ++i) deep += "</a>";
        CHECK(error_code(decode(wrap("<cwmp:Reboot>" + deep + "</cwmp:Reboot>"))) == "xml.too_deep");
        std::string very_deep;
        for (int i = 0; i < 5000; ++i) very_deep += "<a>";
        CHECK_FALSE(decode(wrap(very_deep)).ok());  // refused, not a stack overflow
        CHECK(error_code(decode("<html><body>hi</body></html>")) == "soap.no_envelope");
        CHECK(error_code(
                  decode("<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/></e:Envelope>")) ==
              "soap.bad_namespace");
        CHECK(error_code(decode("not xml at all")) == "xml.malformed");
        CHECK(error_code(decode("")) != "ok");
        CHECK(error_code(decode(wrap("<cwmp:Reboot>"))) == "xml.malformed");
    }
    SUBCASE("list length and string size") {
        DecodeLimits lim;
        lim.max_list_items = 2;
        lim.max_string = 8;
        std::string three =
            "<cwmp:GetParameterValues><ParameterNames><string>A</string><string>B</string>"
            "<string>C</string></ParameterNames></cwmp:GetParameterValues>";
        CHECK(error_code(decode(wrap(three), lim)) == "cwmp.too_many_items");
        CHECK(error_code(decode(wrap(three))) == "ok");
        std::string faults = "<cwmp:Fault><FaultCode>9003</FaultCode>";
        for (int i = 0; i < 3; ++i)
            faults +=
                "<SetParameterValuesFault><ParameterName>P</ParameterName><FaultCode>9007</FaultCode>"
                "</SetParameterValuesFault>";
        faults += "</cwmp:Fault>";
        CHECK(error_code(decode(wrap(faults), lim)) == "cwmp.too_many_items");
        CHECK(error_code(decode(wrap("<cwmp:Reboot><CommandKey>123456789</CommandKey></cwmp:Reboot>"), lim)) ==
              "cwmp.too_long");
        CHECK(error_code(decode(wrap("<cwmp:Reboot><CommandKey>12345678</CommandKey></cwmp:Reboot>"), lim)) == "ok");
        CHECK(error_code(decode(wrap("<cwmp:Reboot/>", "<cwmp:ID soap-env:mustUnderstand=\"1\">123456789</cwmp:ID>"),
                                lim)) == "cwmp.too_long");
    }
}

TEST_CASE("version and fault tables") {
    CHECK(namespace_uri(Version::v1_0) == "urn:dslforum-org:cwmp-1-0");
    CHECK(namespace_uri(Version::v1_2) == "urn:dslforum-org:cwmp-1-2");
    for (Version v : kVersions) {
        CHECK(version_from_namespace(namespace_uri(v)) == v);
        CHECK(version_from_string(to_string(v)) == v);
    }
    CHECK_FALSE(version_from_namespace("urn:dslforum-org:cwmp-1-3").has_value());
    CHECK(version_from_string("1.0") == Version::v1_0);
    CHECK(version_from_string("1-1") == Version::v1_1);
    CHECK(version_from_string("cwmp-1-2") == Version::v1_2);
    CHECK(version_from_string("urn:dslforum-org:cwmp-1-1") == Version::v1_1);
    CHECK(version_from_string("1.4") == Version::v1_2);
    CHECK_FALSE(version_from_string("2.0").has_value());
    CHECK_FALSE(version_from_string("1.").has_value());
    CHECK_FALSE(version_from_string("").has_value());
    CHECK(to_string(Version::v1_1) == "cwmp-1-1");

    for (std::uint32_t c : {9003u, 9005u, 9006u, 9007u, 9008u, 9020u, 9021u, 8003u}) CHECK(is_client_fault(c));
    for (std::uint32_t c :
         {9000u, 9001u, 9002u, 9004u, 9009u, 9010u, 9013u, 9019u, 9022u, 9032u, 8000u, 8005u, 8006u, 9800u, 0u})
        CHECK_FALSE(is_client_fault(c));
    CHECK(default_fault_string(9000) == "Method not supported");
    CHECK(default_fault_string(9005) == "Invalid parameter name");
    CHECK(default_fault_string(8005) == "Retry request");
    CHECK(default_fault_string(9850) == "Vendor fault");
    CHECK(default_fault_string(1234) == "Unknown fault");

    CHECK(rpc_name(Body{GetParameterValuesResponse{}}) == "GetParameterValuesResponse");
    CHECK(rpc_name(Body{GetRPCMethods{}}) == "GetRPCMethods");
    CHECK(rpc_name(Body{Fault{}}) == "Fault");
}
