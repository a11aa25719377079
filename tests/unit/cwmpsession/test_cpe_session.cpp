// cwmp::CpeSession driven by hand-made HTTP responses: no sockets, no clocks.
#include <doctest/doctest.h>

#include <chrono>

#include "bridge/http/auth.hpp"
#include "tests/unit/cwmpsession/session_helpers.hpp"

using namespace session_test;
using Kind = cwmp::Action::Kind;

namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("a whole session: Digest, cookie, an ACS request, 204") {
    http::DigestVerifier verifier({"acs-realm", "verifier-secret", 300, 64});
    auto lookup = [](std::string_view user) -> std::optional<std::string> {
        if (user == "cpe") return std::string("secret");
        return std::nullopt;
    };
    cwmp::CpeSession s(config(), sample_inform());

    cwmp::Action a = s.start();
    auto inform = sent(a);
    CHECK(std::holds_alternative<cwmp::Inform>(inform.body));
    CHECK(a.url.host == "acs.example.net");
    CHECK(a.request.target == "/cwmp");
    CHECK(a.request.find("SOAPAction"));
    CHECK_FALSE(a.request.find("Authorization"));

    a = s.on_response(status(401, {{"WWW-Authenticate", verifier.challenge_at(unix_now())}}));
    REQUIRE(a.kind == Kind::send);
    CHECK(std::holds_alternative<cwmp::Inform>(sent(a).body));  // the same Inform again
    REQUIRE(a.request.find("Authorization"));
    CHECK(verifier.verify(*a.request.find("Authorization"), "POST", "/cwmp", lookup, unix_now()) == http::Verdict::ok);

    auto ir = acs(cwmp::InformResponse{1}, sent(a).id);
    ir.headers.push_back({"Set-Cookie", "acs-session=abc123; Path=/"});
    a = s.on_response(ir);
    CHECK(s.inform_acknowledged());
    CHECK(is_empty_post(a));
    REQUIRE(a.request.find("Cookie"));
    CHECK(*a.request.find("Cookie") == "acs-session=abc123");
    // The session keeps pre-authorizing with the same nonce.
    REQUIRE(a.request.find("Authorization"));
    CHECK(verifier.verify(*a.request.find("Authorization"), "POST", "/cwmp", lookup, unix_now()) == http::Verdict::ok);

    a = s.on_response(acs(cwmp::GetParameterValues{{"InternetGatewayDevice.DeviceInfo."}}, "acs-7"));
    REQUIRE(a.kind == Kind::call_device);
    CHECK(std::holds_alternative<cwmp::GetParameterValues>(a.acs_request.body));
    CHECK(a.acs_request.id == "acs-7");

    a = s.on_device_answer(cwmp::GetParameterValuesResponse{{{"InternetGatewayDevice.DeviceInfo.SerialNumber", "SN", "xsd:string"}}});
    auto answer = sent(a);
    CHECK(answer.id == "acs-7");
    CHECK(a.request.body.find("<cwmp:ID soap-env:mustUnderstand=\"1\">acs-7</cwmp:ID>") != std::string::npos);
    CHECK(std::holds_alternative<cwmp::GetParameterValuesResponse>(answer.body));
    CHECK(*a.request.find("Cookie") == "acs-session=abc123");

    a = s.on_response(status(204));
    CHECK(a.kind == Kind::done);
    CHECK(s.acs_requests_served() == 1);
}

TEST_CASE("an empty 200 ends the session like a 204") {
    cwmp::CpeSession s(config(), sample_inform());
    s.start();
    CHECK(is_empty_post(s.on_response(acs(cwmp::InformResponse{1}))));
    auto empty = status(200);
    empty.body = "\r\n";
    CHECK(s.on_response(empty).kind == Kind::done);
}

TEST_CASE("redirects: relative and absolute Location, at most 5") {
    cwmp::CpeSession s(config(), sample_inform());
    auto a = s.start();
    a = s.on_response(status(302, {{"Location", "/moved/cwmp"}}));
    REQUIRE(a.kind == Kind::send);
    CHECK(a.url.host == "acs.example.net");
    CHECK(a.url.port == "7547");
    CHECK(a.request.target == "/moved/cwmp");
    CHECK(std::holds_alternative<cwmp::Inform>(sent(a).body));
    a = s.on_response(status(307, {{"Location", "https://acs2.example.net/x?y=1"}}));
    CHECK(a.url.scheme == "https");
    CHECK(a.url.host == "acs2.example.net");
    CHECK(a.request.target == "/x?y=1");
    a = s.on_response(acs(cwmp::InformResponse{1}));
    CHECK(is_empty_post(a));
    CHECK(a.url.host == "acs2.example.net");  // the rest of the session follows

    cwmp::CpeSession loop(config(), sample_inform());
    loop.start();
    for (int i = 1; i <= 5; ++i) CHECK(loop.on_response(status(302, {{"Location", "/r" + std::to_string(i)}})).kind == Kind::send);
    auto sixth = loop.on_response(status(302, {{"Location", "/r6"}}));
    CHECK(sixth.kind == Kind::failed);
    CHECK(sixth.error.find("redirect") != std::string::npos);

    cwmp::CpeSession bad(config(), sample_inform());
    bad.start();
    CHECK(bad.on_response(status(302)).kind == Kind::failed);
}

