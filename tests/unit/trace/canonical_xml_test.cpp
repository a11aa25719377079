// The semantic XML comparison replay relies on: prefixes, whitespace and
// attribute order never matter, volatile fields match by rule, and a real
// difference is found and shown readably.
#include <doctest/doctest.h>

#include "bridge/trace/canonical_xml.hpp"

using trace::compare_xml;

namespace {

const std::string kInform = R"(<?xml version="1.0" encoding="UTF-8"?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">cpe-1</cwmp:ID></soap-env:Header><soap-env:Body><cwmp:Inform><DeviceId><Manufacturer>ExampleCorp</Manufacturer><OUI>001122</OUI><ProductClass>RG1000</ProductClass><SerialNumber>SN0001</SerialNumber></DeviceId><Event soap-enc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2024-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[1]"><ParameterValueStruct><Name>InternetGatewayDevice.DeviceInfo.SoftwareVersion</Name><Value xsi:type="xsd:string">2.3.4</Value></ParameterValueStruct></ParameterList></cwmp:Inform></soap-env:Body></soap-env:Envelope>)";

// The same message with other prefixes, a default namespace, pretty-printed,
// attributes reordered, another cwmp:ID and another CurrentTime.
const std::string kInformRewritten = R"(<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:t="http://www.w3.org/2001/XMLSchema"
    xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <S:Header>
    <ID xmlns="urn:dslforum-org:cwmp-1-0" S:mustUnderstand="1">  42  </ID>
  </S:Header>
  <S:Body>
    <c:Inform xmlns:c="urn:dslforum-org:cwmp-1-0">
      <DeviceId>
        <Manufacturer> ExampleCorp </Manufacturer>
        <OUI>001122</OUI>
        <ProductClass>RG1000</ProductClass>
        <SerialNumber>SN0001</SerialNumber>
      </DeviceId>
      <Event enc:arrayType="c:EventStruct[1]">
        <EventStruct><EventCode>1 BOOT</EventCode><CommandKey/></EventStruct>
      </Event>
      <MaxEnvelopes>1</MaxEnvelopes>
      <CurrentTime>2031-07-04T12:34:56.789+02:00</CurrentTime>
      <RetryCount>0</RetryCount>
      <ParameterList enc:arrayType="c:ParameterValueStruct[1]">
        <ParameterValueStruct>
          <Name>InternetGatewayDevice.DeviceInfo.SoftwareVersion</Name>
          <Value i:type="t:string">2.3.4</Value>
        </ParameterValueStruct>
      </ParameterList>
    </c:Inform>
  </S:Body>
</S:Envelope>
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto p = s.find(from);
    REQUIRE(p != std::string::npos);
    return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("prefixes, namespace declarations, whitespace and attribute order do not matter") {
    auto c = compare_xml(kInform, kInformRewritten);
    INFO(c.diff);
    CHECK(c.equal);
}

TEST_CASE("QName values are compared by namespace URI, not prefix") {
    const std::string a = R"(<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><v xsi:type="xsd:string">x</v></a>)";
    const std::string b = R"(<a xmlns:q="http://www.w3.org/2001/XMLSchema-instance" xmlns:z="http://www.w3.org/2001/XMLSchema"><v q:type="z:string">x</v></a>)";
    const std::string c = R"(<a xmlns:q="http://www.w3.org/2001/XMLSchema-instance" xmlns:z="http://www.w3.org/2001/XMLSchema"><v q:type="z:unsignedInt">x</v></a>)";
    CHECK(compare_xml(a, b).equal);
    CHECK_FALSE(compare_xml(a, c).equal);
}

TEST_CASE("namespace URIs, child order and text are significant") {
    CHECK_FALSE(compare_xml(kInform, replace(kInform, "urn:dslforum-org:cwmp-1-0", "urn:dslforum-org:cwmp-1-2")).equal);
    CHECK_FALSE(compare_xml("<a><b/><c/></a>", "<a><c/><b/></a>").equal);
    CHECK_FALSE(compare_xml("<a>x</a>", "<a>y</a>").equal);
    CHECK(compare_xml("<a> x </a>", "<a>x</a>").equal);
    CHECK(compare_xml("<a><!-- note --><b/></a>", "<a><b></b></a>").equal);
    CHECK_FALSE(compare_xml("<a k=\"1\"/>", "<a k=\"2\"/>").equal);
}

TEST_CASE("volatile fields match by rule, not value") {
    SUBCASE("cwmp:ID: any non-empty value, but it must be there") {
        CHECK(compare_xml(kInform, replace(kInform, ">cpe-1<", ">something-else<")).equal);
        CHECK_FALSE(compare_xml(kInform, replace(kInform, ">cpe-1<", "><")).equal);
    }
    SUBCASE("Inform CurrentTime: any xsd:dateTime") {
        CHECK(compare_xml(kInform, replace(kInform, "2024-01-01T00:00:00Z", "1999-12-31T23:59:59Z")).equal);
        CHECK_FALSE(compare_xml(kInform, replace(kInform, "2024-01-01T00:00:00Z", "yesterday")).equal);
    }
    SUBCASE("CMP transactionId and timeStamp") {
        const std::string cmp = R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cmp="urn:iso:std:iso-iec:29104:-1:cmp:1"><SOAP-ENV:Header><cmp:rgId>GW-0001</cmp:rgId><cmp:transactionId>17</cmp:transactionId><cmp:timeStamp>2024-11-25T10:20:00Z</cmp:timeStamp></SOAP-ENV:Header><SOAP-ENV:Body><cmp:getRgInfo/></SOAP-ENV:Body></SOAP-ENV:Envelope>)";
        auto other = replace(replace(cmp, ">17<", ">9001<"), "2024-11-25T10:20:00Z", "2025-01-01T00:00:00Z");
        CHECK(compare_xml(cmp, other).equal);
        CHECK_FALSE(compare_xml(cmp, replace(cmp, ">GW-0001<", ">GW-0002<")).equal);  // rgId is not volatile
    }
    SUBCASE("a date elsewhere is compared by value") {
        CHECK_FALSE(compare_xml("<a><CurrentTime>2024-01-01T00:00:00Z</CurrentTime></a>",
                                "<a><CurrentTime>2025-01-01T00:00:00Z</CurrentTime></a>")
                        .equal);
    }
}

