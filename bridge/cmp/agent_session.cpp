#include "bridge/cmp/agent_session.hpp"

#include <algorithm>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/message_auth.hpp"

namespace cmp {
namespace rc = result_code;
using namespace std::chrono;

namespace {

// FNV-1a: a spread and a jitter seed that are the same for an rgId on every run.
std::uint64_t stable_hash(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

bool is_session_function(std::string_view f) {
    return f == "regRg" || f == "authRg" || f == "keepAliveRg" || f == "deregRg";
}

std::string describe(const Response& r) {
    return "resultCode " + std::to_string(r.result_code) + " (" + std::string(result_code_name(r.result_code)) + ")" +
           (r.result_msg.empty() ? "" : ": " + r.result_msg);
}

std::string seconds_text(milliseconds d) {
    return std::to_string(duration_cast<seconds>(d + milliseconds(500)).count()) + " s";
}

// The header time stamp is the driver's (wall clock, at send time); validation needs a valid one.
constexpr std::string_view kPlaceholderStamp = "1970-01-01T00:00:00Z";

}  // namespace

std::string_view to_string(AgentSession::Phase p) {
    switch (p) {
        case AgentSession::Phase::idle: return "idle";
        case AgentSession::Phase::unregistered: return "unregistered";
        case AgentSession::Phase::registering: return "registering";
        case AgentSession::Phase::authenticating: return "authenticating";
        case AgentSession::Phase::registered: return "registered";
        case AgentSession::Phase::stopped: return "stopped";
    }
    return "unknown";
}

AgentSession::AgentSession(std::string rg_id, AgentIdentity identity, std::string secret, AgentOptions options)
    : rg_id_(std::move(rg_id)),
      identity_(std::move(identity)),
      secret_(std::move(secret)),
      options_(options),
      keepalive_(options.default_keepalive),
      // Unique per requester for 24 h (section 4) across bridge restarts: a random prefix per session object.
      tx_prefix_(make_nonce().substr(0, 12)),
      rng_(static_cast<std::minstd_rand::result_type>(stable_hash(rg_id_) % 2147483646u + 1)) {}

AgentSession::Actions AgentSession::start(TimePoint now, milliseconds spread) {
    if (phase_ != Phase::idle) return decide(now, {});
    phase_ = Phase::unregistered;
    if (up_anchor_ == TimePoint{}) up_anchor_ = now;
    retry_at_ = now;
    if (spread.count() > 0) retry_at_ += milliseconds(stable_hash(rg_id_) % static_cast<std::uint64_t>(spread.count()));
    return decide(now, {});
}

void AgentSession::set_up_time(std::uint32_t seconds, TimePoint now) {
    up_base_ = seconds;
    up_anchor_ = now;
}

std::uint32_t AgentSession::up_time(TimePoint now) const {
    const auto since = now > up_anchor_ ? duration_cast<std::chrono::seconds>(now - up_anchor_).count() : 0;
    return static_cast<std::uint32_t>(std::min<std::int64_t>(std::int64_t(up_base_) + since, 4294967295ll));
}

milliseconds AgentSession::backoff(std::chrono::seconds base, std::uint32_t failures) {
    milliseconds d = duration_cast<milliseconds>(base);
    for (std::uint32_t i = 1; i < failures && d < options_.backoff_max; ++i) d *= 2;
    d = std::min(d, duration_cast<milliseconds>(options_.backoff_max));
    // Up to +10 %: a fleet that failed together does not come back in the same instant.
    const auto jitter_range = static_cast<std::uint64_t>(d.count() / 10);
    if (jitter_range > 0) d += milliseconds(rng_() % jitter_range);
    return d;
}

Request AgentSession::message(std::string function) {
    Request m;
    m.header.rg_id = rg_id_;
    m.header.transaction_id = tx_prefix_ + "-" + std::to_string(next_tx_++);
    m.function = std::move(function);
    return m;
}

Request AgentSession::registration() {
    Request m = message("regRg");
    const AgentIdentity& id = identity_;
    m.args.set("rgId", rg_id_).set("manufacturer", id.manufacturer).set("oui", id.oui).set("modelName", id.model_name);
    m.args.set("productClass", id.product_class).set("serialNumber", id.serial_number).set("hwVersion", id.hw_version);
    m.args.set("swVersion", id.sw_version).set("rgIpAddr", id.ip_addr).set("rgCtrlUrl", id.ctrl_url);
    return m;
}

void AgentSession::registration_failed(std::string why, TimePoint now, Actions& a) {
    phase_ = Phase::unregistered;
    session_id_.clear();
    const milliseconds delay = backoff(options_.register_backoff, ++register_failures_);
    retry_at_ = now + delay;
    a.warnings.push_back(why + "; registering again in " + seconds_text(delay));
}

void AgentSession::lose_session(std::string why, TimePoint now, Actions& a) {
    phase_ = Phase::unregistered;
    session_id_.clear();
    next_keepalive_ = TimePoint::max();
    // At once the first time; a HOMS that keeps forgetting us right after
    // authRg does not get a tight loop of registrations.
    const milliseconds delay = losses_ == 0 ? milliseconds(0) : backoff(options_.register_backoff, losses_);
    ++losses_;
    retry_at_ = now + delay;
    a.warnings.push_back(why + ": session lost, registering again" +
                         (delay.count() ? " in " + seconds_text(delay) : std::string()));
}

void AgentSession::resend_later(TimePoint now) { retry_at_ = now + backoff(options_.resend_backoff, ++resend_failures_); }

AgentSession::Actions AgentSession::decide(TimePoint now, Actions a) {
    if (phase_ == Phase::idle) return a;
    if (in_flight()) return a;  // the answer comes first; the driver bounds the wait
    if (stop_reason_ && phase_ == Phase::registered) {
        Request bye = message("deregRg");
        bye.args.set("rgId", rg_id_).set("reason", *stop_reason_);
        sent_ = Sent::dereg;
        a.send = std::move(bye);
        return a;
    }
    if (stop_reason_) phase_ = Phase::stopped;
    if (phase_ == Phase::stopped) {
        a.finished = true;
        if (!outbox_.empty()) {
            dropped_ += outbox_.size();
            a.warnings.push_back("stopped with " + std::to_string(outbox_.size()) + " undelivered notification(s)");
            outbox_.clear();
        }
        return a;
    }
    if (phase_ == Phase::registered && reregister_wanted_) {
        phase_ = Phase::unregistered;
        session_id_.clear();
        next_keepalive_ = TimePoint::max();
        retry_at_ = now;
    }
    if (phase_ == Phase::unregistered) {
        if (now < retry_at_) {
            a.wake_at = retry_at_;
            return a;
        }
        reregister_wanted_ = false;
        phase_ = Phase::registering;
        sent_ = Sent::reg;
        a.send = registration();
        return a;
    }
    // Registered: the head of the outbox when its (re)send is due, else the keep-alive when due.
    if (!outbox_.empty()) {
        if (now >= retry_at_) {
            sent_ = Sent::notification;
            a.send = outbox_.front();
            return a;
        }
        a.wake_at = retry_at_;
    }
    if (now >= next_keepalive_) {
        Request k = message("keepAliveRg");
        k.args.set("rgId", rg_id_).set("sessionId", session_id_).set("upTime", std::to_string(up_time(now)));
        sent_ = Sent::keepalive;
        a.send = std::move(k);
        a.wake_at = TimePoint::max();
        return a;
    }
    a.wake_at = std::min(a.wake_at, next_keepalive_);
    return a;
}

AgentSession::Actions AgentSession::on_response(const Response& r, TimePoint now) {
    Actions a;
    const Sent was = sent_;
    sent_ = Sent::none;
    switch (was) {
        case Sent::none:
            a.warnings.push_back("an answer (" + r.function + ") with nothing in flight ignored");
            break;
        case Sent::reg: {
            if (!r.ok()) {
                registration_failed("regRg refused: " + describe(r), now, a);
                break;
            }
            session_id_ = r.fields.get("sessionId");
            const std::string nonce = r.fields.get("nonce");
            if (session_id_.empty() || nonce.empty()) {
                registration_failed("regRg answer without sessionId or nonce", now, a);
                break;
            }
            keepalive_ = options_.default_keepalive;
            try {
                // stoull: a value past 2^32 is clamped below, not wrapped.
                const unsigned long long s = std::stoull(r.fields.get("keepAliveIntv", "0"));
                if (s > 0) keepalive_ = std::chrono::seconds(std::min<unsigned long long>(s, 10'000'000ull));
            } catch (const std::exception&) {  // the catalogue validated it; a missing value keeps the default
            }
            keepalive_ = std::clamp(keepalive_, options_.min_keepalive, std::max(options_.min_keepalive, options_.max_keepalive));
            if (stop_reason_) break;  // not authenticated yet: nothing to deregister
            phase_ = Phase::authenticating;
            Request auth = message("authRg");
            // The digest proves the secret; it is never logged (12.6).
            auth.args.set("rgId", rg_id_).set("sessionId", session_id_);
            auth.args.set("authDigest", auth_digest(secret_, nonce, rg_id_, session_id_));
            sent_ = Sent::auth;
            a.send = std::move(auth);
            return a;
        }
        case Sent::auth:
            if (!r.ok()) {
                registration_failed("authRg refused: " + describe(r), now, a);
                break;
            }
            phase_ = Phase::registered;
            register_failures_ = resend_failures_ = 0;
            ++registrations_;
            next_keepalive_ = now + keepalive_;
            retry_at_ = now;
            a.notes.push_back("registered, session " + session_id_ + ", keep-alive every " +
                              std::to_string(keepalive_.count()) + " s");
            break;
        case Sent::keepalive:
            if (r.result_code == rc::unauthorized) {
                lose_session("keepAliveRg refused: " + describe(r), now, a);
            } else if (r.ok()) {
                losses_ = resend_failures_ = 0;
                next_keepalive_ = now + keepalive_;
            } else {
                const milliseconds delay = backoff(options_.resend_backoff, ++resend_failures_);
                next_keepalive_ = now + delay;
                a.warnings.push_back("keepAliveRg: " + describe(r) + "; again in " + seconds_text(delay));
            }
            break;
        case Sent::notification: {
            const std::string fn = outbox_.empty() ? r.function : outbox_.front().function;
            if (r.result_code == rc::unauthorized) {
                lose_session(fn + " refused: " + describe(r), now, a);  // kept: sent again once registered
            } else if (is_retryable(r.result_code)) {
                resend_later(now);
                a.warnings.push_back(fn + ": " + describe(r) + "; kept for a retry");
            } else {
                if (!outbox_.empty()) outbox_.pop_front();
                losses_ = resend_failures_ = 0;
                retry_at_ = now;
                if (r.ok()) {
                    ++delivered_;
                } else {
                    ++rejected_;  // a final answer: sending it again would get the same one
                    a.warnings.push_back(fn + " rejected by the HOMS: " + describe(r));
                }
            }
            break;
        }
        case Sent::dereg:
            phase_ = Phase::stopped;
            session_id_.clear();
            a.notes.push_back("deregistered (" + stop_reason_.value_or("") + "): " + describe(r));
            break;
    }
    return decide(now, std::move(a));
}

AgentSession::Actions AgentSession::on_failure(const core::Error& e, TimePoint now) {
    Actions a;
    const Sent was = sent_;
    sent_ = Sent::none;
    switch (was) {
        case Sent::none:
            break;
        case Sent::reg:
        case Sent::auth:
            registration_failed(std::string(was == Sent::reg ? "regRg" : "authRg") + " failed: " + e.message, now, a);
            break;
        case Sent::keepalive:
        case Sent::notification: {
            const std::string what = was == Sent::keepalive ? "keepAliveRg"
                                                            : (outbox_.empty() ? "notification" : outbox_.front().function);
            if (e.code == "cmp.unauthorized") {
                lose_session(what + " refused (HTTP 401)", now, a);
                break;
            }
            const milliseconds delay = backoff(options_.resend_backoff, ++resend_failures_);
            if (was == Sent::keepalive) next_keepalive_ = now + delay;
            else retry_at_ = now + delay;
            a.warnings.push_back(what + " failed: " + e.message + "; again in " + seconds_text(delay));
            break;
        }
        case Sent::dereg:
            phase_ = Phase::stopped;
            session_id_.clear();
            a.warnings.push_back("deregRg failed: " + e.message);
            break;
    }
    return decide(now, std::move(a));
}

AgentSession::Actions AgentSession::timer(TimePoint now) { return decide(now, {}); }

AgentSession::Actions AgentSession::notify(Request msg, TimePoint now) {
    Actions a;
    if (stop_reason_ || phase_ == Phase::stopped) {
        ++dropped_;
        a.warnings.push_back(msg.function + " dropped: the agent is stopping");
        return decide(now, std::move(a));
    }
    const FunctionSpec* spec = Catalogue::builtin().find(msg.function);
    if (!spec || spec->direction != Direction::from_gateway || is_session_function(msg.function)) {
        a.warnings.push_back(msg.function + " refused: not a gateway -> HOMS notification");
        return decide(now, std::move(a));
    }
    msg.header.rg_id = rg_id_;
    msg.header.transaction_id = tx_prefix_ + "-" + std::to_string(next_tx_++);
    msg.header.time_stamp = std::string(kPlaceholderStamp);
    if (auto st = Catalogue::builtin().validate(msg); !st) {
        a.warnings.push_back(msg.function + " refused: " + st.error().message);
        return decide(now, std::move(a));
    }
    msg.header.time_stamp.clear();
    if (outbox_.size() >= std::max<std::size_t>(options_.outbox_limit, 1)) {
        // The oldest that is not being sent right now goes.
        const std::size_t victim = sent_ == Sent::notification ? 1 : 0;
        ++dropped_;
        if (victim < outbox_.size()) {
            a.warnings.push_back("outbox full (" + std::to_string(outbox_.size()) + "): oldest " +
                                 outbox_[victim].function + " dropped");
            outbox_.erase(outbox_.begin() + static_cast<std::ptrdiff_t>(victim));
        } else {
            a.warnings.push_back("outbox full: " + msg.function + " dropped");
            return decide(now, std::move(a));
        }
    }
    outbox_.push_back(std::move(msg));
    return decide(now, std::move(a));
}

AgentSession::Actions AgentSession::reregister(AgentIdentity identity, TimePoint now) {
    identity_ = std::move(identity);
    if (!stop_reason_ && (phase_ == Phase::registered || in_flight())) reregister_wanted_ = true;
    return decide(now, {});
}

AgentSession::Actions AgentSession::stop(std::string reason, TimePoint now) {
    if (!stop_reason_) stop_reason_ = std::move(reason);
    if (phase_ == Phase::idle) phase_ = Phase::unregistered;  // straight to stopped below
    return decide(now, {});
}

}  // namespace cmp
