// The recorded peers without a bridge: what counts as the same message, what
// may be reordered, what ends a replay, and what --update records.
#include <doctest/doctest.h>

#include "bridge/cmp/codec.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/trace/replay_script.hpp"

namespace {

std::string inform_xml(const std::string& serial, const std::string& id, const std::string& time) {
    cwmp::Envelope env;
    env.id = id;
    cwmp::Inform inf;
    inf.device_id = {"ExampleCorp", "001122", "RG1000", serial};
    inf.events = {{"1 BOOT", ""}};
    inf.current_time = time;
    env.body = inf;
    return cwmp::encode(env);
}

cmp::Request cmp_request(const std::string& fn) {
    cmp::Request r;
    r.function = fn;
    return r;
}

std::string cmp_request_xml(const std::string& fn, const std::string& txn) {
    cmp::Request r = cmp_request(fn);
    r.header = {"GW-0001", txn, "2024-01-01T00:00:00Z"};
    return cmp::encode(r);
}

std::string cmp_response_xml(const std::string& fn, const std::string& field, const std::string& value) {
    cmp::Response r;
    r.header = {"GW-0001", "1", "2024-01-01T00:00:01Z"};
    r.function = fn;
    r.fields.set(field, value);
    return cmp::encode(r);
}

const std::string kState = "format: 1\ngateway_id: GW-0001\nbootstrapped: true\nparameter_key: k1\n";

trace::Trace sample() {
    trace::Trace t;
    t.gateway_id = "GW-0001";
    t.start_state = kState;
    trace::AcsExchange inform;
    inform.target = "/acs";
    inform.request_headers = {{"Content-Type", "text/xml; charset=\"utf-8\""}, {"SOAPAction", ""}};
    inform.request_body = inform_xml("SN0001", "cpe-1", "2024-01-01T00:00:00Z");
    inform.status = 200;
    inform.response_headers = {{"Set-Cookie", "s=(redacted); Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT"}};
    inform.response_body = "<InformResponse-would-be-here/>";
    trace::CmpExchange rg{"getRgInfo", cmp_request_xml("getRgInfo", "1"), cmp_response_xml("getRgInfo", "serialNumber", "SN0001")};
    trace::CmpExchange wan{"getWanInfo", cmp_request_xml("getWanInfo", "2"), cmp_response_xml("getWanInfo", "ip", "192.0.2.1")};
    trace::AcsExchange empty;
    empty.target = "/acs";
    empty.request_headers = {{"Cookie", "s=(redacted)"}};
    empty.status = 204;
    t.exchanges = {rg, wan, inform, empty};
    t.ok = true;
    t.end_state = kState;
    return t;
}

http::Request post(std::string body, http::Headers headers) {
    http::Request r;
    r.target = "/acs";
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
}

const http::Url kUrl = *http::Url::parse("http://acs.example/acs");

}  // namespace

TEST_CASE("a session that does what was recorded passes") {
    auto t = sample();
    trace::ReplayScript s(t, false);
    // CMP calls of one step may come in another order.
    auto wan = s.on_cmp(cmp_request("getWanInfo"));
    REQUIRE(wan);
    CHECK(wan->fields.get("ip") == "192.0.2.1");
    auto rg = s.on_cmp(cmp_request("getRgInfo"));
    REQUIRE(rg);
    CHECK(rg->fields.get("serialNumber") == "SN0001");
    // Another cwmp:ID, another CurrentTime, another charset spelling.
    auto r1 = s.on_acs(kUrl, post(inform_xml("SN0001", "cpe-77", "2030-05-05T05:05:05Z"),
                                  {{"Content-Type", "text/xml"}, {"SOAPAction", ""}, {"User-Agent", "x"}}));
    REQUIRE(r1);
    CHECK(r1->status == 200);
    // The recorded Expires is gone, so the cookie is still sent.
    CHECK(r1->find("Set-Cookie")->find("Expires") == std::string::npos);
    auto r2 = s.on_acs(kUrl, post("", {{"Cookie", "s=whatever"}}));
    REQUIRE(r2);
    CHECK(r2->status == 204);
    s.on_end(true, "", kState + "new_field_since_recording: 1\n");
    CHECK_FALSE(s.divergence());
    CHECK(s.replayed() == 4);
}

TEST_CASE("a different message is a divergence with a diff") {
    auto t = sample();
    trace::ReplayScript s(t, false);
    REQUIRE(s.on_cmp(cmp_request("getRgInfo")));
    REQUIRE(s.on_cmp(cmp_request("getWanInfo")));
    auto r = s.on_acs(kUrl, post(inform_xml("SN9999", "cpe-1", "2024-01-01T00:00:00Z"),
                                 {{"Content-Type", "text/xml"}, {"SOAPAction", ""}}));
    CHECK_FALSE(r);
    REQUIRE(s.divergence());
    CHECK(s.divergence()->step == 3);
    CHECK(s.divergence()->what.find("SerialNumber") != std::string::npos);
    CHECK(s.divergence()->diff.find("-          SerialNumber = \"SN0001\"") != std::string::npos);
    CHECK(s.divergence()->diff.find("+          SerialNumber = \"SN9999\"") != std::string::npos);
    // Everything after the first divergence fails at once.
    CHECK_FALSE(s.on_acs(kUrl, post("", {})));
    s.on_end(false, "replay", kState);
    CHECK(s.divergence()->step == 3);
}

