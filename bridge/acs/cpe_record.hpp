#pragma once
// What the ACS side knows about one CPE between sessions: who it is, how to
// wake it (ConnectionRequestURL), when it last informed and how often it
// should, its data model as discovered with GetParameterNames, and which
// parameters were given active notification. Plain data plus the rules that
// read it; the engine (acs::CpeSession, acs::discovery) updates it.
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/cwmp/messages.hpp"

namespace acs {

using TimePoint = std::chrono::system_clock::time_point;

struct CpeRecord {
    std::string id;  // acs::cpe_id(device_id)
    cwmp::DeviceId device_id;
    std::string root;  // "InternetGatewayDevice." or "Device."
    cwmp::Version version = cwmp::Version::v1_0;
    std::string connection_request_url;
    // The last Inform's parameters and events, as sent.
    std::vector<cwmp::ParameterValue> inform_parameters;
    std::vector<cwmp::EventStruct> last_events;
    std::optional<TimePoint> last_inform;
    std::optional<std::chrono::seconds> periodic_interval;
    std::uint64_t informs = 0;

    // Discovered data model: every name GetParameterNames returned (objects end
    // in '.'), with its writability. Empty until discovery completed.
    std::map<std::string, bool, std::less<>> names;
    bool discovered = false;
    std::optional<TimePoint> discovered_at;
    bool discovery_queued = false;  // a GetParameterNames is queued or in flight

    // Paths to keep on active notification, relative to root or absolute, with
    // "{i}" for any instance number ("Hosts.Host.{i}.Active").
    std::vector<std::string> watch;
    std::set<std::string, std::less<>> notification_active;  // names the CPE accepted Notification=2 for
    std::string notification_error;                          // the CPE's fault to the last attempt, if any
    // Names the CPE refused active notification for: not asked again until the
    // next discovery (a CPE that does not support it would fault every session).
    std::set<std::string, std::less<>> notification_refused;

    bool gone = false;  // declared gone (missed informs) and not back since
    // The last Inform ended a gone period (gone is already false again when an
    // Observer hears that Inform; this says it was set until then).
    bool came_back = false;

    // Takes a PeriodicInformInterval value as the CPE wrote it; false (and
    // nothing changed) when it is not a positive number of seconds.
    bool set_periodic_interval(std::string_view value);

    // Takes what an Inform says. `version` is the namespace the CPE used.
    void on_inform(const cwmp::Inform& inform, cwmp::Version version, TimePoint now);

    // Whether this Inform calls for a (new) GetParameterNames of the whole
    // tree: first contact, 0 BOOTSTRAP, 1 BOOT, or a value change of a
    // parameter the cached model does not know (an instance appeared).
    bool needs_discovery(const cwmp::Inform& inform) const;

    // Replaces the cached model with a GetParameterNames answer.
    void on_names(const cwmp::GetParameterNamesResponse& names, TimePoint now);
    bool knows(std::string_view name) const { return names.find(name) != names.end(); }
    std::optional<bool> writable(std::string_view name) const;

    // Discovered names that match a watch path, not on active notification yet and not refused.
    std::vector<std::string> unwatched_matches() const;

    // When the CPE counts as gone: `missed` periodic intervals after its last
    // Inform, plus `grace`. nullopt when the interval is unknown.
    std::optional<TimePoint> gone_deadline(int missed, std::chrono::seconds grace) const;
};

// Whether a parameter name matches a watch path ("{i}" = one instance number).
// A path ending in '.' matches that object name itself.
bool matches_watch(std::string_view name, std::string_view pattern);

}  // namespace acs
