#pragma once
// One CWMP session seen from the ACS, sans-I/O: fed each HTTP POST of the CPE
// (method, headers, body) and returning the HTTP response to send. The other
// half of cwmp::CpeSession. What it owns (TR-069 3.7, A.3):
//   - the Inform first (read_first_post), answered with InformResponse
//     (MaxEnvelopes=1) in the namespace the CPE used, and the session cookie;
//   - the CPE's own requests while it has any: TransferComplete,
//     GetRPCMethods; anything else gets ACS fault 8000, a second Inform 8001,
//     an undecodable request 8003 (TR-069 A.5.2);
//   - an empty POST: the CPE has nothing more, so the ACS sends the queued
//     RPCs one per response, each with a fresh cwmp:ID, and ends with 204;
//   - the CPE's answers, matched by cwmp:ID and type; a Fault is the RPC's
//     result, not an error. An answer that is not the expected one fails the
//     RPC (acs.bad_response) and ends the session with 204: the CPE and the
//     ACS no longer agree on where they are, and a new session is cheaper
//     than guessing;
//   - cwmp:HoldRequests=true on a CPE message (no CPE should send it, some
//     do): the ACS keeps its queue for a later session and only answers.
// It knows nothing of sockets, timers or cookies' transport; the owner keys
// sessions by the cookie value it chose (token) and by connection.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/acs/cpe_record.hpp"
#include "bridge/acs/rpc_queue.hpp"
#include "bridge/cwmp/codec.hpp"
#include "bridge/http/message.hpp"

namespace acs {

inline constexpr std::string_view kSessionCookie = "cwmp_session";

struct SessionOptions {
    bool secure_cookie = false;  // the listener is TLS: the cookie is never sent in clear
    int max_protocol_errors = 3;  // undecodable or unsupported CPE requests before the ACS ends the session
    // Prefix of the cwmp:IDs of the ACS's RPCs ("<prefix>.<n>"): the owner
    // makes it differ between sessions. Not the cookie: IDs end up in traces.
    std::string id_prefix = "acs";
};

// The first POST of a session: an Inform, or the answer that refuses it
// (400 for an empty or non-CWMP body, a SOAP fault 8001 for a CWMP request
// that is not an Inform: TR-069 3.7.1.1 says the session starts with one).
struct FirstPost {
    std::optional<cwmp::Envelope> inform;
    http::Response refusal;
};
FirstPost read_first_post(const http::Request& request);

// The value of the session cookie in a request's Cookie header, if any.
std::optional<std::string> session_token(const http::Request& request);

class CpeSession {
public:
    // `record` and `queue` are the CPE's; they outlive the session. `token`
    // is the session cookie value (unguessable; the owner's choice).
    CpeSession(CpeRecord& record, RpcQueue& queue, std::string token, SessionOptions options = {});
    ~CpeSession();
    CpeSession(const CpeSession&) = delete;
    CpeSession& operator=(const CpeSession&) = delete;

    // Takes the Inform (into the record, queueing discovery) and answers it.
    http::Response start(const cwmp::Envelope& inform, TimePoint now);
    // Every later POST of the session.
    http::Response on_post(const http::Request& request);
    // The CPE went silent or away: the RPC in flight fails with
    // acs.session_ended; queued RPCs stay queued for the next session.
    void abort(std::string_view why);

    bool ended() const { return state_ == State::ended; }
    const std::string& token() const { return token_; }
    // TransferCompletes the CPE sent since the last call, for the observer.
    std::vector<cwmp::TransferComplete> take_transfer_completes();
    std::uint32_t rpcs_sent() const { return rpcs_sent_; }
    bool rpc_in_flight() const { return in_flight_.has_value(); }

private:
    enum class State { cpe_requests, awaiting_response, ended };

    http::Response answer(cwmp::Version version, std::string id, cwmp::Body body);
    http::Response fault(cwmp::Version version, std::string id, std::uint32_t code, std::string text);
    http::Response next_rpc_or_end();
    http::Response end();
    http::Response on_cpe_request(cwmp::Envelope env);
    http::Response on_rpc_answer(cwmp::Envelope env);
    http::Response protocol_error(cwmp::Version version, std::string id, std::uint32_t code, std::string text);
    void finish_in_flight(RpcResult result);

    CpeRecord& record_;
    RpcQueue& queue_;
    std::string token_;
    SessionOptions options_;
    State state_ = State::cpe_requests;
    bool cpe_holds_ = false;
    int protocol_errors_ = 0;
    std::optional<RpcQueue::Item> in_flight_;
    std::string in_flight_id_;
    std::uint32_t rpcs_sent_ = 0;
    std::vector<cwmp::TransferComplete> transfer_completes_;
};

}  // namespace acs
