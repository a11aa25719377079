#pragma once
// One virtual gateway's relation with its HOMS, the CMP agent side of
// docs/cmp-protocol.md section 11.1, sans-I/O: regRg -> authRg ->
// keepAliveRg every keepAliveIntv -> deregRg on stop, registering again when
// the HOMS forgot the session (resultCode 4, a restart) and backing off after
// failures, plus an ordered outbox of gateway -> HOMS notifications.
//
// Inputs are what happens (start, the HOMS's answer, a transport failure,
// the time, a notification to send, stop) with the current time; the output
// is the one request to post now, if any, and the instant to wake up at. It
// reads no clock and touches no socket, like cpe::Agent, so every rule is
// tested with a fake clock (tests/unit/cmp/test_agent_session.cpp); the
// driver is app::CmpAgents.
//
// One request is in flight at a time: the driver posts `send`, then reports
// its answer (on_response) or why none came (on_failure) before anything else
// is sent. Notifications are delivered at least once and in order: one stays
// at the head of the outbox until the HOMS answered it; a transport failure,
// a retryable resultCode (5, 7, 10) or a lost session keeps it (so the HOMS
// may see a resent copy, with the same transactionId, after a lost answer).
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"

namespace cmp {

// What regRg announces (docs/cmp-protocol.md, section 9).
struct AgentIdentity {
    std::string manufacturer, oui, model_name, product_class, serial_number, hw_version, sw_version;
    std::string ip_addr;   // rgIpAddr
    std::string ctrl_url;  // rgCtrlUrl: where this gateway accepts HOMS -> gateway calls
    bool operator==(const AgentIdentity&) const = default;
};

struct AgentOptions {
    // Registration failures (refused, unreachable HOMS): 10 s doubling to 10 min (11.1).
    std::chrono::seconds register_backoff{10};
    // A keep-alive or notification that failed while registered: 1 s doubling (section 2).
    std::chrono::seconds resend_backoff{1};
    std::chrono::seconds backoff_max{600};
    // Used when the HOMS's keepAliveIntv is missing or 0; a smaller one is raised to min_keepalive.
    std::chrono::seconds default_keepalive{300};
    std::chrono::seconds min_keepalive{10};
    // A larger one (a HOMS bug, a value past 2^32) is lowered: more keep-alives than asked are harmless.
    std::chrono::seconds max_keepalive{86400};
    // Notifications waiting for delivery; when full the oldest not being sent is dropped (counted).
    std::size_t outbox_limit = 1000;
};

class AgentSession {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    enum class Phase {
        idle,            // not started
        unregistered,    // regRg due at the retry time
        registering,     // regRg in flight
        authenticating,  // authRg in flight
        registered,      // keep-alives and notifications flow
        stopped,         // deregistered (or stopped before registering): nothing more is sent
    };

    struct Actions {
        // Post this now (the driver stamps header.timeStamp) and report the outcome.
        std::optional<Request> send;
        TimePoint wake_at = TimePoint::max();  // call timer() at this time at the latest
        bool finished = false;                 // stopped: the driver may drop the session
        std::vector<std::string> notes;        // for the log (info)
        std::vector<std::string> warnings;     // for the log (warn)
    };

    AgentSession(std::string rg_id, AgentIdentity identity, std::string secret, AgentOptions options = {});

    // The first regRg goes out at once, or within `spread` by a stable hash of
    // the rgId, so a fleet started together does not register in the same instant.
    Actions start(TimePoint now, std::chrono::milliseconds spread = {});
    // The HOMS's answer to the request in flight (a SOAP Fault decoded as a response included).
    Actions on_response(const Response& response, TimePoint now);
    // No answer to the request in flight: transport error, timeout, HTTP status,
    // bad signature. "cmp.unauthorized" (HTTP 401: the HOMS refused our
    // X-CMP-Auth) ends the session; anything else is retried.
    Actions on_failure(const core::Error& error, TimePoint now);
    Actions timer(TimePoint now);
    // Queues a gateway -> HOMS notification (notify*). Refused with a warning
    // when it is not one or does not validate against the catalogue.
    Actions notify(Request message, TimePoint now);
    // The gateway "booted" again or its identity changed (new firmware): a
    // fresh regRg as soon as nothing is in flight; the outbox is kept.
    Actions reregister(AgentIdentity identity, TimePoint now);
    // deregRg(reason) when registered, then finished. Undelivered notifications are dropped (counted).
    Actions stop(std::string reason, TimePoint now);
    // The shared secret changed (re-provisioned): the next authRg proves the new one.
    void set_secret(std::string secret) { secret_ = std::move(secret); }
    // keepAliveRg.upTime: `seconds` at `now` (by default 0 at start()).
    void set_up_time(std::uint32_t seconds, TimePoint now);

    Phase phase() const { return phase_; }
    bool registered() const { return phase_ == Phase::registered; }
    bool in_flight() const { return sent_ != Sent::none; }
    const std::string& rg_id() const { return rg_id_; }
    const std::string& session_id() const { return session_id_; }
    const AgentIdentity& identity() const { return identity_; }
    std::chrono::seconds keepalive_interval() const { return keepalive_; }
    std::size_t outbox_size() const { return outbox_.size(); }
    std::uint64_t delivered() const { return delivered_; }  // notifications the HOMS accepted (resultCode 0)
    std::uint64_t rejected() const { return rejected_; }    // ... answered with a final error code
    std::uint64_t dropped() const { return dropped_; }      // evicted from a full outbox or lost at stop
    std::uint64_t registrations() const { return registrations_; }  // successful authRg so far

private:
    enum class Sent { none, reg, auth, keepalive, notification, dereg };

    Actions decide(TimePoint now, Actions a);
    Request message(std::string function);
    Request registration();
    // The session is gone (refused keep-alive, HOMS restart): register again,
    // at once the first time, then with back-off.
    void lose_session(std::string why, TimePoint now, Actions& a);
    void registration_failed(std::string why, TimePoint now, Actions& a);
    void resend_later(TimePoint now);
    std::chrono::milliseconds backoff(std::chrono::seconds base, std::uint32_t failures);
    std::uint32_t up_time(TimePoint now) const;

    std::string rg_id_;
    AgentIdentity identity_;
    std::string secret_;
    AgentOptions options_;
    Phase phase_ = Phase::idle;
    Sent sent_ = Sent::none;
    std::string session_id_;
    std::chrono::seconds keepalive_;
    TimePoint retry_at_{};        // unregistered: the next regRg; registered: the next resend
    TimePoint next_keepalive_ = TimePoint::max();
    std::uint32_t register_failures_ = 0, resend_failures_ = 0;
    std::uint32_t losses_ = 0;  // sessions lost since the last keep-alive or notification went through
    bool reregister_wanted_ = false;
    std::optional<std::string> stop_reason_;
    std::deque<Request> outbox_;
    std::string tx_prefix_;
    std::uint64_t next_tx_ = 1;
    std::uint64_t delivered_ = 0, rejected_ = 0, dropped_ = 0, registrations_ = 0;
    std::uint32_t up_base_ = 0;
    TimePoint up_anchor_{};
    std::minstd_rand rng_;  // back-off jitter only
};

std::string_view to_string(AgentSession::Phase p);

}  // namespace cmp
