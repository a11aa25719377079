#include "bridge/cpe/inform.hpp"

#include <algorithm>

#include "bridge/cpe/step_util.hpp"

namespace cpe {

std::vector<std::string> forced_inform_names(const std::string& root, const Device& device) {
    const std::string di = root + "DeviceInfo.";
    const std::string ms = root + "ManagementServer.";
    std::vector<std::string> names = {root + "DeviceSummary"};
    std::vector<std::string> device_side = {di + "HardwareVersion", di + "SoftwareVersion"};
    if (root == "InternetGatewayDevice.") {
        device_side.push_back(di + "SpecVersion");
        device_side.push_back(di + "ProvisioningCode");
    }
    for (auto& n : device_side)
        if (device.describe(n)) names.push_back(n);
    names.push_back(ms + "ConnectionRequestURL");
    names.push_back(ms + "ParameterKey");
    if (root == "InternetGatewayDevice.") {
        // TR-098: the ExternalIPAddress of the default WAN connection; the
        // first IP, else PPP, connection of the first WAN device stands for it.
        const std::string wcd = root + "WANDevice.1.WANConnectionDevice.1.";
        for (auto* kind : {"WANIPConnection", "WANPPPConnection"}) {
            std::string p = wcd + kind + ".1.ExternalIPAddress";
            if (device.describe(p)) {
                names.push_back(p);
                break;
            }
        }
    } else if (device.describe(root + "LAN.IPAddress")) {
        names.push_back(root + "LAN.IPAddress");  // TR-106 Device:1 forced parameter
    }
    return names;
}

std::vector<cwmp::EventStruct> inform_events(const InformInput& in) {
    std::vector<cwmp::EventStruct> events = in.events;
    auto add = [&](cwmp::EventStruct e) {
        if (std::find(events.begin(), events.end(), e) == events.end()) events.push_back(std::move(e));
    };
    for (auto& t : in.transfers) {
        if (!t.completed) continue;
        add({"7 TRANSFER COMPLETE", ""});
        add({"M " + t.method, t.result.command_key});
    }
    return events;
}

std::vector<cwmp::TransferComplete> inform_requests(const InformInput& in) {
    std::vector<cwmp::TransferComplete> out;
    for (auto& t : in.transfers)
        if (t.completed) out.push_back(t.result);
    return out;
}

Step<cwmp::Inform> build_inform(RpcHandler& handler, const Device& device, InformInput in) {
    const std::string root = handler.local().root;
    const std::string di = root + "DeviceInfo.";
    const std::vector<std::string> id_names = {di + "Manufacturer", di + "ManufacturerOUI", di + "SerialNumber"};
    for (auto& n : id_names)
        if (!device.describe(n))
            return Step<cwmp::Inform>::ready(make_fault(9002, "Internal error: the device has no " + n + " for the DeviceId"));
    std::vector<std::string> names = id_names;
    const bool has_class = device.describe(di + "ProductClass").has_value();
    if (has_class) names.push_back(di + "ProductClass");
    const auto forced = forced_inform_names(root, device);
    names.insert(names.end(), forced.begin(), forced.end());

    auto events = inform_events(in);
    return then<cwmp::Inform>(handler.get_values(names), [=](std::vector<cwmp::ParameterValue> values) {
        auto value_of = [&](const std::string& n) -> std::string {
            for (auto& v : values)
                if (v.name == n) return v.value;
            return {};
        };
        cwmp::Inform inform;
        inform.device_id = {value_of(di + "Manufacturer"), value_of(di + "ManufacturerOUI"),
                            has_class ? value_of(di + "ProductClass") : std::string(), value_of(di + "SerialNumber")};
        inform.events = events;
        inform.max_envelopes = 1;
        inform.current_time = in.current_time;
        inform.retry_count = in.retry_count;
        for (auto& v : values)
            if (std::find(forced.begin(), forced.end(), v.name) != forced.end()) inform.parameters.push_back(v);
        for (auto& c : in.changed)
            if (std::none_of(inform.parameters.begin(), inform.parameters.end(),
                             [&](const cwmp::ParameterValue& p) { return p.name == c.name; }))
                inform.parameters.push_back(c);
        return Step<cwmp::Inform>::ready(std::move(inform));
    });
}

}  // namespace cpe
