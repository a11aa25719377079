#pragma once
// `run --record` in reverse mode (docs/traces.md, "Reverse traces"): what the
// ACS side (AcsServer) and the reverse wiring (ReverseBridge) tell a recorder.
// trace::ReverseRecorder implements it; app only knows this interface. Every
// call returns at once (the recorder copies, redacts and queues; a writer
// thread does the rest) and may come from any thread.
#include <string>
#include <string_view>
#include <vector>

#include "bridge/acs/cpe_record.hpp"
#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/http/message.hpp"
#include "bridge/mapping/reverse_call.hpp"
#include "bridge/mapping/table.hpp"

namespace app {

struct ReverseRecording {
    virtual ~ReverseRecording() = default;

    // ---- AcsServer, on the CPE's strand
    // A session starts; `before` is the record as it was before its Inform.
    virtual void session_started(const acs::CpeRecord& before) = 0;
    // One POST of the session and the answer the ACS hands back.
    virtual void cpe_post(const std::string& cpe_id, const http::Request& req, const http::Response& res) = 0;
    // The session is over; ended_by_itself: the ACS's 204 closed it.
    virtual void session_closed(const std::string& cpe_id, std::string_view why, bool ended_by_itself) = 0;

    // ---- ReverseBridge
    // The Observer heard an Inform (before its event messages were made).
    virtual void inform_seen(const std::string& cpe_id, const std::string& rg_id, const mapping::Table& table,
                             const mapping::ReverseEventState& events) = 0;
    // A HOMS call begins: `snapshot` is the ACS's record of the CPE (nullptr: none).
    virtual void call_started(const std::string& cpe_id, const std::string& rg_id, const mapping::Table& table,
                              const cmp::Request& request, const acs::CpeRecord* snapshot,
                              const mapping::ReverseEventState& events) = 0;
    // An RPC of the call ended without a CPE answer (acs.timeout, acs.unreachable, ...).
    virtual void call_rpc_failed(const std::string& cpe_id, const core::Error& error) = 0;
    virtual void call_answered(const std::string& cpe_id, const cmp::Response& response) = 0;
    // An RPC the bridge queues for the CPE outside any HOMS call.
    virtual void queued(const std::string& cpe_id, std::string_view by, const cwmp::Body& rpc,
                        cwmp::Version version) = 0;
    // Gateway -> HOMS messages handed to the CPE's agent.
    virtual void to_homs(const std::string& cpe_id, const std::vector<cmp::Request>& messages) = 0;
};

}  // namespace app
