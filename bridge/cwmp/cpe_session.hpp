#pragma once
// One CWMP session of a CPE, sans-I/O (the shape of Boost.MySQL's
// next_action): it is fed HTTP responses and device answers and returns the
// next thing for its driver to do. It owns everything TR-069 says about the
// session itself — Inform first, authentication challenges, cookies,
// redirects, HoldRequests, the CPE's own requests, the end of the session —
// and nothing about sockets, timers or the device behind it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bridge/cwmp/codec.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/http/auth.hpp"
#include "bridge/http/cookies.hpp"
#include "bridge/http/message.hpp"
#include "bridge/http/url.hpp"

namespace cwmp {

struct SessionConfig {
    http::Url acs_url;
    std::string username;  // empty = no credentials
    std::string password;
    Version version = Version::v1_0;
    int max_redirects = 5;
    int max_auth_attempts = 2;
    int max_request_retries = 3;  // per CPE request, on fault 8005
};

struct Action {
    enum class Kind {
        send,         // POST `request` to `url`
        call_device,  // answer `acs_request` (an ACS RPC) and call on_device_answer
        done,         // the session ended normally
        failed,       // the session failed; retry later (retry_after if the ACS said so)
    };
    Kind kind = Kind::failed;
    http::Url url;
    http::Request request;
    Envelope acs_request;
    std::string error;  // failed: why, for the log
    std::optional<std::chrono::seconds> retry_after;

    static Action send(http::Url u, http::Request r) {
        Action a;
        a.kind = Kind::send;
        a.url = std::move(u);
        a.request = std::move(r);
        return a;
    }
};

class CpeSession {
public:
    // `requests` are the CPE's own requests after the Inform (TransferComplete).
    CpeSession(SessionConfig config, Inform inform, std::vector<Body> requests = {});

    Action start();
    Action on_response(const http::Response& response);
    Action on_transport_error(std::string what);
    Action on_device_answer(Body answer);

    // Outcome, for the owner to update persistent state.
    bool inform_acknowledged() const { return inform_acked_; }
    // How many of the CPE's own requests the ACS acknowledged, in order.
    std::size_t requests_acknowledged() const { return requests_acked_; }
    Version version() const { return version_; }
    const Inform& inform() const { return inform_; }
    // Messages exchanged, for logs and the demo.
    std::uint32_t acs_requests_served() const { return acs_requests_; }

private:
    enum class State { idle, await_inform_response, await_request_response, await_acs, at_device, done, failed };

    Action post_envelope(const Body& body, const std::string& id);
    Action post_empty();
    Action resend();
    Action fail(std::string why, std::optional<std::chrono::seconds> retry_after = {});
    Action next_after_acs_empty();
    Action finish_request_phase();
    Action decorate_and_send(http::Request req);
    Action handle_body(const http::Response& response);

    SessionConfig config_;
    Inform inform_;
    std::vector<Body> requests_;
    State state_ = State::idle;
    Version version_;
    http::Url url_;
    http::Request last_request_;  // for auth retries and redirects
    http::ClientAuth auth_;
    http::CookieJar cookies_;
    int redirects_ = 0;
    int auth_attempts_ = 0;
    bool hold_requests_ = false;
    bool inform_acked_ = false;
    std::size_t requests_acked_ = 0;
    std::size_t next_request_ = 0;
    int request_retries_ = 0;
    std::string current_acs_id_;
    std::uint32_t acs_requests_ = 0;
    std::uint32_t cpe_id_counter_ = 0;
};

}  // namespace cwmp