TEST_CASE("headers: Authorization by scheme, cookies by name, SOAPAction by value") {
    auto t = sample();
    std::get<trace::AcsExchange>(t.exchanges[3]).request_headers.push_back({"Authorization", "Digest (redacted)"});
    {
        trace::ReplayScript s(t, false);
        s.on_cmp(cmp_request("getRgInfo"));
        s.on_cmp(cmp_request("getWanInfo"));
        s.on_acs(kUrl, post(inform_xml("SN0001", "x", "2024-01-01T00:00:00Z"), {{"SOAPAction", ""}, {"Content-Type", "text/xml"}}));
        CHECK(s.on_acs(kUrl, post("", {{"Cookie", "s=1"}, {"Authorization", "Digest username=\"u\", response=\"r\""}})));
        CHECK_FALSE(s.divergence());
    }
    {
        trace::ReplayScript s(t, false);
        s.on_cmp(cmp_request("getRgInfo"));
        s.on_cmp(cmp_request("getWanInfo"));
        s.on_acs(kUrl, post(inform_xml("SN0001", "x", "2024-01-01T00:00:00Z"), {{"SOAPAction", ""}, {"Content-Type", "text/xml"}}));
        CHECK_FALSE(s.on_acs(kUrl, post("", {{"Cookie", "s=1"}, {"Authorization", "Basic dTpw"}})));
        REQUIRE(s.divergence());
        CHECK(s.divergence()->expected == "header authorization: Digest");
        CHECK(s.divergence()->actual == "header authorization: Basic");
    }
}

TEST_CASE("calls the trace does not have, and calls it has but the bridge no longer makes") {
    auto t = sample();
    SUBCASE("an extra CMP call where the trace has the Inform") {
        trace::ReplayScript s(t, false);
        s.on_cmp(cmp_request("getRgInfo"));
        s.on_cmp(cmp_request("getWanInfo"));
        CHECK_FALSE(s.on_cmp(cmp_request("getLanInfo")));
        REQUIRE(s.divergence());
        CHECK(s.divergence()->step == 3);
        CHECK(s.divergence()->what.find("getLanInfo") != std::string::npos);
    }
    SUBCASE("an HTTP request where the trace has a CMP call") {
        trace::ReplayScript s(t, false);
        CHECK_FALSE(s.on_acs(kUrl, post("", {})));
        REQUIRE(s.divergence());
        CHECK(s.divergence()->step == 1);
    }
    SUBCASE("the session ends early") {
        trace::ReplayScript s(t, false);
        s.on_cmp(cmp_request("getRgInfo"));
        s.on_end(false, "no session", kState);
        REQUIRE(s.divergence());
        CHECK(s.divergence()->step == 2);
        CHECK(s.divergence()->expected == "cmp getWanInfo");
    }
    SUBCASE("the state after the session differs") {
        trace::ReplayScript s(t, false);
        s.on_cmp(cmp_request("getRgInfo"));
        s.on_cmp(cmp_request("getWanInfo"));
        s.on_acs(kUrl, post(inform_xml("SN0001", "x", "2024-01-01T00:00:00Z"), {{"SOAPAction", ""}, {"Content-Type", "text/xml"}}));
        s.on_acs(kUrl, post("", {{"Cookie", "s=1"}}));
        s.on_end(true, "", "format: 1\ngateway_id: GW-0001\nbootstrapped: true\nparameter_key: k2\n");
        REQUIRE(s.divergence());
        CHECK(s.divergence()->expected == "parameter_key = k1");
        CHECK(s.divergence()->actual == "parameter_key = k2");
    }
}

TEST_CASE("state comparison: clock readings and new keys") {
    CHECK(trace::compare_states("a: 1\nt_unix: 100\nx: {due: 5, accepted: 6}\n", "a: 1\nt_unix: 250\nx: {due: 7, accepted: 9}\nb: new\n").equal);
    CHECK_FALSE(trace::compare_states("x: {due: 5}\n", "x: {due: soon}\n").equal);
    CHECK_FALSE(trace::compare_states("a: 1\nl: [1, 2]\n", "a: 1\nl: [1, 2, 3]\n").equal);
    CHECK_FALSE(trace::compare_states("a: 1\n", "b: 1\n").equal);
}

TEST_CASE("--update answers from the recording and records what the bridge sends now") {
    auto t = sample();
    trace::ReplayScript s(t, true);
    REQUIRE(s.on_cmp(cmp_request("getRgInfo")));
    auto r = s.on_acs(kUrl, post(inform_xml("SN-NEW", "cpe-1", "2024-01-01T00:00:00Z"), {{"SOAPAction", ""}}));
    REQUIRE(r);
    CHECK(r->status == 200);
    REQUIRE(s.on_acs(kUrl, post("", {})));
    s.on_end(true, "", kState);
    CHECK_FALSE(s.divergence());
    REQUIRE(s.warnings().size() == 1);  // getWanInfo is no longer called
    CHECK(s.warnings()[0].find("getWanInfo") != std::string::npos);
    auto u = s.updated();
    REQUIRE(u.exchanges.size() == 3);
    CHECK(std::get<trace::CmpExchange>(u.exchanges[0]).function == "getRgInfo");
    CHECK(std::get<trace::AcsExchange>(u.exchanges[1]).request_body.find("SN-NEW") != std::string::npos);
    CHECK(std::get<trace::AcsExchange>(u.exchanges[2]).status == 204);

    // The updated trace replays.
    trace::ReplayScript again(u, false);
    REQUIRE(again.on_cmp(cmp_request("getRgInfo")));
    REQUIRE(again.on_acs(kUrl, post(inform_xml("SN-NEW", "cpe-9", "2024-02-02T00:00:00Z"), {{"SOAPAction", ""}})));
    REQUIRE(again.on_acs(kUrl, post("", {})));
    again.on_end(true, "", kState);
    CHECK_FALSE(again.divergence());
}
