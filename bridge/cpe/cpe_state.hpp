#pragma once
// Everything about one virtual CPE that must survive a restart (TR-069
// requires it of a real CPE): bootstrap done, undelivered events with their
// CommandKeys, ParameterKey, the ManagementServer values the ACS may set,
// parameter attributes, scheduled Informs, file transfers until their
// TransferComplete is acknowledged, and the Connection Request credentials.
// Stored through state::Store in a compact binary form (encode_state: one
// state is written per acknowledged change, so its cost matters); YAML
// (serialize) is what people read: traces, dumps, the files of older versions.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/cpe/device.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

// Attributes set by SetParameterAttributes on one path (a parameter or a
// partial path covering everything below). A field left empty is inherited
// from the nearest enclosing partial path (see attributes.hpp).
struct AttributeRule {
    std::optional<int> notification;
    std::optional<std::vector<std::string>> access_list;
    bool operator==(const AttributeRule&) const = default;
};

struct ScheduledInform {
    std::int64_t due_unix = 0;
    std::string command_key;
    bool operator==(const ScheduledInform&) const = default;
};

// A Download or Upload the ACS asked for. While `completed` is false the
// gateway is still working on it; once true, `result` is the TransferComplete
// to send until the ACS acknowledges it.
struct Transfer {
    std::string method;  // "Download" or "Upload"
    std::string file_type;
    std::int64_t accepted_unix = 0;
    bool completed = false;
    cwmp::TransferComplete result;  // result.command_key is the transfer's CommandKey even before completion
    bool operator==(const Transfer&) const = default;
};

struct CpeState {
    std::string gateway_id;
    bool bootstrapped = false;  // a 0 BOOTSTRAP Inform was acknowledged once
    std::vector<cwmp::EventStruct> pending_events;
    std::string parameter_key;
    cwmp::DeviceId device_id;  // as last seen from the gateway
    std::string cr_path;       // unguessable Connection Request path token
    std::string cr_username;
    std::string cr_password;
    std::string last_cr_url;  // ConnectionRequestURL of the last acknowledged Inform (change → VALUE CHANGE)
    // ManagementServer values the ACS may set; unset = the configuration's.
    std::string acs_url;  // empty = configured
    std::optional<std::string> acs_username;
    std::optional<std::string> acs_password;
    bool periodic_enable = true;
    std::uint32_t periodic_interval = 3600;
    std::string periodic_time = std::string(cwmp::kUnknownTime);
    bool upgrades_managed = false;
    // A Reboot the ACS asked for while a firmware Download was in progress:
    // its CommandKey, until the upgrade's own reboot (or, if the upgrade fails
    // without one, a reboot the bridge asks for) carries it out.
    std::optional<std::string> deferred_reboot;
    std::map<std::string, AttributeRule> attributes;
    std::vector<ScheduledInform> scheduled_informs;
    std::vector<Transfer> transfers;
    DeviceState device_state;

    bool operator==(const CpeState&) const = default;
};

// A firmware Download accepted and not finished yet.
bool firmware_upgrade_in_progress(const CpeState& s);

// YAML, for people: traces embed it, and state_dir files of older versions hold it.
std::string serialize(const CpeState& s);
// The stored form: binary, versioned, every field (docs/performance.md).
// It starts with a NUL byte, which YAML text never does.
std::string encode_state(const CpeState& s);
// Either form: encode_state's or serialize's.
core::Result<CpeState> parse_state(std::string_view text);

// What FactoryReset leaves of a CPE: identity, Connection Request path and
// credentials (the bridge's, so the ACS can still reach the CPE), and the
// configured periodic Inform defaults passed in. Everything the ACS set,
// every pending event and transfer is gone.
CpeState factory_state(const CpeState& s, bool periodic_enable, std::uint32_t periodic_interval);

}  // namespace cpe
