#include "bridge/cwmp/cpe_session.hpp"

#include <charconv>

namespace cwmp {
namespace {

bool is_blank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool is_acs_request(const Body& b) {
    return std::visit(
        [](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            return std::is_same_v<T, GetRPCMethods> || std::is_same_v<T, GetParameterNames> ||
                   std::is_same_v<T, GetParameterValues> || std::is_same_v<T, SetParameterValues> ||
                   std::is_same_v<T, GetParameterAttributes> || std::is_same_v<T, SetParameterAttributes> ||
                   std::is_same_v<T, AddObject> || std::is_same_v<T, DeleteObject> || std::is_same_v<T, Reboot> ||
                   std::is_same_v<T, FactoryReset> || std::is_same_v<T, Download> || std::is_same_v<T, Upload> ||
                   std::is_same_v<T, ScheduleInform> || std::is_same_v<T, UnknownRpc>;
        },
        b);
}

std::optional<std::chrono::seconds> parse_retry_after(const http::Response& r) {
    const std::string* v = r.find("Retry-After");
    if (!v) return std::nullopt;
    unsigned long s = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), s);
    if (ec != std::errc{} || p == v->data()) return std::nullopt;  // HTTP-date form: use our own backoff
    return std::chrono::seconds(std::min<unsigned long>(s, 24 * 3600));
}

}  // namespace

CpeSession::CpeSession(SessionConfig config, Inform inform, std::vector<Body> requests)
    : config_(std::move(config)),
      inform_(std::move(inform)),
      requests_(std::move(requests)),
      version_(config_.version),
      url_(config_.acs_url) {}

Action CpeSession::start() {
    if (state_ != State::idle) return fail("session started twice");
    state_ = State::await_inform_response;
    return post_envelope(inform_, "cpe-" + std::to_string(++cpe_id_counter_));
}

Action CpeSession::fail(std::string why, std::optional<std::chrono::seconds> retry_after) {
    state_ = State::failed;
    Action a;
    a.kind = Action::Kind::failed;
    a.error = std::move(why);
    a.retry_after = retry_after;
    return a;
}

Action CpeSession::decorate_and_send(http::Request req) {
    last_request_ = req;
    if (auto cookie = cookies_.header_for(url_)) req.set("Cookie", *cookie);
    if (auto authz = auth_.authorization(req.method, url_.target)) req.set("Authorization", *authz);
    req.target = url_.target;
    return Action::send(url_, std::move(req));
}

Action CpeSession::post_envelope(const Body& body, const std::string& id) {
    Envelope env;
    env.version = version_;
    env.id = id;
    env.body = body;
    http::Request req;
    req.method = "POST";
    req.headers.push_back({"Content-Type", "text/xml; charset=\"utf-8\""});
    // TR-069 3.4.1: SOAPAction is present on requests and may be empty.
    if (std::holds_alternative<Inform>(body) || std::holds_alternative<TransferComplete>(body) ||
        std::holds_alternative<GetRPCMethods>(body))
        req.headers.push_back({"SOAPAction", ""});
    req.body = encode(env);
    return decorate_and_send(std::move(req));
}

Action CpeSession::post_empty() {
    http::Request req;
    req.method = "POST";
    return decorate_and_send(std::move(req));
}

Action CpeSession::resend() { return decorate_and_send(last_request_); }

Action CpeSession::on_transport_error(std::string what) {
    if (state_ == State::done || state_ == State::failed) return fail("transport error after session end: " + what);
    return fail("transport: " + what);
}

