#pragma once
// Answers the ACS's RPCs for one virtual CPE: the protocol rules (argument
// checks, fault codes, atomicity, ParameterKey, attributes, ManagementServer.*
// from the CPE's own state) here, and what only the gateway knows through
// cpe::Device. Sans-I/O: each answer is a Step whose CMP calls the driver
// runs. Continuations refer to the handler, so it must outlive its Steps.
//
// Persistence contract: when changed() is true after a Step finished, the
// driver must persist the CpeState (and the event queue) before sending the
// answer, because the answer acknowledges the change to the ACS.
#include <cstdint>
#include <functional>
#include <utility>
#include <string>
#include <vector>

#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cpe/device.hpp"
#include "bridge/cpe/management_server.hpp"
#include "bridge/cwmp/event_queue.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

// What the driver must do after the session because of what the ACS asked.
struct Effects {
    bool acs_url_changed = false;         // new ManagementServer.URL: BOOTSTRAP towards it
    bool periodic_changed = false;        // PeriodicInform* changed: reschedule
    bool cr_credentials_changed = false;  // Connection Request listener must see new credentials
    bool rebooting = false;               // Reboot or FactoryReset accepted by the gateway
    bool factory_reset = false;
    bool schedule_changed = false;   // a ScheduleInform was accepted
    bool transfers_changed = false;  // a Download/Upload was accepted
};

class RpcHandler {
public:
    using Clock = std::function<std::int64_t()>;  // Unix seconds; default: the system clock

    RpcHandler(LocalContext local, CpeState& state, cwmp::EventQueue& events, Device& device, Clock now = {});

    Step<cwmp::Body> handle(const cwmp::Body& request);

    // Values of exact or partial paths, local or from the device, in request
    // order (partial paths in data-model order). Used for GPV and the Inform.
    Step<std::vector<cwmp::ParameterValue>> get_values(const std::vector<std::string>& names);

    // The Notification attribute in effect for a parameter (value changes).
    int notification_of(const std::string& path) const;

    // Persistent state changed since the last call of take_changed().
    bool changed() const { return changed_; }
    bool take_changed() { return std::exchange(changed_, false); }
    const Effects& effects() const { return effects_; }
    // The driver could not store an RPC's outcome and put the state back:
    // the effects go back to what they were before that RPC.
    void restore_effects(const Effects& before) { effects_ = before; }
    // RPCs that may change the gateway (as opposed to reads and the CPE's
    // own bookkeeping): the driver checks it can store their outcome first.
    // A SetParameterValues of only the CPE's own parameters (ManagementServer.,
    // which ACSes set at every bootstrap) never reaches the gateway: if its
    // outcome cannot be stored, putting the CPE's state back undoes all of it.
    bool may_change_device(const cwmp::Body& request) const;
    const LocalContext& local() const { return local_; }

    // Exactly the RPCs handle() implements (GetRPCMethodsResponse).
    static const std::vector<std::string>& methods();

private:
    Step<cwmp::Body> get_names(const cwmp::GetParameterNames& req);
    Step<cwmp::Body> set_values(const cwmp::SetParameterValues& req);
    Step<cwmp::Body> get_attributes(const cwmp::GetParameterAttributes& req);
    Step<cwmp::Body> set_attributes(const cwmp::SetParameterAttributes& req);
    Step<cwmp::Body> add_object(const cwmp::AddObject& req);
    Step<cwmp::Body> delete_object(const cwmp::DeleteObject& req);
    Step<cwmp::Body> reboot(const cwmp::Reboot& req);
    Step<cwmp::Body> factory_reset();
    Step<cwmp::Body> download(const cwmp::Download& req);
    Step<cwmp::Body> upload(const cwmp::Upload& req);
    // Records an accepted Download/Upload until its TransferComplete is acknowledged.
    void accept_transfer(std::string method, std::string file_type, std::string command_key);
    Step<cwmp::Body> schedule_inform(const cwmp::ScheduleInform& req);

    // The parameters (not objects) at or below each name, local and device,
    // with their active-notification facts; 9005 for an unknown name.
    Step<std::vector<NodeInfo>> parameters_under(std::vector<std::string> names);
    // One node, statically if the device can, else through get_names.
    Step<std::vector<NodeInfo>> resolve(const std::string& path);
    ActiveNotify active_notify_of(const NodeInfo& node) const;
    bool under_root(std::string_view path) const;

    LocalContext local_;
    CpeState& state_;
    cwmp::EventQueue& events_;
    Device& device_;
    Clock now_;
    Effects effects_;
    bool changed_ = false;
};

cwmp::Fault make_fault(std::uint32_t code, std::string text = {});

// TR-069 limits ParameterKey and CommandKey to 32 characters.
inline constexpr std::size_t kMaxKey = 32;

}  // namespace cpe
