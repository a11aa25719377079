#pragma once
// Builds the Inform of a session (TR-069 A.3.3.1): DeviceId, events, the
// forced Inform parameters of the CPE's root data model that it has, and the
// parameters whose change is being notified. Sans-I/O like the handler: the
// values come through RpcHandler::get_values, so one CMP call plan serves
// DeviceId and forced parameters together.
#include <string>
#include <vector>

#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cpe/rpc_handler.hpp"

namespace cpe {

struct InformInput {
    std::vector<cwmp::EventStruct> events;      // pending in the event queue
    std::vector<Transfer> transfers;            // completed ones add 7 TRANSFER COMPLETE + M Download/Upload
    std::vector<cwmp::ParameterValue> changed;  // under passive or active notification
    std::uint32_t retry_count = 0;
    std::string current_time;
};

// Forced Inform parameters (BBF XML forcedInform="true") of TR-098
// InternetGatewayDevice and TR-106 Device, plus the default WAN connection's
// ExternalIPAddress that TR-098 also asks for; only those the device or the
// bridge has are returned.
std::vector<std::string> forced_inform_names(const std::string& root, const Device& device);

// The events an Inform must carry: the queue's, plus the transfer events of
// every completed transfer still awaiting its TransferCompleteResponse
// (TR-069 3.7.1.5: repeated in every Inform until it is acknowledged).
std::vector<cwmp::EventStruct> inform_events(const InformInput& in);

// The CPE's own requests after that Inform: the TransferComplete of each
// completed transfer in `in`, in order. Taken from the same input as the
// events, so that a transfer finishing while the Inform is being built is
// in neither (and goes with the next session), never in just one of them.
std::vector<cwmp::TransferComplete> inform_requests(const InformInput& in);

// Fault 9002 when the device cannot supply Manufacturer, ManufacturerOUI and
// SerialNumber (the DeviceId).
Step<cwmp::Inform> build_inform(RpcHandler& handler, const Device& device, InformInput in);

}  // namespace cpe
