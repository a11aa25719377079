#pragma once
// Hand-made ACS answers for driving cwmp::CpeSession without sockets.
#include <doctest/doctest.h>

#include "bridge/cwmp/codec.hpp"
#include "bridge/cwmp/cpe_session.hpp"

namespace session_test {

inline cwmp::Inform sample_inform(std::vector<cwmp::EventStruct> events = {{"1 BOOT", ""}}) {
    cwmp::Inform i;
    i.device_id = {"Example", "00D09E", "RG-1", "SN0001"};
    i.events = std::move(events);
    i.current_time = "2024-01-01T00:00:00Z";
    i.parameters = {{"InternetGatewayDevice.ManagementServer.ParameterKey", "", "xsd:string"}};
    return i;
}

inline cwmp::SessionConfig config(std::string url = "http://acs.example.net:7547/cwmp", std::string user = "cpe",
                                  std::string pass = "secret") {
    cwmp::SessionConfig c;
    c.acs_url = *http::Url::parse(url);
    c.username = std::move(user);
    c.password = std::move(pass);
    return c;
}

// An ACS message: 200 with a CWMP envelope.
inline http::Response acs(cwmp::Body body, std::string id = "acs-1", std::optional<bool> hold = std::nullopt,
                          cwmp::Version v = cwmp::Version::v1_0) {
    cwmp::Envelope env;
    env.version = v;
    env.id = std::move(id);
    env.hold_requests = hold;
    env.body = std::move(body);
    http::Response r;
    r.status = 200;
    r.headers.push_back({"Content-Type", "text/xml; charset=\"utf-8\""});
    r.body = cwmp::encode(env);
    return r;
}

inline http::Response status(int code, http::Headers headers = {}) {
    http::Response r;
    r.status = code;
    r.headers = std::move(headers);
    return r;
}

// Decodes what the CPE sent.
inline cwmp::Envelope sent(const cwmp::Action& a) {
    REQUIRE(a.kind == cwmp::Action::Kind::send);
    REQUIRE_FALSE(a.request.body.empty());
    auto env = cwmp::decode(a.request.body);
    REQUIRE(env);
    return *env;
}

inline bool is_empty_post(const cwmp::Action& a) {
    return a.kind == cwmp::Action::Kind::send && a.request.method == "POST" && a.request.body.empty();
}

}  // namespace session_test