TEST_CASE("a real divergence is found and shown as a readable diff") {
    auto c = compare_xml(kInform, replace(kInformRewritten, "SN0001", "RG1000-SN9"));
    REQUIRE_FALSE(c.equal);
    CHECK(c.first_path == "Envelope/Body/Inform/DeviceId/SerialNumber");
    CHECK(c.expected == "SerialNumber = \"SN0001\"");
    CHECK(c.actual == "SerialNumber = \"RG1000-SN9\"");
    CHECK(c.diff.find("--- expected (trace)\n+++ actual (bridge)\n") == 0);
    CHECK(c.diff.find("\n-        SerialNumber = \"SN0001\"\n+        SerialNumber = \"RG1000-SN9\"\n") != std::string::npos);
    // Context lines name the neighbours, prefix-free.
    CHECK(c.diff.find("         ProductClass = \"RG1000\"") != std::string::npos);
    CHECK(c.diff.find("soap-enc:arrayType=\"cwmp-1-0:EventStruct[1]\"") != std::string::npos);
    CHECK(c.diff.find("S:") == std::string::npos);
}

TEST_CASE("bodies that are not XML or empty are compared as text") {
    CHECK(compare_xml("", "  \n").equal);
    CHECK_FALSE(compare_xml("", "<a/>").equal);
    CHECK(compare_xml("authentication required\n", "authentication required").equal);
    CHECK_FALSE(compare_xml("ok", "not ok").equal);
}

TEST_CASE("unified diff") {
    std::vector<std::string> a = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"};
    auto b = a;
    b[1] = "two";
    b.insert(b.begin() + 10, "ten and a half");
    auto d = trace::unified_diff(a, b, "a", "b", 1);
    CHECK(d == "--- a\n+++ b\n@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n@@ -10,2 +10,3 @@\n 10\n+ten and a half\n 11\n");
    CHECK(trace::unified_diff(a, a, "a", "b").empty());
}

TEST_CASE("xsd:dateTime recognition") {
    CHECK(trace::is_date_time("2024-11-25T10:22:00Z"));
    CHECK(trace::is_date_time("2024-11-25T10:22:00.5+01:00"));
    CHECK(trace::is_date_time("0001-01-01T00:00:00Z"));
    CHECK(trace::is_date_time("2024-11-25T10:22:00"));
    CHECK_FALSE(trace::is_date_time("2024-11-25 10:22:00Z"));
    CHECK_FALSE(trace::is_date_time("2024-11-25T10:22:00ZZ"));
    CHECK_FALSE(trace::is_date_time(""));
}
