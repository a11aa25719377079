#pragma once
// What the reverse direction keeps of a CPE across restarts (docs/reverse.md,
// "Restarts"): enough to register its gateway with the HOMS again at start,
// to wake the CPE for a HOMS call before it informs again, and the event state
// (subscriptions, last values) so that a restart neither loses a subscription
// nor reports every host as new. Stored through state::Store (SQLite, group
// commit) under a key derived from the CPE id (ids hold '%', keys may not).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/acs/cpe_record.hpp"
#include "bridge/cmp/agent_session.hpp"
#include "bridge/core/result.hpp"

namespace app {

struct ReverseCpeState {
    acs::CpeRecord record;        // id, device_id, root, version, ConnectionRequestURL, periodic interval, last Inform
    std::string rg_id;
    std::string mapping;          // the reverse.mappings key its table was chosen by ("Device:2")
    cmp::AgentIdentity identity;  // as last announced in regRg
    std::string events;           // mapping::ReverseEventState::save()
};

std::string encode_reverse_state(const ReverseCpeState& s);
core::Result<ReverseCpeState> decode_reverse_state(std::string_view blob);
// "cpe-" + the first 40 hex digits of SHA-256(cpe id): a valid state::Store key for any id.
std::string reverse_state_key(std::string_view cpe_id);

}  // namespace app
