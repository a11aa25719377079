#include "bridge/cmp/gateway_sessions.hpp"

#include "bridge/cmp/message_auth.hpp"
#include "bridge/core/log.hpp"
#include "bridge/http/url.hpp"

namespace cmp {
namespace rc = result_code;

namespace {

Response answer(const Request& msg, int code, std::string text = {}) { return make_response(msg, code, std::move(text)); }

bool usable_ctrl_url(const std::string& text) {
    auto url = http::Url::parse(text);
    return url && (url->scheme == "http" || url->scheme == "https");
}

}  // namespace

bool GatewaySessions::authenticated(std::string_view rg_id) const {
    auto it = sessions_.find(rg_id);
    return it != sessions_.end() && it->second.authenticated;
}

GatewaySessions::Session* GatewaySessions::current(std::string_view rg_id, const GatewayAccess& access) {
    auto it = sessions_.find(rg_id);
    if (it != sessions_.end() && it->second.authenticated) return &it->second;
    // The gateway believes it has a session we do not know (we restarted or
    // timed it out): it did not reboot, so its coming registration is no BOOT.
    // Only gateways we serve are remembered, which bounds the set.
    if (it == sessions_.end() && access.enrolled) lost_.insert(std::string(rg_id));
    return nullptr;
}

Response GatewaySessions::dispatch(const Request& msg, const GatewayAccess& access, std::int64_t now,
                                   std::optional<Registration>* deferred) {
    const std::string& rg = msg.header.rg_id;
    const std::string& fn = msg.function;
    if (fn == "regRg") return reg(msg, access, now);
    if (fn == "authRg") return auth(msg, access, now, deferred);
    Session* s = current(rg, access);
    if (fn == "keepAliveRg") {
        if (!s || s->id != msg.args.get("sessionId")) return answer(msg, rc::unauthorized, "unknown or superseded session");
        s->last_seen = now;
        host_.alive(rg);
        return answer(msg, rc::success);
    }
    if (!s) return answer(msg, rc::unauthorized, "not registered: send regRg and authRg first");
    s->last_seen = now;
    if (fn == "deregRg") {
        std::string reason = msg.args.get("reason", "unspecified");
        sessions_.erase(rg);
        lost_.erase(rg);
        core::log::info(rg, "deregistered (" + reason + ")");
        host_.gone(rg, reason);
        return answer(msg, rc::success);
    }
    return answer(msg, host_.notification(msg));
}

Response GatewaySessions::reg(const Request& msg, const GatewayAccess& access, std::int64_t now) {
    const std::string& rg = msg.header.rg_id;
    const std::string ctrl = msg.args.get("rgCtrlUrl");
    // For a gateway the bridge does not know yet this URL is the only address
    // it gets (configured gateways use the configured one).
    if (!access.enrolled && !usable_ctrl_url(ctrl))
        return answer(msg, rc::invalid_argument, "rgCtrlUrl: not an http or https URL");
    auto existing = sessions_.find(rg);
    if (existing == sessions_.end()) {
        std::size_t pending = 0;
        for (auto& [id, s] : sessions_) pending += !s.authenticated;
        if (pending >= options_.max_pending) return answer(msg, rc::busy, "too many registrations in progress");
    }
    Session s;
    s.id = "s-" + make_nonce().substr(0, 20);
    s.nonce = make_nonce();
    s.opened = s.last_seen = now;
    s.info = msg.args;
    // A registration replacing a live session means the gateway restarted.
    s.rebooted = lost_.erase(rg) == 0;
    Response r = answer(msg, rc::success);
    r.fields.set("sessionId", s.id).set("nonce", s.nonce).set("keepAliveIntv", std::to_string(options_.keepalive_s));
    core::log::info(rg, std::string("regRg") + (access.enrolled ? "" : " (new gateway)") + ": serial " +
                            msg.args.get("serialNumber") + ", firmware " + msg.args.get("swVersion") + ", agent " +
                            ctrl);
    sessions_[rg] = std::move(s);
    return r;
}

Response GatewaySessions::auth(const Request& msg, const GatewayAccess& access, std::int64_t now,
                               std::optional<Registration>* deferred) {
    const std::string& rg = msg.header.rg_id;
    auto it = sessions_.find(rg);
    if (it == sessions_.end() || it->second.id != msg.args.get("sessionId")) {
        core::log::warn(rg, "authRg for an unknown session refused");
        return answer(msg, rc::unauthorized, "unknown session");
    }
    Session& s = it->second;
    if (s.authenticated || s.enrolling)
        return answer(msg, rc::unauthorized, "session already authenticated");  // nonce is single-use
    if (now - s.opened > options_.auth_timeout.count()) {
        sessions_.erase(it);
        return answer(msg, rc::unauthorized, "registration expired: register again");
    }
    // The digest itself is never logged: it is a proof of the secret.
    if (!check_auth_digest(msg.args.get("authDigest"), access.keys.secret, s.nonce, rg, s.id)) {
        core::log::warn(rg, "authRg refused: wrong authDigest");
        sessions_.erase(it);
        return answer(msg, rc::unauthorized, "authentication failed");
    }
    s.last_seen = now;
    Registration reg{rg, s.info, access.enrolled, s.rebooted};
    if (deferred && !access.enrolled && host_.defer_enrollment(reg)) {
        // Not authenticated until the host enrolled it: its notifications wait.
        s.enrolling = true;
        *deferred = std::move(reg);
        return answer(msg, rc::success);  // placeholder: finish_enrollment() answers
    }
    s.authenticated = true;
    if (!host_.registered(reg)) {
        sessions_.erase(rg);
        return answer(msg, rc::unauthorized, "registration refused");
    }
    core::log::info(rg, "authenticated, session " + s.id);
    return answer(msg, rc::success);
}

Response GatewaySessions::finish_enrollment(const Request& msg, bool enrolled, std::int64_t now) {
    const std::string& rg = msg.header.rg_id;
    auto it = sessions_.find(rg);
    // A new regRg may have replaced the session while the host was enrolling.
    if (it == sessions_.end() || it->second.id != msg.args.get("sessionId") || !it->second.enrolling)
        return answer(msg, rc::unauthorized, "registration superseded: register again");
    Session& s = it->second;
    s.enrolling = false;
    if (!enrolled) {
        sessions_.erase(it);
        return answer(msg, rc::unauthorized, "registration refused");
    }
    s.authenticated = true;
    s.last_seen = now;
    core::log::info(rg, "authenticated, session " + s.id);
    return answer(msg, rc::success);
}

void GatewaySessions::expire(std::int64_t now) {
    const std::int64_t silence = static_cast<std::int64_t>(options_.keepalive_s) * options_.missed_keepalives;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        Session& s = it->second;
        if (s.authenticated && now - s.last_seen > silence) {
            std::string rg = it->first;
            const std::int64_t quiet = now - s.last_seen;
            it = sessions_.erase(it);
            lost_.insert(rg);
            core::log::warn(rg, "no keep-alive for " + std::to_string(quiet) + " s: gateway considered gone");
            host_.gone(rg, "keep-alive timeout");
        } else if (!s.authenticated && now - s.opened > options_.auth_timeout.count()) {
            it = sessions_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace cmp