TEST_CASE("after a redirect the new server's challenge is answered") {
    http::DigestVerifier verifier({"acs2", "s2", 300, 64});
    cwmp::CpeSession s(config(), sample_inform());
    s.start();
    s.on_response(status(302, {{"Location", "http://acs2.example.net/c"}}));
    auto a = s.on_response(status(401, {{"WWW-Authenticate", verifier.challenge_at(unix_now())}}));
    REQUIRE(a.request.find("Authorization"));
    CHECK(verifier.verify(*a.request.find("Authorization"), "POST", "/c",
                          [](std::string_view) -> std::optional<std::string> { return std::string("secret"); },
                          unix_now()) == http::Verdict::ok);
}

TEST_CASE("HoldRequests: the CPE's TransferComplete waits until the ACS is done") {
    cwmp::TransferComplete tc{"fw-1", {}, "2024-01-01T00:00:00Z", "2024-01-01T00:05:00Z"};
    cwmp::CpeSession s(config(), sample_inform({{"7 TRANSFER COMPLETE", ""}, {"M Download", "fw-1"}}), {tc});
    s.start();
    auto a = s.on_response(acs(cwmp::InformResponse{1}, "i", true));
    CHECK(is_empty_post(a));  // held back
    a = s.on_response(acs(cwmp::GetParameterValues{{"InternetGatewayDevice."}}, "acs-1", true));
    REQUIRE(a.kind == Kind::call_device);
    a = s.on_device_answer(cwmp::GetParameterValuesResponse{});
    CHECK(std::holds_alternative<cwmp::GetParameterValuesResponse>(sent(a).body));
    a = s.on_response(status(204));
    auto req = sent(a);  // now the TransferComplete
    REQUIRE(std::holds_alternative<cwmp::TransferComplete>(req.body));
    CHECK(std::get<cwmp::TransferComplete>(req.body) == tc);
    CHECK(a.request.find("SOAPAction"));
    CHECK(s.requests_acknowledged() == 0);
    a = s.on_response(acs(cwmp::TransferCompleteResponse{}, req.id));
    CHECK(s.requests_acknowledged() == 1);
    CHECK(is_empty_post(a));
    CHECK(s.on_response(status(204)).kind == Kind::done);
}

TEST_CASE("without HoldRequests the TransferComplete follows the InformResponse") {
    cwmp::TransferComplete tc{"fw-2", {9010, "File transfer failure"}, std::string(cwmp::kUnknownTime),
                              std::string(cwmp::kUnknownTime)};
    cwmp::CpeSession s(config(), sample_inform(), {tc});
    s.start();
    auto a = s.on_response(acs(cwmp::InformResponse{1}, "i", false));
    REQUIRE(std::holds_alternative<cwmp::TransferComplete>(sent(a).body));
    SUBCASE("8005 Retry request: sent again") {
        a = s.on_response(acs(cwmp::Fault{8005, "Retry request", {}}));
        CHECK(std::holds_alternative<cwmp::TransferComplete>(sent(a).body));
        a = s.on_response(acs(cwmp::TransferCompleteResponse{}));
        CHECK(s.requests_acknowledged() == 1);
    }
    SUBCASE("another fault ends the session, the request stays pending") {
        a = s.on_response(acs(cwmp::Fault{8002, "Internal error", {}}));
        CHECK(a.kind == Kind::failed);
        CHECK(s.inform_acknowledged());
        CHECK(s.requests_acknowledged() == 0);
    }
}

TEST_CASE("503 with Retry-After") {
    cwmp::CpeSession s(config(), sample_inform());
    s.start();
    auto a = s.on_response(status(503, {{"Retry-After", "120"}}));
    CHECK(a.kind == Kind::failed);
    REQUIRE(a.retry_after);
    CHECK(*a.retry_after == std::chrono::seconds(120));
    CHECK_FALSE(s.inform_acknowledged());

    cwmp::CpeSession d(config(), sample_inform());
    d.start();
    auto date = d.on_response(status(503, {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}));
    CHECK(date.kind == Kind::failed);
    CHECK_FALSE(date.retry_after);  // the CPE's own backoff applies
}

