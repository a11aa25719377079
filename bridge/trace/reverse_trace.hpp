#pragma once
// A reverse-direction trace (docs/traces.md, "Reverse traces"): one HOMS call
// on one TR-069 CPE with every CWMP session that served it, or one CPE session
// that served no HOMS call (a boot, an Inform with VALUE CHANGE, a
// TransferComplete). Both sides in order: the CPE's POSTs with the bridge's
// (as ACS) answers, the HOMS's request and the bridge's response, the
// gateway -> HOMS messages the bridge produced, and the inputs replay cannot
// derive (RPCs the bridge queued outside the call, errors of the call's RPCs
// that no CPE message explains: acs.timeout, acs.unreachable).
// Like Trace, everything here is redacted already.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bridge/acs/cpe_record.hpp"
#include "bridge/core/result.hpp"
#include "bridge/http/message.hpp"
#include "bridge/mapping/reverse_call.hpp"

namespace trace {

// One POST of the CPE and the ACS's answer.
struct CpePost {
    std::uint32_t session = 1;  // numbered from 1 within the trace; a new number is a new session
    std::string method = "POST";
    http::Headers request_headers;  // selected and redacted like forward traces
    std::string request_body;
    int status = 0;
    http::Headers response_headers;
    std::string response_body;
};
// The session ended without the ACS's 204 (the CPE fell silent, or started a new one).
struct SessionClosed {
    std::uint32_t session = 1;
    std::string why;
};
// The HOMS's request reaches the bridge here (CMP XML).
struct HomsRequest {
    std::string xml;
};
// The call's RPC failed without a CPE answer (acs.timeout, acs.unreachable, acs.busy).
struct RpcFailed {
    std::string code;
    std::string message;
};
// An RPC the bridge queued for the CPE outside the call (the Connection
// Request credentials): an input, as a CWMP envelope.
struct Queued {
    std::string by;
    std::string rpc;
};
// A gateway -> HOMS message the bridge produced (notify*), CMP XML.
struct ToHoms {
    std::string function;
    std::string xml;
};
// The bridge's answer to the HOMS request (CMP XML).
struct HomsResponse {
    std::string xml;
};

using ReverseStep = std::variant<CpePost, SessionClosed, HomsRequest, RpcFailed, Queued, ToHoms, HomsResponse>;

struct ReverseTrace {
    int format = 1;
    std::string recorded_at;
    std::string recorded_by;
    std::vector<std::string> notes;  // "pending: ..." keeps it out of ctest, as for forward traces
    std::string cpe_id;
    std::string rg_id;
    std::string mapping_name;
    std::string mapping_hash;
    std::string function;             // the HOMS call's function; empty for a session without one
    std::vector<std::string> events;  // the first Inform's event codes, for people and grep
    acs::CpeRecord start_record;      // what the ACS knew of the CPE at the start
    mapping::ReverseEventState start_events;  // subscriptions and remembered values at the start
    std::vector<ReverseStep> steps;
};

// Whether a trace document says `direction: reverse` (forward traces have no such key).
bool is_reverse_trace(std::string_view yaml);
bool is_reverse_trace_file(const std::filesystem::path& file);

std::string to_yaml(const ReverseTrace& t);
core::Result<ReverseTrace> parse_reverse(std::string_view yaml, const std::string& name = "trace");
core::Result<ReverseTrace> load_reverse_file(const std::filesystem::path& file);
core::Status save_file(const ReverseTrace& t, const std::filesystem::path& file);

// "cpe POST -> 200 (session 2)", "homs getRgInfo", "to homs notifyHomeDevLeave", ...
std::string describe(const ReverseStep& s);

// The CpeRecord fields a replay needs, as YAML (names with their writability).
std::string record_to_yaml(const acs::CpeRecord& r);
core::Result<acs::CpeRecord> record_from_yaml(std::string_view yaml);

}  // namespace trace
