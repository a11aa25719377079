// AddObject, DeleteObject and the RPCs the gateway carries out (Reboot,
// FactoryReset, Download, Upload) plus ScheduleInform. What each leaves
// behind for later sessions (events, transfers, scheduled Informs) is written
// into the CPE's state here, before the answer exists, so the driver can
// persist it before the ACS sees the acknowledgement.
#include <algorithm>

#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cpe/step_util.hpp"

namespace cpe {
namespace {

using B = Step<cwmp::Body>;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// 0 when the URL is one the CPE can fetch from or upload to, else the fault:
// 9003 for something that is not a URL, 9013 for a scheme other than HTTP(S)
// (TR-069 requires HTTP and HTTPS; FTP and the rest are optional).
std::uint32_t check_transfer_url(std::string_view url) {
    auto sep = url.find("://");
    if (url.empty() || sep == std::string_view::npos || sep == 0) return 9003;
    std::string scheme = lower(url.substr(0, sep));
    if (scheme != "http" && scheme != "https") return 9013;
    if (url.size() == sep + 3) return 9003;
    return 0;
}

}  // namespace

Step<cwmp::Body> RpcHandler::add_object(const cwmp::AddObject& req) {
    if (req.parameter_key.size() > kMaxKey)
        return B::ready(make_fault(9003, "Invalid arguments: ParameterKey longer than 32 characters"));
    const std::string& name = req.object_name;
    if (!under_root(name) || name.back() != '.' || is_local_path(local_, name))
        return B::ready(make_fault(9005, "Invalid parameter name: " + name + " is not a table the ACS may add to"));
    if (auto node = device_.describe(name); node && (!node->is_object || !node->writable))
        return B::ready(make_fault(9005, "Invalid parameter name: " + name + " is not a table the ACS may add to"));
    return then<cwmp::Body>(device_.add_object(name), [this, key = req.parameter_key](std::uint32_t instance) {
        state_.parameter_key = key;
        changed_ = true;
        return B::ready(cwmp::Body(cwmp::AddObjectResponse{instance, device_.changes_apply_later() ? 1 : 0}));
    });
}

Step<cwmp::Body> RpcHandler::delete_object(const cwmp::DeleteObject& req) {
    if (req.parameter_key.size() > kMaxKey)
        return B::ready(make_fault(9003, "Invalid arguments: ParameterKey longer than 32 characters"));
    const std::string& name = req.object_name;
    if (!under_root(name) || name.back() != '.' || is_local_path(local_, name))
        return B::ready(make_fault(9005, "Invalid parameter name: " + name + " is not an instance the ACS may delete"));
    if (auto node = device_.describe(name); node && (!node->is_object || !node->writable))
        return B::ready(make_fault(9005, "Invalid parameter name: " + name + " is not an instance the ACS may delete"));
    return then<cwmp::Body>(device_.delete_object(name), [this, name, key = req.parameter_key](Unit) {
        state_.parameter_key = key;
        // Attributes of a deleted instance must not reappear on a new one with the same number.
        std::erase_if(state_.attributes, [&](const auto& kv) { return kv.first.compare(0, name.size(), name) == 0; });
        changed_ = true;
        return B::ready(cwmp::Body(cwmp::DeleteObjectResponse{device_.changes_apply_later() ? 1 : 0}));
    });
}

Step<cwmp::Body> RpcHandler::reboot(const cwmp::Reboot& req) {
    if (req.command_key.size() > kMaxKey)
        return B::ready(make_fault(9003, "Invalid arguments: CommandKey longer than 32 characters"));
    // A gateway upgrading its firmware refuses to reboot (busy), and its
    // upgrade ends with a reboot anyway: the Reboot is accepted and carried
    // out then (the driver adds M Reboot to that BOOT, or asks the gateway to
    // reboot if the upgrade fails without one). Real ACSes send Reboot right
    // after a Download; a 9002 there would fail their whole task.
    if (firmware_upgrade_in_progress(state_)) {
        state_.deferred_reboot = req.command_key;
        changed_ = true;
        return B::ready(cwmp::Body(cwmp::RebootResponse{}));
    }
    return then<cwmp::Body>(device_.reboot(req.command_key), [this, key = req.command_key](Unit) {
        // The next session reports the reboot (TR-069 A.3.2.6): BOOT and the method with its CommandKey.
        events_.add("1 BOOT");
        events_.add("M Reboot", key);
        effects_.rebooting = true;
        changed_ = true;
        return B::ready(cwmp::Body(cwmp::RebootResponse{}));
    });
}

Step<cwmp::Body> RpcHandler::factory_reset() {
    return then<cwmp::Body>(device_.factory_reset(), [this](Unit) {
        // A factory-reset CPE is a new CPE to the ACS: it bootstraps again,
        // and nothing the ACS set or asked for survives.
        state_ = factory_state(state_, local_.periodic_enable, local_.periodic_interval);
        events_.clear();
        events_.add("0 BOOTSTRAP");
        events_.add("1 BOOT");
        effects_.factory_reset = true;
        effects_.rebooting = true;
        effects_.periodic_changed = true;
        effects_.schedule_changed = true;
        effects_.transfers_changed = true;
        effects_.cr_credentials_changed = true;
        changed_ = true;
        return B::ready(cwmp::Body(cwmp::FactoryResetResponse{}));
    });
}

// The checks Download and Upload share: a fault, or nothing when the request may go on.
static std::optional<cwmp::Fault> check_transfer(const std::string& command_key, const std::string& url) {
    if (command_key.size() > kMaxKey) return make_fault(9003, "Invalid arguments: CommandKey longer than 32 characters");
    if (auto code = check_transfer_url(url))
        return make_fault(code, code == 9013 ? "Unsupported protocol for file transfer: " + url
                                             : "Invalid arguments: URL is not a URL");
    return std::nullopt;
}

void RpcHandler::accept_transfer(std::string method, std::string file_type, std::string command_key) {
    Transfer t;
    t.method = std::move(method);
    t.file_type = std::move(file_type);
    t.accepted_unix = now_();
    t.result.command_key = std::move(command_key);
    state_.transfers.push_back(std::move(t));
    effects_.transfers_changed = true;
    changed_ = true;
}

Step<cwmp::Body> RpcHandler::download(const cwmp::Download& req) {
    if (auto fault = check_transfer(req.command_key, req.url)) return B::ready(std::move(*fault));
    // The gateway can take a firmware image or a configuration file; other
    // types (web content, tones, ringers, vendor types) cannot be transferred.
    if (req.file_type != "1 Firmware Upgrade Image" && req.file_type != "3 Vendor Configuration File")
        return B::ready(make_fault(9010, "File transfer failure: unsupported FileType '" + req.file_type + "'"));
    return then<cwmp::Body>(device_.download(req), [this, req](Unit) {
        accept_transfer("Download", req.file_type, req.command_key);
        // Status 1: not finished yet; a TransferComplete follows in a later session.
        return B::ready(cwmp::Body(cwmp::DownloadResponse{1}));
    });
}

Step<cwmp::Body> RpcHandler::upload(const cwmp::Upload& req) {
    if (auto fault = check_transfer(req.command_key, req.url)) return B::ready(std::move(*fault));
    if (req.file_type != "1 Vendor Configuration File" && req.file_type != "2 Vendor Log File")
        return B::ready(make_fault(9011, "Upload failure: unsupported FileType '" + req.file_type + "'"));
    return then<cwmp::Body>(device_.upload(req), [this, req](Unit) {
        accept_transfer("Upload", req.file_type, req.command_key);
        return B::ready(cwmp::Body(cwmp::UploadResponse{1}));
    });
}

Step<cwmp::Body> RpcHandler::schedule_inform(const cwmp::ScheduleInform& req) {
    if (req.command_key.size() > kMaxKey)
        return B::ready(make_fault(9003, "Invalid arguments: CommandKey longer than 32 characters"));
    // DelaySeconds is unsignedInt[1:] (TR-069 A.4.2.2).
    if (req.delay_seconds == 0) return B::ready(make_fault(9003, "Invalid arguments: DelaySeconds must be at least 1"));
    state_.scheduled_informs.push_back({now_() + static_cast<std::int64_t>(req.delay_seconds), req.command_key});
    effects_.schedule_changed = true;
    changed_ = true;
    return B::ready(cwmp::Body(cwmp::ScheduleInformResponse{}));
}

}  // namespace cpe
