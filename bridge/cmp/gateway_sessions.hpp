#pragma once
// HOMS's side of the gateway session protocol (docs/cmp-protocol.md, 11.1):
// regRg opens a session and issues a nonce, authRg proves the shared secret
// once, keepAliveRg keeps the session (and the gateway's liveness), deregRg
// or three missed keep-alives end it. Notifications are accepted only inside
// an authenticated session. Pure and single-threaded: the listener serialises
// calls and supplies the clock. What the sessions mean for the virtual CPEs
// is the host's business (ListenerHost).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "bridge/cmp/message.hpp"
#include "bridge/cmp/wire.hpp"

namespace cmp {

// A gateway whose authRg succeeded.
struct Registration {
    std::string rg_id;
    Record info;           // the regRg fields: identity, rgIpAddr, rgCtrlUrl
    bool enrolled = true;  // false: the host does not serve it yet (self-registration)
    // False when the gateway only re-registered because HOMS lost its session
    // (bridge restart, keep-alive timeout) while the gateway kept running: no
    // reboot happened, so no BOOT event is due.
    bool rebooted = true;
};

// What the host knows about a gateway id that contacted the listener.
struct GatewayAccess {
    PeerKeys keys;
    bool enrolled = true;  // false: unknown, but allowed to register itself
};

// The application behind the listener. Called with the listener's lock held:
// implementations must not call back into the listener.
class ListenerHost {
public:
    virtual ~ListenerHost() = default;
    // nullopt: not a gateway of ours and not allowed to register (refused 401 / resultCode 4).
    virtual std::optional<GatewayAccess> access(std::string_view rg_id) = 0;
    // authRg succeeded. false refuses the registration (resultCode 4).
    virtual bool registered(const Registration& reg) = 0;
    // authRg succeeded for a gateway the host does not serve yet
    // (Registration::enrolled false). Enrolling one means durable writes and
    // creating a CPE, which must not happen under the listener's lock: true
    // defers the decision (Listener::process() hands the registration back,
    // the host enrolls it unlocked, Listener::finish() answers). false: the
    // host decides at once through registered().
    virtual bool defer_enrollment(const Registration&) { return false; }
    virtual void alive(std::string_view rg_id) = 0;
    // deregRg (reason from the gateway) or keep-alive timeout.
    virtual void gone(std::string_view rg_id, std::string_view reason) = 0;
    // A validated notify* message of an authenticated gateway; returns the resultCode.
    virtual int notification(const Request& msg) = 0;
};

struct SessionOptions {
    std::uint32_t keepalive_s = 300;          // keepAliveIntv handed to gateways
    unsigned missed_keepalives = 3;           // then the gateway is gone
    std::chrono::seconds auth_timeout{120};   // regRg -> authRg
    std::size_t max_pending = 4096;           // sessions waiting for authRg
};

class GatewaySessions {
public:
    GatewaySessions(ListenerHost& host, SessionOptions options) : host_(host), options_(options) {}

    // One validated gateway -> HOMS request; the response's header is the caller's.
    // deferred: when given and the host defers an enrollment, receives the
    // registration and the returned response is a placeholder; the answer
    // comes from finish_enrollment().
    Response dispatch(const Request& msg, const GatewayAccess& access, std::int64_t now,
                      std::optional<Registration>* deferred = nullptr);
    // The host's verdict on a deferred enrollment (the authRg in msg).
    Response finish_enrollment(const Request& msg, bool enrolled, std::int64_t now);
    // Ends sessions whose keep-alives stopped and abandoned registrations.
    void expire(std::int64_t now);

    bool authenticated(std::string_view rg_id) const;
    std::size_t size() const { return sessions_.size(); }

private:
    struct Session {
        std::string id, nonce;
        bool authenticated = false;
        bool enrolling = false;  // authRg verified, the host's enrollment pending
        bool rebooted = true;
        std::int64_t opened = 0, last_seen = 0;
        Record info;
    };

    Response reg(const Request& msg, const GatewayAccess& access, std::int64_t now);
    Response auth(const Request& msg, const GatewayAccess& access, std::int64_t now,
                  std::optional<Registration>* deferred);
    Session* current(std::string_view rg_id, const GatewayAccess& access);

    ListenerHost& host_;
    SessionOptions options_;
    std::map<std::string, Session, std::less<>> sessions_;
    // Gateways told to register again while they kept running (see Registration::rebooted).
    std::set<std::string, std::less<>> lost_;
};

}  // namespace cmp
