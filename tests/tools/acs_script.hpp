#pragma once
// The scripted ACS's script: RPCs with expectations, per session.
//
// Either one list of steps played in every session:
//   steps:
//     - rpc: GetParameterValues
//       names: [InternetGatewayDevice.DeviceInfo.]
//     - rpc: GetParameterValues
//       names: [InternetGatewayDevice.DeviceInfo.Bogus]
//       expect_fault: 9005
// or one entry per session of each CPE (its first session plays sessions[0],
// its second sessions[1], ...; sessions beyond the list get no RPCs):
//   sessions:
//     - expect_events: ["0 BOOTSTRAP", "1 BOOT"]   # each must be in the Inform
//       forbid_events: ["6 CONNECTION REQUEST"]    # none may be
//       steps: [...]
//       connection_request:                        # after this session's 204
//         username: u                              # Digest credentials
//         password: p
//         wrong_password_first: true               # expect 401 for a wrong one first
//         delay_ms: 3000                           # wait this long after the 204 (default 100)
//         expect_status: 200
//       wait_for_events: true                      # sessions lacking an expect_events code are
//                                                  # "interim": no RPCs, not counted by --sessions
//       expect_transfer_complete:                  # the CPE sends this TransferComplete before its empty POST
//         command_key: fw-1
//         fault_code: 0                            # FaultStruct/FaultCode
//         times_known: true                        # StartTime/CompleteTime real times, start <= complete
//
// CPE-originated requests are answered as a real ACS does: TransferComplete,
// AutonomousTransferComplete, RequestDownload and GetRPCMethods with their
// responses, anything else (Kicked included: there is no kick URL here) with
// fault 8000. Each one is listed in the report.
//
// Step expectations besides expect_fault/expect_response:
//   expect_values: {name: value}       GetParameterValuesResponse holds these values
//   expect_types: {name: xsd:type}     ... with these xsi:types
//   expect_names: [name, ...]          GetParameterNamesResponse holds these names
//   expect_absent: [name, ...]         ... and not these (GPV or GPN)
//   expect_count: N                    number of parameters in a GPV/GPN/GPA response
//   expect_writable: {name: bool}      GPN writability
//   expect_notification: {name: n}     GetParameterAttributesResponse notification
//   expect_param_faults: {name: code}  SetParameterValuesFault codes inside a fault
//   expect_status: N                   Status of Set*/AddObject/DeleteObject/Download responses
//   expect_methods: [m, ...]           GetRPCMethodsResponse, exactly
#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"

struct AcsStep {
    cwmp::Body request;
    std::optional<std::uint32_t> expect_fault;
    std::string expect_response;  // RPC name; default: request name + "Response"
    std::map<std::string, std::string> expect_values, expect_types;
    std::vector<std::string> expect_names, expect_absent;
    std::optional<std::size_t> expect_count;
    std::map<std::string, bool> expect_writable;
    std::map<std::string, int> expect_notification;
    std::map<std::string, std::uint32_t> expect_param_faults;
    std::optional<int> expect_status;
    std::optional<std::vector<std::string>> expect_methods;
};

struct CrAction {
    std::string username, password;
    bool wrong_password_first = false;
    int expect_status = 200;
    unsigned delay_ms = 100;  // after the 204: an idle period first (peers close idle connections)
};

struct ExpectTransfer {
    std::string command_key;
    std::uint32_t fault_code = 0;
    bool times_known = true;
};

struct SessionScript {
    std::vector<std::string> expect_events, forbid_events;
    std::optional<ExpectTransfer> expect_transfer_complete;
    // For events whose timing the test does not control (a gateway's upgrade
    // result): sessions before the one carrying them are interim.
    bool wait_for_events = false;
    std::vector<AcsStep> steps;
    std::optional<CrAction> connection_request;
};

struct AcsScript {
    std::vector<SessionScript> sessions;
    bool repeat = false;  // the "steps:" form: sessions[0] for every session

    // The script of a CPE's n-th session (0-based), or nullptr for "no RPCs".
    const SessionScript* session(std::size_t n) const;
};

struct StepResult {
    std::string request;
    std::string response;
    std::string summary;
    bool ok = true;
    std::string problem;
    std::optional<std::uint32_t> fault;
    std::vector<std::pair<std::string, std::string>> values;  // name -> value (GPV, GPN writable)
};

core::Result<AcsScript> load_script(const std::string& path);
std::string describe_request(const cwmp::Body& b);
StepResult check_step(const AcsStep& step, const cwmp::Envelope& answer);
// Problems with an Inform's events against the session's script ("" = fine).
std::string check_events(const SessionScript& s, const cwmp::Inform& inform);
// True when the Inform carries every expect_events code of the session.
bool has_expected_events(const SessionScript& s, const cwmp::Inform& inform);
// Problems with the TransferCompletes a session received against its script ("" = fine).
std::string check_transfers(const SessionScript& s, const std::vector<cwmp::TransferComplete>& received);
// TR-069 3.7.1.5 consistency of a session, whatever the script: an Inform with
// 7 TRANSFER COMPLETE is followed by a TransferComplete, and each
// TransferComplete has its M Download/M Upload (same CommandKey) in the Inform.
std::string check_transfer_consistency(const cwmp::Inform& inform, const std::vector<cwmp::TransferComplete>& received);
void emit_result(YAML::Emitter& out, const StepResult& r);
