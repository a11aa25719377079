#pragma once
// The seam between the CWMP side and the gateway side of a virtual CPE.
//
// cpe::RpcHandler (protocol: argument checks, fault codes, ParameterKey,
// attributes, ManagementServer.*) asks a Device for what only the gateway
// knows. A Device is sans-I/O: each operation either finishes at once or
// names the CMP calls it needs and a continuation that takes their results
// (and may ask for more calls: read-modify-write, rollback). The driver runs
// the calls — with cmp::GatewayClient in production, with recorded answers in
// trace replay, not at all for the in-memory test device.
//
// Implementations: mapping::TableDevice (YAML mapping tables over CMP) and
// the table-driven in-memory device of the tests.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

template <class T>
using Outcome = std::variant<T, cwmp::Fault>;

using CallResults = std::vector<core::Result<cmp::Response>>;

template <class T>
struct Step {
    std::optional<Outcome<T>> done;
    std::vector<cmp::Request> calls;                 // when !done: run these (in any order, results in this order)
    std::function<Step<T>(CallResults)> resume;      // ... then call this with their results

    static Step ready(Outcome<T> o) {
        Step s;
        s.done = std::move(o);
        return s;
    }
    static Step need(std::vector<cmp::Request> calls, std::function<Step<T>(CallResults)> resume) {
        Step s;
        s.calls = std::move(calls);
        s.resume = std::move(resume);
        return s;
    }
};

struct Unit {
    bool operator==(const Unit&) const = default;
};

// What the data model says about active notification of a parameter
// (BBF XML attribute activeNotify; TR-069 A.3.2.4). SetParameterAttributes
// answers 9009 where the model lets the CPE refuse.
enum class ActiveNotify : std::uint8_t {
    normal,                 // the ACS may set any notification
    can_deny,               // the CPE may refuse Notification 2 (fast-changing counters)
    force_enabled,          // always 2; a request for less is refused
    force_default_enabled,  // 2 unless the ACS sets otherwise
};

// One node of the presented data model, as GetParameterNames and
// SetParameterValues need it.
struct NodeInfo {
    std::string path;  // instance path ("...Host.3.") ; objects end with '.'
    // Objects: true for a multi-instance table ("...Host.") that accepts
    // AddObject and for an instance ("...Host.3.") that accepts DeleteObject.
    bool is_object = false;
    bool writable = false;
    std::string type;  // xsd type for parameters ("xsd:unsignedInt")
    ActiveNotify active_notify = ActiveNotify::normal;
};

// Opaque per-device facts that must survive a restart (instance numbers the
// gateway does not keep, for instance). Persisted in the CPE's state file.
using DeviceState = std::map<std::string, std::string>;

class Device {
public:
    virtual ~Device() = default;

    // "InternetGatewayDevice." or "Device."; and "InternetGatewayDevice:1.4".
    virtual const std::string& root() const = 0;
    virtual const std::string& model() const = 0;

    // Values of exact parameter paths or partial paths (ending in '.'),
    // expanded in data-model order. Unknown path: fault 9005.
    virtual Step<std::vector<cwmp::ParameterValue>> get_values(const std::vector<std::string>& names) = 0;

    // The nodes under an object path (next_level: children only) or the one
    // parameter named; instance objects included. Unknown path: fault 9005.
    virtual Step<std::vector<NodeInfo>> get_names(const std::string& path, bool next_level) = 0;

    // Looks up one node without gateway calls when the structure is static;
    // nullopt when unknown (multi-instance rows may need get_names first).
    virtual std::optional<NodeInfo> describe(const std::string& path) const = 0;

    // Applies all values or none. The caller has already checked names,
    // writability and value syntax against the data model (booleans arrive
    // as "true"/"false", integers without sign or spaces, each value's type is
    // the data model's type from describe()/get_names()); the device
    // translates, merges per CMP function, rolls back earlier calls if a later
    // one fails, and reports per-parameter faults in the cwmp::Fault
    // (9003 with SetParameterValuesFaults).
    virtual Step<Unit> set_values(const std::vector<cwmp::ParameterValue>& values) = 0;

    // Multi-instance objects: the new instance number / removal.
    virtual Step<std::uint32_t> add_object(const std::string& object_path) = 0;
    virtual Step<Unit> delete_object(const std::string& instance_path) = 0;

    // RPCs carried out by the gateway. Completion of a Download arrives later
    // as a gateway message (notifyRgUpgradeResult) handled by the owner.
    virtual Step<Unit> reboot(const std::string& command_key) = 0;
    virtual Step<Unit> factory_reset() = 0;
    virtual Step<Unit> download(const cwmp::Download& request) = 0;
    virtual Step<Unit> upload(const cwmp::Upload& request) = 0;

    // Notification attribute changes that the gateway must know about
    // (CMP event subscriptions). `path` is what the ACS named: a parameter or
    // a partial path (everything below). A fault (9009) refuses the change and
    // the whole SetParameterAttributes. Default: nothing to do.
    virtual Step<Unit> notification_changed(const std::string& path, int notification) {
        (void)path;
        (void)notification;
        return Step<Unit>::ready(Unit{});
    }

    // SetParameterValues/AddObject/DeleteObject answer Status 1 ("committed,
    // applied later", TR-069 A.3.2.1) when true: the gateway applies changes
    // only at its next reboot. Default: CMP set calls take effect at once.
    virtual bool changes_apply_later() const { return false; }

    // Facts the device wants persisted with the CPE (restore_state is called
    // once before the first operation; persistent_state after each RPC that
    // changed something, before the ACS gets its answer).
    virtual DeviceState persistent_state() const { return {}; }
    virtual void restore_state(const DeviceState& state) { (void)state; }
    // The same facts for people (session traces): persistent_state may be a
    // compact binary form; this renders a stored one as text, unchanged
    // where it cannot.
    virtual DeviceState readable_state(const DeviceState& stored) const { return stored; }
};

}  // namespace cpe
