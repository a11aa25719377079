#pragma once
// Everything about one virtual CPE that must survive a restart (TR-069
// requires it of a real CPE): bootstrap done, undelivered events with their
// CommandKeys, ParameterKey, the ManagementServer values the ACS may set, and
// the Connection Request credentials. Serialised as YAML so an operator can
// read it; stored through state::Store.
#include <cstdint>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

struct CpeState {
    std::string gateway_id;
    bool bootstrapped = false;  // a 0 BOOTSTRAP Inform was acknowledged once
    std::vector<cwmp::EventStruct> pending_events;
    std::string parameter_key;
    cwmp::DeviceId device_id;  // as last seen from the gateway
    std::string cr_path;       // unguessable Connection Request path token
    std::string cr_username;
    std::string cr_password;
    std::string acs_url;       // ManagementServer.URL when set by the ACS; empty = configured
    bool periodic_enable = true;
    std::uint32_t periodic_interval = 3600;
    std::string periodic_time = std::string(cwmp::kUnknownTime);

    bool operator==(const CpeState&) const = default;
};

std::string serialize(const CpeState& s);
core::Result<CpeState> parse_state(std::string_view yaml);

}  // namespace cpe
