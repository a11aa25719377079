#include "bridge/acs/cpe_session.hpp"

#include "bridge/acs/discovery.hpp"
#include "bridge/http/cookies.hpp"

namespace acs {
namespace {

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

http::Response plain(int status, std::string_view text) {
    http::Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "text/plain"});
    r.body = std::string(text) + "\n";
    return r;
}

http::Response envelope_response(const cwmp::Envelope& env) {
    http::Response r;
    // SOAP faults too go out as 200: CPEs (and the forward cwmp::CpeSession)
    // read the body of a 200 and drop the session on anything else.
    r.status = 200;
    r.headers.push_back({"Content-Type", "text/xml; charset=\"utf-8\""});
    r.body = cwmp::encode(env);
    return r;
}

cwmp::Envelope fault_envelope(cwmp::Version v, std::string id, std::uint32_t code, std::string text) {
    cwmp::Envelope env;
    env.version = v;
    env.id = std::move(id);
    if (text.empty()) text = std::string(cwmp::default_fault_string(code));
    env.body = cwmp::Fault{code, std::move(text), {}};
    return env;
}

template <class... T>
bool holds_any(const cwmp::Body& b) {
    return (std::holds_alternative<T>(b) || ...);
}

// What the CPE may send as a response to an ACS RPC.
bool is_cpe_answer(const cwmp::Body& b) {
    return holds_any<cwmp::GetRPCMethodsResponse, cwmp::GetParameterNamesResponse, cwmp::GetParameterValuesResponse,
                     cwmp::SetParameterValuesResponse, cwmp::GetParameterAttributesResponse,
                     cwmp::SetParameterAttributesResponse, cwmp::AddObjectResponse, cwmp::DeleteObjectResponse,
                     cwmp::RebootResponse, cwmp::FactoryResetResponse, cwmp::DownloadResponse, cwmp::UploadResponse,
                     cwmp::ScheduleInformResponse, cwmp::Fault>(b);
}

}  // namespace

FirstPost read_first_post(const http::Request& request) {
    FirstPost out;
    if (request.method != "POST") {
        out.refusal = plain(405, "a CWMP session is a series of POSTs");
        out.refusal.headers.push_back({"Allow", "POST"});
        return out;
    }
    if (is_blank(request.body)) {
        out.refusal = plain(400, "a CWMP session starts with an Inform; this POST is empty and belongs to no session");
        return out;
    }
    auto env = cwmp::decode(request.body);
    if (!env) {
        out.refusal = plain(400, "not a CWMP message: " + env.error().message);
        return out;
    }
    if (!std::holds_alternative<cwmp::Inform>(env->body)) {
        out.refusal = envelope_response(fault_envelope(env->version, env->id, 8001,
                                                       "a session starts with an Inform, not " +
                                                           std::string(cwmp::rpc_name(env->body))));
        return out;
    }
    out.inform = std::move(*env);
    return out;
}

std::optional<std::string> session_token(const http::Request& request) {
    return http::request_cookie(request, kSessionCookie);
}

CpeSession::CpeSession(CpeRecord& record, RpcQueue& queue, std::string token, SessionOptions options)
    : record_(record), queue_(queue), token_(std::move(token)), options_(options) {}

CpeSession::~CpeSession() {
    if (in_flight_) abort("session dropped");
}

http::Response CpeSession::answer(cwmp::Version version, std::string id, cwmp::Body body) {
    cwmp::Envelope env;
    env.version = version;
    env.id = std::move(id);
    env.body = std::move(body);
    return envelope_response(env);
}

http::Response CpeSession::fault(cwmp::Version version, std::string id, std::uint32_t code, std::string text) {
    return envelope_response(fault_envelope(version, std::move(id), code, std::move(text)));
}

http::Response CpeSession::start(const cwmp::Envelope& inform_env, TimePoint now) {
    const auto& inform = std::get<cwmp::Inform>(inform_env.body);
    record_.on_inform(inform, inform_env.version, now);
    queue_discovery(record_, queue_, inform);
    if (inform_env.hold_requests.value_or(false)) cpe_holds_ = true;
    // TR-069 A.3.3.1: the ACS answers with MaxEnvelopes 1 (the only value in use).
    http::Response r = answer(inform_env.version, inform_env.id, cwmp::InformResponse{1});
    // TR-069 3.4.4: the CPE returns the cookie on every later POST of the session.
    std::string cookie = std::string(kSessionCookie) + "=" + token_ + "; Path=/; HttpOnly";
    if (options_.secure_cookie) cookie += "; Secure";
    r.headers.push_back({"Set-Cookie", std::move(cookie)});
    return r;
}

