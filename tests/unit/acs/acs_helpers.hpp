#pragma once
// Plays a CPE against acs::CpeSession with plain function calls.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bridge/acs/cpe_session.hpp"
#include "bridge/cwmp/codec.hpp"
#include "tests/shared_paths.hpp"

namespace acs_test {

inline const acs::TimePoint kT0 = acs::TimePoint{} + std::chrono::hours(24 * 365 * 50);

inline cwmp::Inform inform(std::vector<cwmp::EventStruct> events = {{"1 BOOT", ""}}) {
    cwmp::Inform i;
    i.device_id = {"Example", "00D09E", "RG-1", "SN0001"};
    i.events = std::move(events);
    i.current_time = "2024-01-01T00:00:00Z";
    i.parameters = {
        {"InternetGatewayDevice.DeviceInfo.SoftwareVersion", "1.0", "xsd:string"},
        {"InternetGatewayDevice.ManagementServer.ConnectionRequestURL", "http://10.0.0.7:7547/cr", "xsd:string"},
        {"InternetGatewayDevice.ManagementServer.ParameterKey", "", "xsd:string"},
    };
    return i;
}

inline http::Request post(const cwmp::Body& body, std::string id = "cpe-1", cwmp::Version v = cwmp::Version::v1_0,
                          std::optional<bool> hold = std::nullopt) {
    cwmp::Envelope env;
    env.version = v;
    env.id = std::move(id);
    env.hold_requests = hold;
    env.body = body;
    http::Request r;
    r.method = "POST";
    r.target = "/acs";
    r.headers.push_back({"Content-Type", "text/xml"});
    r.body = cwmp::encode(env);
    return r;
}

inline http::Request empty_post() {
    http::Request r;
    r.method = "POST";
    r.target = "/acs";
    return r;
}

inline cwmp::Envelope first_inform(const http::Request& r) {
    auto first = acs::read_first_post(r);
    REQUIRE(first.inform);
    return *first.inform;
}

// The envelope the ACS answered with.
inline cwmp::Envelope sent(const http::Response& r) {
    REQUIRE(r.status == 200);
    auto env = cwmp::decode(r.body);
    REQUIRE_MESSAGE(env, (env ? "" : env.error().message));
    return *env;
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A CPE's fixed answers: the GetParameterNames tree, values by name.
inline cwmp::GetParameterNamesResponse igd_names() {
    return {{{"InternetGatewayDevice.", false},
             {"InternetGatewayDevice.DeviceInfo.SoftwareVersion", false},
             {"InternetGatewayDevice.ManagementServer.PeriodicInformInterval", true},
             {"InternetGatewayDevice.LANDevice.1.Hosts.Host.", false},
             {"InternetGatewayDevice.LANDevice.1.Hosts.Host.1.Active", false},
             {"InternetGatewayDevice.LANDevice.1.Hosts.Host.1.HostName", false},
             {"InternetGatewayDevice.LANDevice.1.Hosts.Host.2.Active", false}}};
}

}  // namespace acs_test
