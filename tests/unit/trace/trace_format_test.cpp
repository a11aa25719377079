// The trace YAML: everything written reads back, XML bodies are literal
// blocks, and bodies a literal block cannot hold still survive exactly.
#include <doctest/doctest.h>

#include "bridge/trace/trace.hpp"

namespace {

trace::Trace sample() {
    trace::Trace t;
    t.recorded_at = "2024-11-25T10:22:00Z";
    t.recorded_by = "test";
    t.gateway_id = "GW-0001";
    t.gateway_url = "http://127.0.0.1:7700/cmp/GW-0001";
    t.mapping_name = "tr098.yaml";
    t.mapping_hash = "abc123";
    t.cwmp_version = cwmp::Version::v1_2;
    t.acs_url = "http://acs.example/acs";
    t.acs_username = "bridge";
    t.cr_url_base = "http://127.0.0.1:7548";
    t.periodic_enable = false;
    t.periodic_interval = 600;
    t.retry_count = 2;
    t.events = {"1 BOOT", "M Reboot"};
    t.changed = {{"InternetGatewayDevice.DeviceInfo.UpTime", "17", "xsd:unsignedInt"}};
    t.start_state = "format: 1\ngateway_id: GW-0001\nbootstrapped: true\n";
    t.notes = {"pending: needs GetParameterNames"};

    trace::AcsExchange a;
    a.target = "/acs";
    a.request_headers = {{"Content-Type", "text/xml; charset=\"utf-8\""}, {"SOAPAction", "\"\""}};
    a.request_body = "<?xml version=\"1.0\"?>\n<a>\n  <b>x &amp; y</b>\n</a>\n";
    a.status = 401;
    a.response_headers = {{"WWW-Authenticate", "Digest realm=\"x\", nonce=\"n\""}, {"Set-Cookie", "s=(redacted); Path=/"},
                          {"Set-Cookie", "t=(redacted)"}};
    t.exchanges.emplace_back(a);

    trace::AcsExchange failed;
    failed.target = "/acs";
    failed.error = "transport: connection refused";
    t.exchanges.emplace_back(failed);

    trace::CmpExchange c;
    c.function = "getRgInfo";
    c.request = "<one-line><x/></one-line>";
    c.response = "<r>multi\nline</r>";
    t.exchanges.emplace_back(c);

    trace::CmpExchange e;
    e.function = "reboot";
    e.request = "<reboot/>";
    e.error_code = "cmp.http";
    e.error_message = "gateway GW-0001 answered HTTP 401 to reboot";
    e.response = "CMP message authentication failed\n";
    t.exchanges.emplace_back(e);

    t.ok = false;
    t.error = "ACS rejected the credentials";
    t.end_state = "format: 1\ngateway_id: GW-0001\nbootstrapped: true\n";
    return t;
}

std::string strip_final_newlines(std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

}  // namespace

TEST_CASE("a trace reads back as written") {
    trace::Trace t = sample();
    std::string yaml = trace::to_yaml(t);
    auto back = trace::parse(yaml, "sample");
    REQUIRE_MESSAGE(back, (back ? "" : back.error().message));
    CHECK(back->recorded_at == t.recorded_at);
    CHECK(back->gateway_id == t.gateway_id);
    CHECK(back->gateway_url == t.gateway_url);
    CHECK(back->mapping_name == t.mapping_name);
    CHECK(back->mapping_hash == t.mapping_hash);
    CHECK(back->cwmp_version == cwmp::Version::v1_2);
    CHECK(back->acs_url == t.acs_url);
    CHECK(back->acs_username == t.acs_username);
    CHECK(back->cr_url_base == t.cr_url_base);
    CHECK(back->periodic_enable == false);
    CHECK(back->periodic_interval == 600);
    CHECK(back->retry_count == 2);
    CHECK(back->events == t.events);
    CHECK(back->changed == t.changed);
    CHECK(back->notes == t.notes);
    CHECK(back->ok == false);
    CHECK(back->error == t.error);
    CHECK(back->start_state.find("bootstrapped: true") != std::string::npos);
    REQUIRE(back->exchanges.size() == 4);

    auto& a = std::get<trace::AcsExchange>(back->exchanges[0]);
    CHECK(a.method == "POST");
    CHECK(a.target == "/acs");
    REQUIRE(a.request_headers.size() == 2);
    CHECK(a.request_headers[0].value == "text/xml; charset=\"utf-8\"");
    CHECK(a.request_headers[1].name == "SOAPAction");
    CHECK(a.request_headers[1].value == "\"\"");
    CHECK(a.request_body == std::get<trace::AcsExchange>(t.exchanges[0]).request_body);
    CHECK(a.status == 401);
    CHECK(a.response_headers.size() == 3);
    CHECK(a.response_body.empty());

    auto& f = std::get<trace::AcsExchange>(back->exchanges[1]);
    CHECK_FALSE(f.status);
    CHECK(f.error == "transport: connection refused");

    auto& c = std::get<trace::CmpExchange>(back->exchanges[2]);
    CHECK(c.function == "getRgInfo");
    // A literal block ends with one newline: invisible to XML.
    CHECK(strip_final_newlines(c.request) == "<one-line><x/></one-line>");
    CHECK(strip_final_newlines(c.response) == "<r>multi\nline</r>");
    CHECK_FALSE(c.failed());

    auto& e = std::get<trace::CmpExchange>(back->exchanges[3]);
    CHECK(e.failed());
    CHECK(e.error_code == "cmp.http");
    CHECK(e.error_message == "gateway GW-0001 answered HTTP 401 to reboot");

    // Written again, it is byte for byte the same file.
    CHECK(trace::to_yaml(*back) == yaml);
}

TEST_CASE("XML bodies are literal block scalars") {
    std::string yaml = trace::to_yaml(sample());
    CHECK(yaml.find("body: |\n") != std::string::npos);
    CHECK(yaml.find("<b>x &amp; y</b>") != std::string::npos);  // verbatim, not re-escaped
    CHECK(yaml.find("request: |\n") != std::string::npos);
}

TEST_CASE("bodies a literal block cannot hold survive exactly") {
    for (std::string body : {std::string("  <a>leading spaces</a>"), std::string("<a>\r\n</a>\r\n\r\n"),
                             std::string("bad \xff\xfe utf-8"), std::string("ctl \x01 char"),
                             std::string("line sep \xe2\x80\xa8 x")}) {
        trace::Trace t = sample();
        std::get<trace::CmpExchange>(t.exchanges[2]).response = body;
        auto back = trace::parse(trace::to_yaml(t));
        REQUIRE(back);
        const std::string& got = std::get<trace::CmpExchange>(back->exchanges[2]).response;
        if (body.find('\r') != std::string::npos) CHECK(strip_final_newlines(got) == "<a>\n</a>");  // line ends as XML sees them
        else if (body.starts_with("line sep")) CHECK(strip_final_newlines(got) == body);  // a literal block
        else CHECK(got == body);
    }
}

TEST_CASE("malformed traces are refused with a position") {
    CHECK_FALSE(trace::parse("- a list", "x"));
    CHECK_FALSE(trace::parse("format: 99\n", "x"));
    auto no_state = trace::parse("format: 1\ngateway: {id: GW}\n", "x");
    REQUIRE_FALSE(no_state);
    CHECK(no_state.error().message.find("start_state") != std::string::npos);
    auto bad = trace::parse("format: 1\ngateway: {id: GW}\nstart_state: {format: 1}\nexchanges:\n  - what: 1\n", "f.yaml");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("f.yaml:5") != std::string::npos);
}
