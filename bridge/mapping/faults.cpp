#include "bridge/mapping/faults.hpp"

#include <charconv>

namespace mapping {

namespace rc = cmp::result_code;

std::string_view to_string(FaultContext c) {
    switch (c) {
        case FaultContext::get: return "get";
        case FaultContext::set: return "set";
        case FaultContext::rpc: return "rpc";
        case FaultContext::download: return "download";
        case FaultContext::upload: return "upload";
        case FaultContext::notify: return "notify";
        case FaultContext::object: return "object";
    }
    return "?";
}

std::optional<FaultContext> fault_context_from(std::string_view n) {
    for (auto c : {FaultContext::get, FaultContext::set, FaultContext::rpc, FaultContext::download,
                   FaultContext::upload, FaultContext::notify, FaultContext::object})
        if (to_string(c) == n) return c;
    return std::nullopt;
}

void FaultMap::set(std::optional<FaultContext> context, int result_code, std::uint32_t cwmp_code) {
    entries_[{context ? static_cast<int>(*context) : -1, result_code}] = cwmp_code;
}

std::uint32_t FaultMap::code(FaultContext context, int result_code) const {
    if (auto it = entries_.find({static_cast<int>(context), result_code}); it != entries_.end()) return it->second;
    if (auto it = entries_.find({-1, result_code}); it != entries_.end()) return it->second;
    return builtin(context, result_code);
}

std::uint32_t FaultMap::builtin(FaultContext context, int result_code) {
    // Argument and support faults depend on what the ACS asked for; everything
    // the ACS cannot fix by changing its request is an internal error (9002).
    switch (result_code) {
        case rc::invalid_argument:
            return context == FaultContext::set ? 9007 : context == FaultContext::notify ? 9009 : 9003;
        case rc::unknown_function: return 9000;
        case rc::not_supported:
            return context == FaultContext::rpc || context == FaultContext::download || context == FaultContext::upload
                       ? 9000
                       : context == FaultContext::notify ? 9009 : 9001;
        case rc::unauthorized: return 9001;
        case rc::device_not_found: return context == FaultContext::set ? 9007 : 9002;
        case rc::transfer_failed: return context == FaultContext::upload ? 9011 : 9010;
        case rc::upgrade_failed: return 9018;
        case rc::subscription_not_found: return context == FaultContext::notify ? 9009 : 9002;
        case rc::resource_unavailable: return context == FaultContext::object ? 9004 : 9002;
        case rc::busy:
        case rc::general_failure:
        case rc::device_error:
        case rc::timeout:
        case rc::malformed_message:
        case rc::peer_fault:
        default: return 9002;
    }
}

std::optional<int> result_code_from(std::string_view text) {
    for (int c = 0; c <= 15; ++c)
        if (cmp::result_code_name(c) == text) return c;
    int v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < 0) return std::nullopt;
    return v;
}

cwmp::Fault make_fault(std::uint32_t code, std::string text) {
    cwmp::Fault f;
    f.code = code;
    f.string = text.empty() ? std::string(cwmp::default_fault_string(code)) : std::move(text);
    return f;
}

std::string describe_call_error(const core::Error& e) {
    // The ACS sees only the kind of failure: the error's message names the
    // gateway's internal address, which is the operator's business (it is
    // in the bridge's log), not the ACS's.
    const std::string& c = e.code;
    if (c == "net.timeout") return "the gateway did not answer in time";
    if (c == "net.connect" || c.rfind("tls.", 0) == 0) return "the gateway cannot be reached";
    if (c.rfind("net.", 0) == 0) return "the connection to the gateway was lost";
    if (c == "cmp.unauthorized" || c == "cmp.bad_signature") return "the gateway's authentication failed";
    return "the gateway's answer could not be used";
}

bool call_ok(const core::Result<cmp::Response>& result) { return result && result->ok(); }

cwmp::Fault call_fault(const FaultMap& map, FaultContext context, const core::Result<cmp::Response>& result,
                       const std::string& what) {
    if (!result) return make_fault(9002, "Internal error: " + what + ": " + describe_call_error(result.error()));
    const cmp::Response& r = *result;
    std::uint32_t code = map.code(context, r.result_code);
    std::string text = std::string(cwmp::default_fault_string(code)) + ": " + what + ": gateway resultCode " +
                       std::to_string(r.result_code) + " (" + std::string(cmp::result_code_name(r.result_code)) + ")";
    if (!r.result_msg.empty()) text += " " + r.result_msg.substr(0, 200);
    return make_fault(code, std::move(text));
}

}  // namespace mapping
