#pragma once
// Test helpers shared by the CWMP codec suites: one schema-valid message per
// Body alternative (so the same samples serve the round-trip and the xmllint
// tests) and access to ../shared.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bridge/cwmp/codec.hpp"
#include "tests/shared_paths.hpp"

namespace cwmp_test {

inline constexpr cwmp::Version kVersions[] = {cwmp::Version::v1_0, cwmp::Version::v1_1, cwmp::Version::v1_2};

// Characters XML must escape, in a form every schema facet still accepts.
inline const std::string kNasty = "a<b>&\"c'";

inline std::vector<cwmp::ParameterValue> sample_values() {
    return {
        {"InternetGatewayDevice.DeviceInfo.SoftwareVersion", "1.0 <beta> & \"rc\" 'x'", "xsd:string"},
        {"InternetGatewayDevice.ManagementServer.PeriodicInformInterval", "300", "xsd:unsignedInt"},
        {"InternetGatewayDevice.ManagementServer.PeriodicInformEnable", "true", "xsd:boolean"},
        {"InternetGatewayDevice.Time.CurrentLocalTime", "2024-01-01T00:00:00Z", "xsd:dateTime"},
        {"InternetGatewayDevice.X_EXAMPLE.Untyped", "", ""},
        {"InternetGatewayDevice.X_EXAMPLE.Spaces", "  padded \n twice  ", "xsd:string"},
        {"InternetGatewayDevice.X_EXAMPLE.CarriageReturn", "a\rb", "xsd:string"},
        {"InternetGatewayDevice.X_EXAMPLE.Unicode", "caf\xC3\xA9 \xE2\x82\xAC", "xsd:string"},
    };
}

// Every alternative of cwmp::Body, in variant order. UnknownRpc is last and
// carries the namespace of `v`, as the decoder would report it.
inline std::vector<cwmp::Body> sample_bodies(cwmp::Version v) {
    using namespace cwmp;
    std::vector<Body> b;
    Inform inform;
    inform.device_id = {"ExampleCorp " + kNasty, "001122", "RG<1000>", "SN\"0001\""};
    inform.events = {{"0 BOOTSTRAP", ""}, {"M Reboot", kNasty}};
    inform.max_envelopes = 1;
    inform.current_time = "2024-01-01T00:00:00Z";
    inform.retry_count = 2;
    inform.parameters = sample_values();
    b.emplace_back(inform);
    b.emplace_back(InformResponse{1});
    b.emplace_back(
        TransferComplete{kNasty, {9010, "Download failed & retried"}, "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"});
    b.emplace_back(TransferCompleteResponse{});
    b.emplace_back(GetRPCMethods{});
    b.emplace_back(GetRPCMethodsResponse{{"GetRPCMethods", "GetParameterValues", "SetParameterValues", "Reboot"}});
    b.emplace_back(GetParameterNames{"InternetGatewayDevice.", true});
    b.emplace_back(GetParameterNamesResponse{
        {{"InternetGatewayDevice.DeviceInfo.", false}, {"InternetGatewayDevice.ManagementServer.URL", true}}});
    b.emplace_back(GetParameterValues{{"InternetGatewayDevice.DeviceInfo.", "InternetGatewayDevice.X_" + kNasty}});
    b.emplace_back(GetParameterValuesResponse{sample_values()});
    b.emplace_back(SetParameterValues{sample_values(), kNasty});
    b.emplace_back(SetParameterValuesResponse{1});
    b.emplace_back(GetParameterAttributes{{"InternetGatewayDevice.DeviceInfo.SoftwareVersion"}});
    b.emplace_back(
        GetParameterAttributesResponse{{{"InternetGatewayDevice.DeviceInfo.SoftwareVersion", 2, {"Subscriber"}},
                                        {"InternetGatewayDevice.ManagementServer.URL", 0, {}}}});
    b.emplace_back(SetParameterAttributes{{{"InternetGatewayDevice.DeviceInfo.", true, 1, true, {"Subscriber"}},
                                           {"InternetGatewayDevice.Time.", false, 0, false, {}}}});
    b.emplace_back(SetParameterAttributesResponse{});
    b.emplace_back(AddObject{"InternetGatewayDevice.LANDevice.1.WLANConfiguration.", kNasty});
    b.emplace_back(AddObjectResponse{3, 1});
    b.emplace_back(DeleteObject{"InternetGatewayDevice.LANDevice.1.WLANConfiguration.3.", "k2"});
    b.emplace_back(DeleteObjectResponse{0});
    b.emplace_back(Reboot{kNasty});
    b.emplace_back(RebootResponse{});
    b.emplace_back(FactoryReset{});
    b.emplace_back(FactoryResetResponse{});
    b.emplace_back(Download{"dl-1", "1 Firmware Upgrade Image", "http://files.example.com/fw.bin?a=1&b=2", "user",
                            "p&ss<word>", 123456, "fw.bin", 30, "http://ok.example.com/", ""});
    b.emplace_back(DownloadResponse{1, std::string(kUnknownTime), std::string(kUnknownTime)});
    b.emplace_back(Upload{"ul-1", "1 Vendor Configuration File", "http://files.example.com/up?x=1&y=2", "u", "p", 5});
    b.emplace_back(UploadResponse{0, "2024-01-01T00:00:00Z", "2024-01-01T00:00:05+01:00"});
    b.emplace_back(ScheduleInform{60, kNasty});
    b.emplace_back(ScheduleInformResponse{});
    b.emplace_back(Fault{9003,
                         "Invalid arguments",
                         {{"InternetGatewayDevice.X.Y", 9007, "Invalid parameter value <" + kNasty + ">"},
                          {"InternetGatewayDevice.X.Z", 9008, ""}}});
    b.emplace_back(UnknownRpc{"X_EXAMPLE_Frobnicate", std::string(namespace_uri(v))});
    return b;
}

inline cwmp::Envelope envelope(cwmp::Version v, cwmp::Body body, std::string id = "id-1 " + kNasty) {
    cwmp::Envelope env;
    env.version = v;
    env.id = std::move(id);
    env.body = std::move(body);
    return env;
}

// ../shared (with its traces); when it is missing the test fails, or with
// BRIDGE_ALLOW_MISSING_SHARED=1 this is nothing and the test skips.
inline std::optional<std::filesystem::path> shared_dir() {
    if (!test_shared::path("traces")) return std::nullopt;
    return test_shared::root();
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Sorted so failures are reported in a stable order.
inline std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir, std::string_view ext) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace cwmp_test
