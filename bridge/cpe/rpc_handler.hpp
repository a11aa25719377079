#pragma once
// Answers one ACS request for one virtual CPE: the protocol rules (argument
// checks, fault codes, ManagementServer.* from the CPE's own state) here, and
// what only the gateway knows through cpe::Device. Sans-I/O: the result is a
// Step whose CMP calls the driver runs.
#include <vector>

#include "bridge/cpe/device.hpp"
#include "bridge/cpe/management_server.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

class RpcHandler {
public:
    RpcHandler(LocalContext local, Device& device);

    Step<cwmp::Body> handle(const cwmp::Body& request);
    // Values of exact paths, local or from the device (Inform parameters).
    Step<std::vector<cwmp::ParameterValue>> get_values(const std::vector<std::string>& names);

private:
    LocalContext local_;
    Device& device_;
};

cwmp::Fault make_fault(std::uint32_t code, std::string text = {});

}  // namespace cpe