Action CpeSession::on_response(const http::Response& r) {
    if (state_ != State::await_inform_response && state_ != State::await_request_response && state_ != State::await_acs)
        return fail("HTTP response in a state that expects none");
    cookies_.store(url_, r);

    if (r.status == 401) {
        if (config_.username.empty()) return fail("ACS requires authentication and no credentials are configured");
        if (++auth_attempts_ > config_.max_auth_attempts) return fail("ACS rejected the credentials");
        auto st = auth_.on_challenge(r, http::Credentials{config_.username, config_.password});
        if (!st) return fail("cannot answer the ACS authentication challenge: " + st.error().message);
        return resend();
    }
    auth_attempts_ = 0;

    if (r.status == 301 || r.status == 302 || r.status == 303 || r.status == 307 || r.status == 308) {
        const std::string* loc = r.find("Location");
        if (!loc) return fail("ACS redirect without a Location header");
        if (++redirects_ > config_.max_redirects) return fail("too many redirects");
        auto next = url_.resolve(*loc);
        if (!next) return fail("ACS redirect to an invalid URL: " + next.error().message);
        url_ = *next;
        // The new server issues its own challenge; old credentials state is moot.
        auth_.reset();
        return resend();
    }
    if (r.status == 503) return fail("ACS busy (503)", parse_retry_after(r));
    if (r.status != 200 && r.status != 204) return fail("ACS answered HTTP " + std::to_string(r.status));

    if (r.status == 204 || is_blank(r.body)) {
        switch (state_) {
            case State::await_inform_response: return fail("ACS sent an empty response to the Inform");
            case State::await_request_response: return fail("ACS sent an empty response to a CPE request");
            default: return next_after_acs_empty();
        }
    }
    return handle_body(r);
}

Action CpeSession::handle_body(const http::Response& r) {
    auto decoded = decode(r.body);
    if (!decoded) {
        // A request we can place but not read is answered with a fault, so
        // the ACS learns what was wrong; anything else ends the session.
        if (state_ == State::await_acs && decoded.error().code.rfind("cwmp.", 0) == 0 &&
            decoded.error().code != "cwmp.not_cwmp") {
            ++acs_requests_;
            return post_envelope(Fault{9003, "Invalid arguments: " + decoded.error().message, {}}, "");
        }
        return fail("undecodable ACS message: " + decoded.error().message);
    }
    Envelope& env = *decoded;
    hold_requests_ = env.hold_requests.value_or(false);

    switch (state_) {
        case State::await_inform_response:
            if (auto* f = std::get_if<Fault>(&env.body))
                return fail("ACS answered the Inform with fault " + std::to_string(f->code) + " " + f->string);
            if (!std::holds_alternative<InformResponse>(env.body))
                return fail("ACS answered the Inform with " + std::string(rpc_name(env.body)));
            // From here on the session speaks the ACS's CWMP version.
            version_ = env.version;
            inform_acked_ = true;
            return finish_request_phase();
        case State::await_request_response:
            if (auto* f = std::get_if<Fault>(&env.body)) {
                // 8005 "Retry request": the ACS wants the same request again now.
                if (f->code == 8005 && ++request_retries_ <= config_.max_request_retries)
                    return post_envelope(requests_[next_request_], "cpe-" + std::to_string(++cpe_id_counter_));
                return fail("ACS answered " + std::string(rpc_name(requests_[next_request_])) + " with fault " +
                            std::to_string(f->code));
            }
            request_retries_ = 0;
            ++requests_acked_;
            ++next_request_;
            return finish_request_phase();
        case State::await_acs:
            if (!is_acs_request(env.body))
                return fail("ACS sent " + std::string(rpc_name(env.body)) + " where a request was expected");
            ++acs_requests_;
            state_ = State::at_device;
            current_acs_id_ = env.id;
            // Answer in the namespace the ACS used for this request.
            version_ = env.version;
            {
                Action a;
                a.kind = Action::Kind::call_device;
                a.acs_request = std::move(env);
                return a;
            }
        default: return fail("unexpected state");
    }
}

Action CpeSession::finish_request_phase() {
    if (hold_requests_ || next_request_ >= requests_.size()) {
        state_ = State::await_acs;
        return post_empty();
    }
    state_ = State::await_request_response;
    return post_envelope(requests_[next_request_], "cpe-" + std::to_string(++cpe_id_counter_));
}

Action CpeSession::next_after_acs_empty() {
    hold_requests_ = false;  // an empty HTTP response carries no HoldRequests
    if (next_request_ < requests_.size()) {
        state_ = State::await_request_response;
        return post_envelope(requests_[next_request_], "cpe-" + std::to_string(++cpe_id_counter_));
    }
    state_ = State::done;
    Action a;
    a.kind = Action::Kind::done;
    return a;
}

Action CpeSession::on_device_answer(Body answer) {
    if (state_ != State::at_device) return fail("device answer without a pending ACS request");
    state_ = State::await_acs;
    return post_envelope(answer, current_acs_id_);
}

}  // namespace cwmp
