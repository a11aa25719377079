#pragma once
// CMP resultCode -> CWMP fault code. The same gateway answer means different
// things to the ACS depending on the operation (invalid_argument is 9007 for
// one SetParameterValues parameter, 9003 for a Download), so the map is keyed
// by context; tables override entries in their `faults:` section.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"

namespace mapping {

enum class FaultContext { get, set, rpc, download, upload, notify, object };
std::string_view to_string(FaultContext c);
std::optional<FaultContext> fault_context_from(std::string_view name);  // "set"; "default" is not a context

class FaultMap {
public:
    // context nullopt: the table's `default` entries (all contexts).
    void set(std::optional<FaultContext> context, int result_code, std::uint32_t cwmp_code);
    // Table override for the context, then the table default, then builtin().
    std::uint32_t code(FaultContext context, int result_code) const;
    // The project's defaults (docs/mapping.md, "Faults").
    static std::uint32_t builtin(FaultContext context, int result_code);

private:
    std::map<std::pair<int, int>, std::uint32_t> entries_;  // (context or -1, resultCode) -> code
};

// "invalid_argument" or "2" -> 2.
std::optional<int> result_code_from(std::string_view text);

// The fault for a failed CMP call: transport errors are 9002; a response with
// a non-zero resultCode maps through the table. what names the operation.
cwmp::Fault call_fault(const FaultMap& map, FaultContext context, const core::Result<cmp::Response>& result,
                       const std::string& what);
cwmp::Fault make_fault(std::uint32_t code, std::string text = {});
// True when result holds a response with resultCode 0.
// What a failed call (no usable answer) was, in words fit for the ACS.
std::string describe_call_error(const core::Error& e);
bool call_ok(const core::Result<cmp::Response>& result);

}  // namespace mapping