http::Response CpeSession::on_post(const http::Request& request) {
    if (state_ == State::ended) return plain(400, "this CWMP session has ended");
    if (request.method != "POST") return plain(405, "a CWMP session is a series of POSTs");
    if (is_blank(request.body)) {
        if (state_ == State::awaiting_response) {
            // TR-069 3.7.1.4: an empty POST means the CPE has no more requests,
            // never an answer; the RPC is lost in this session.
            finish_in_flight(core::make_error("acs.bad_response", "the CPE sent an empty POST instead of " +
                                                                       std::string(cwmp::rpc_name(in_flight_->rpc)) +
                                                                       "Response"));
        }
        return next_rpc_or_end();
    }
    auto env = cwmp::decode(request.body);
    if (!env) {
        if (state_ == State::awaiting_response) {
            finish_in_flight(core::make_error("acs.bad_response", "undecodable answer: " + env.error().message));
            return end();
        }
        return protocol_error(record_.version, "", 8003, "Invalid arguments: " + env.error().message);
    }
    if (env->hold_requests.value_or(false)) cpe_holds_ = true;
    if (state_ == State::awaiting_response) return on_rpc_answer(std::move(*env));
    return on_cpe_request(std::move(*env));
}

http::Response CpeSession::on_cpe_request(cwmp::Envelope env) {
    const cwmp::Version v = env.version;
    if (auto* tc = std::get_if<cwmp::TransferComplete>(&env.body)) {
        transfer_completes_.push_back(std::move(*tc));
        return answer(v, env.id, cwmp::TransferCompleteResponse{});
    }
    if (std::holds_alternative<cwmp::GetRPCMethods>(env.body))
        return answer(v, env.id, cwmp::GetRPCMethodsResponse{{"Inform", "GetRPCMethods", "TransferComplete"}});
    if (std::holds_alternative<cwmp::Inform>(env.body))
        return protocol_error(v, env.id, 8001, "an Inform was already received in this session");
    if (is_cpe_answer(env.body)) {
        // An answer to nothing: the CPE is out of step; end the session cleanly.
        return end();
    }
    return protocol_error(v, env.id, 8000, "Method not supported: " + std::string(cwmp::rpc_name(env.body)));
}

http::Response CpeSession::protocol_error(cwmp::Version v, std::string id, std::uint32_t code, std::string text) {
    if (++protocol_errors_ > options_.max_protocol_errors) return end();
    return fault(v, std::move(id), code, std::move(text));
}

http::Response CpeSession::on_rpc_answer(cwmp::Envelope env) {
    const std::string expected = std::string(cwmp::rpc_name(in_flight_->rpc)) + "Response";
    const std::string got(cwmp::rpc_name(env.body));
    if (!is_cpe_answer(env.body) || (got != expected && got != "Fault")) {
        finish_in_flight(core::make_error("acs.bad_response", "the CPE sent " + got + " where " + expected +
                                                                   " or a Fault was expected"));
        return end();
    }
    // Some CPEs leave the cwmp:ID out of their answers; a different one is a
    // mismatch.
    if (!env.id.empty() && env.id != in_flight_id_) {
        finish_in_flight(core::make_error("acs.bad_response", "the CPE answered cwmp:ID " + env.id + ", expected " +
                                                                   in_flight_id_));
        return end();
    }
    record_.version = env.version;
    finish_in_flight(std::move(env.body));
    return next_rpc_or_end();
}

void CpeSession::finish_in_flight(RpcResult result) {
    state_ = State::cpe_requests;
    if (!in_flight_) return;
    auto item = std::move(*in_flight_);
    in_flight_.reset();
    in_flight_id_.clear();
    if (item.done) item.done(std::move(result));
}

http::Response CpeSession::next_rpc_or_end() {
    if (cpe_holds_) return end();
    auto item = queue_.pop();
    if (!item) return end();
    in_flight_ = std::move(item);
    // Fresh per RPC; unique across sessions through the owner's prefix.
    in_flight_id_ = options_.id_prefix + "." + std::to_string(++rpcs_sent_);
    state_ = State::awaiting_response;
    return answer(record_.version, in_flight_id_, in_flight_->rpc);
}

http::Response CpeSession::end() {
    state_ = State::ended;
    http::Response r;
    r.status = 204;
    return r;
}

void CpeSession::abort(std::string_view why) {
    finish_in_flight(core::make_error("acs.session_ended", "the session ended before the CPE answered: " +
                                                               std::string(why)));
    state_ = State::ended;
}

std::vector<cwmp::TransferComplete> CpeSession::take_transfer_completes() {
    std::vector<cwmp::TransferComplete> out;
    out.swap(transfer_completes_);
    return out;
}

}  // namespace acs
