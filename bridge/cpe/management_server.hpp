#pragma once
// Parameters a virtual CPE answers from its own state, never from the gateway:
// ManagementServer.* and DeviceSummary belong to the CWMP agent, which is the
// bridge (TR-069 Annex J: a proxy serves them for the devices it represents).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cpe/device.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

// What the bridge's configuration says about one CPE; the CpeState may
// override the ACS values.
struct LocalContext {
    std::string root;          // "InternetGatewayDevice." or "Device."
    std::string model;         // "InternetGatewayDevice:1.4"
    std::string acs_url;       // configured ACS URL (state.acs_url overrides)
    std::string acs_username;  // configured (state.acs_username overrides)
    std::string acs_password;
    std::string cr_url;        // full ConnectionRequestURL of this CPE
    bool periodic_enable = true;            // configured defaults, for FactoryReset
    std::uint32_t periodic_interval = 3600;
};

struct LocalParameter {
    std::string path;
    std::string value;
    std::string type;
    bool writable = false;
    ActiveNotify active_notify = ActiveNotify::normal;
};

// All local parameters, in data-model order.
std::vector<LocalParameter> local_parameters(const LocalContext& ctx, const CpeState& state);

// The object that holds them ("<root>ManagementServer.").
std::string management_server_path(const LocalContext& ctx);
// True for paths the bridge answers itself: DeviceSummary and everything at
// or below ManagementServer. (Also used to hide a device's own copies.)
bool is_local_path(const LocalContext& ctx, std::string_view path);
// Whether a requested name (a parameter or a partial path) can match any
// local parameter: when not, local_parameters need not be built.
bool may_name_local(const LocalContext& ctx, std::string_view requested);

// The ACS values in effect (state overrides configuration).
std::string effective_acs_url(const LocalContext& ctx, const CpeState& state);
std::string effective_acs_username(const LocalContext& ctx, const CpeState& state);
std::string effective_acs_password(const LocalContext& ctx, const CpeState& state);

// Checks one SetParameterValues item for a local parameter: fault code 9005,
// 9006, 9007 or 9008, or the canonical value to store.
struct LocalCheck {
    std::uint32_t fault = 0;
    std::string fault_string;
    std::string value;
};
LocalCheck check_local_value(const LocalContext& ctx, const CpeState& state, const cwmp::ParameterValue& pv);

// Stores a value that passed check_local_value.
void apply_local_value(const LocalContext& ctx, CpeState& state, const std::string& path, const std::string& value);

}  // namespace cpe