TEST_CASE("malformed ACS messages") {
    cwmp::CpeSession s(config(), sample_inform());
    s.start();
    s.on_response(acs(cwmp::InformResponse{1}));
    SUBCASE("a CWMP request missing an argument is answered with fault 9003") {
        auto r = status(200);
        r.body = R"(<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Body><cwmp:GetParameterValues/></soap-env:Body></soap-env:Envelope>)";
        auto a = s.on_response(r);
        auto f = sent(a);
        REQUIRE(std::holds_alternative<cwmp::Fault>(f.body));
        CHECK(std::get<cwmp::Fault>(f.body).code == 9003);
        CHECK(a.request.body.find("<faultcode>Client</faultcode>") != std::string::npos);
        CHECK(s.on_response(status(204)).kind == Kind::done);
    }
    SUBCASE("something that is not XML ends the session") {
        auto r = status(200);
        r.body = "<html>oops";
        CHECK(s.on_response(r).kind == Kind::failed);
    }
    SUBCASE("a response where a request was expected ends the session") {
        CHECK(s.on_response(acs(cwmp::InformResponse{1})).kind == Kind::failed);
    }
}

TEST_CASE("an unknown RPC reaches the device side (which answers 9000)") {
    cwmp::CpeSession s(config(), sample_inform());
    s.start();
    s.on_response(acs(cwmp::InformResponse{1}));
    auto a = s.on_response(acs(cwmp::UnknownRpc{"X_ACME_Frob", "urn:dslforum-org:cwmp-1-0"}, "u-1"));
    REQUIRE(a.kind == Kind::call_device);
    CHECK(std::holds_alternative<cwmp::UnknownRpc>(a.acs_request.body));
    a = s.on_device_answer(cwmp::Fault{9000, "Method not supported", {}});
    auto f = sent(a);
    CHECK(f.id == "u-1");
    CHECK(std::get<cwmp::Fault>(f.body).code == 9000);
    CHECK(a.request.body.find("<faultcode>Server</faultcode>") != std::string::npos);
}

TEST_CASE("the session answers in the ACS's CWMP namespace") {
    auto c = config();
    c.version = cwmp::Version::v1_0;
    cwmp::CpeSession s(c, sample_inform());
    auto a = s.start();
    CHECK(sent(a).version == cwmp::Version::v1_0);
    a = s.on_response(acs(cwmp::InformResponse{1}, "i", std::nullopt, cwmp::Version::v1_2));
    a = s.on_response(acs(cwmp::GetRPCMethods{}, "g", std::nullopt, cwmp::Version::v1_2));
    REQUIRE(a.kind == Kind::call_device);
    a = s.on_device_answer(cwmp::GetRPCMethodsResponse{{"GetRPCMethods"}});
    CHECK(sent(a).version == cwmp::Version::v1_2);
    CHECK(a.request.body.find("urn:dslforum-org:cwmp-1-2") != std::string::npos);
    CHECK(s.version() == cwmp::Version::v1_2);
}

TEST_CASE("failures") {
    SUBCASE("a fault to the Inform") {
        cwmp::CpeSession s(config(), sample_inform());
        s.start();
        auto a = s.on_response(acs(cwmp::Fault{8002, "Internal error", {}}));
        CHECK(a.kind == Kind::failed);
        CHECK_FALSE(s.inform_acknowledged());
    }
    SUBCASE("an empty answer to the Inform") {
        cwmp::CpeSession s(config(), sample_inform());
        s.start();
        CHECK(s.on_response(status(204)).kind == Kind::failed);
    }
    SUBCASE("transport") {
        cwmp::CpeSession s(config(), sample_inform());
        s.start();
        auto a = s.on_transport_error("connection refused");
        CHECK(a.kind == Kind::failed);
        CHECK(a.error.find("connection refused") != std::string::npos);
    }
    SUBCASE("401 without credentials") {
        cwmp::CpeSession s(config("http://acs/", "", ""), sample_inform());
        s.start();
        CHECK(s.on_response(status(401, {{"WWW-Authenticate", "Basic realm=\"x\""}})).kind == Kind::failed);
    }
    SUBCASE("credentials rejected again and again") {
        cwmp::CpeSession s(config(), sample_inform());
        s.start();
        auto challenge = status(401, {{"WWW-Authenticate", "Digest realm=\"r\", nonce=\"n\", qop=\"auth\""}});
        CHECK(s.on_response(challenge).kind == Kind::send);
        CHECK(s.on_response(challenge).kind == Kind::send);
        CHECK(s.on_response(challenge).kind == Kind::failed);
    }
    SUBCASE("HTTP errors") {
        cwmp::CpeSession s(config(), sample_inform());
        s.start();
        CHECK(s.on_response(status(500)).kind == Kind::failed);
    }
}

TEST_CASE("Basic authentication when that is all the ACS offers") {
    cwmp::CpeSession s(config(), sample_inform());
    s.start();
    auto a = s.on_response(status(401, {{"WWW-Authenticate", "Basic realm=\"acs\""}}));
    REQUIRE(a.request.find("Authorization"));
    CHECK(*a.request.find("Authorization") == "Basic Y3BlOnNlY3JldA==");
}
