#pragma once
// Parameters a virtual CPE answers from its own state, never from the gateway:
// ManagementServer.* and DeviceSummary belong to the CWMP agent, which is the
// bridge (TR-069 Annex J: a proxy serves them for the devices it represents).
#include <optional>
#include <string>
#include <vector>

#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

struct LocalContext {
    const CpeState& state;
    std::string root;            // "InternetGatewayDevice." or "Device."
    std::string model;           // "InternetGatewayDevice:1.4"
    std::string acs_url;         // configured ACS URL (state.acs_url overrides)
    std::string acs_username;
    std::string cr_url;          // full ConnectionRequestURL of this CPE
};

struct LocalParameter {
    std::string path;
    std::string value;
    std::string type;
    bool writable = false;
};

// All local parameters, in data-model order.
std::vector<LocalParameter> local_parameters(const LocalContext& ctx);

}  // namespace cpe
