#pragma once
// The scripted ACS's script: a YAML list of RPCs with expectations.
//   steps:
//     - rpc: GetParameterValues
//       names: [InternetGatewayDevice.DeviceInfo.]
//     - rpc: GetParameterValues
//       names: [InternetGatewayDevice.DeviceInfo.Bogus]
//       expect_fault: 9005
#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"

struct AcsStep {
    cwmp::Body request;
    std::optional<std::uint32_t> expect_fault;
    std::string expect_response;  // RPC name; default: request name + "Response"
};

struct AcsScript {
    std::vector<AcsStep> steps;
};

struct StepResult {
    std::string request;
    std::string response;
    std::string summary;
    bool ok = true;
    std::string problem;
    std::optional<std::uint32_t> fault;
    std::vector<std::pair<std::string, std::string>> values;  // name -> value (GPV, GPN writable)
};

core::Result<AcsScript> load_script(const std::string& path);
std::string describe_request(const cwmp::Body& b);
StepResult check_step(const AcsStep& step, const cwmp::Envelope& answer);
void emit_result(YAML::Emitter& out, const StepResult& r);
