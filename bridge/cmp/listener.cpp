#include "bridge/cmp/listener.hpp"

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/seed_cipher.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"

namespace cmp {
namespace {

// Refusals are rate-limited per peer and status: a flood of forged messages
// must not become a flood of log lines. The verdict and the claimed id only:
// never the header, the body or a secret.
void warn_refused(const std::string& from, std::string_view rg_id, int status, std::string_view reason) {
    // The kind: the status, and for 401 the verdict (a fixed word; other reasons quote the peer's text).
    core::log::warn_from("cmp", from, "HTTP " + std::to_string(status) + (status == 401 ? " " + std::string(reason) : ""),
                         "refused message from " + from + (rg_id.empty() ? "" : " (rgId '" + std::string(rg_id) + "')") +
                             ": HTTP " + std::to_string(status) + ", " + std::string(reason));
}

}  // namespace

Listener::Listener(ListenerHost& host, ListenerOptions options)
    : host_(host),
      options_(options),
      verifier_(options.auth_window, options.replay_cache),
      sessions_(host, options.sessions) {}

bool Listener::authenticated(std::string_view rg_id) const {
    std::lock_guard lock(mutex_);
    return sessions_.authenticated(rg_id);
}

void Listener::on_accepted_nonce(Verifier::AcceptObserver observer) {
    std::lock_guard lock(mutex_);
    verifier_.set_observer(std::move(observer));
}

void Listener::restore_nonce(std::string_view rg_id, std::string_view nonce, std::int64_t ts) {
    std::lock_guard lock(mutex_);
    verifier_.restore(rg_id, nonce, ts);
}

void Listener::expire(std::int64_t now) {
    std::lock_guard lock(mutex_);
    sessions_.expire(now);
}

http::Response Listener::respond(const Incoming& in, const Response& res, std::int64_t now) {
    Response out = res;
    out.header.time_stamp = format_date_time(now);
    return make_http_response(200, encode(out), in, now);
}

std::optional<http::Response> Listener::precheck(const http::Request& req, std::string_view peer, std::int64_t now) {
    // open_request's order, for the checks that need no body: the same refusals, before the body is read.
    const std::string from(peer);
    auto refuse = [&](int status, std::string_view reason, std::string_view rg_id) {
        warn_refused(from, rg_id, status, reason);
        return std::optional<http::Response>(make_refusal(status));
    };
    if (req.method != "POST") return refuse(405, "method " + req.method, {});
    const std::string* auth = req.find(kAuthHeader);
    const bool legacy = req.find(kEncHeader) != nullptr;  // legacy gateways always sign
    if (!auth && !options_.require_auth && !legacy) return std::nullopt;
    const std::string_view value = auth ? std::string_view(*auth) : std::string_view{};
    if (value.find_first_not_of(" \t") == std::string_view::npos) return refuse(401, to_string(Verdict::missing), {});
    auto params = parse_auth_header(value);
    if (!params) return refuse(401, to_string(Verdict::malformed), {});
    bool known = false;
    {
        std::lock_guard lock(mutex_);  // the host is called under the listener's lock, as in handle()
        auto access = host_.access(params->rg_id);
        known = access && !access->keys.secret.empty();
    }
    if (!known) return refuse(401, to_string(Verdict::unknown_gateway), params->rg_id);
    const std::int64_t window = options_.auth_window.count();
    if (params->ts < now - window || params->ts > now + window)
        return refuse(401, to_string(Verdict::stale), params->rg_id);
    return std::nullopt;
}

http::Response Listener::handle(const http::Request& req, std::string_view peer, std::int64_t now) {
    Outcome out = process(req, peer, now);
    // A host that defers without finishing would leave the gateway unanswered.
    if (out.pending) return finish(*out.pending, false, now);
    return std::move(out.response);
}

http::Response Listener::finish(const PendingEnrollment& p, bool enrolled, std::int64_t now) {
    std::lock_guard lock(mutex_);
    return respond(p.incoming, sessions_.finish_enrollment(p.request, enrolled, now), now);
}

Listener::Outcome Listener::process(const http::Request& req, std::string_view peer, std::int64_t now) {
    std::lock_guard lock(mutex_);
    const std::string from(peer);
    auto lookup = [this](std::string_view rg) -> std::optional<PeerKeys> {
        auto a = host_.access(rg);
        if (!a) return std::nullopt;
        return a->keys;
    };
    Incoming in = open_request(req, verifier_, options_.require_auth, now, lookup);
    if (!in.ok()) {
        warn_refused(from, in.rg_id, in.refuse_status, in.reason);
        return Outcome{make_refusal(in.refuse_status), std::nullopt};
    }

    auto decoded = decode_request(in.xml, options_.limits, &Catalogue::builtin());
    if (!decoded) {
        core::log::warn_from("cmp", from, "malformed", "malformed message from " + from + ": " + decoded.error().message);
        return Outcome{make_http_response(500, encode(fault_for(decoded.error())), in, now), std::nullopt};
    }
    Request& msg = *decoded;
    const std::string& rg = msg.header.rg_id;
    if (!in.rg_id.empty() && rg != in.rg_id) {
        core::log::warn_from("cmp", from, "rgId mismatch",
                             "refused message from " + from + ": X-CMP-Auth rgId '" + in.rg_id + "' but header rgId '" +
                                 rg + "'");
        return Outcome{make_refusal(401, msg.function), std::nullopt};
    }
    if (const std::string* action = req.find("SOAPAction")) {
        std::string_view named = function_from_soap_action(*action);
        if (!named.empty() && named != msg.function) {
            Fault f;
            f.fault_string = "SOAPAction names " + std::string(named) + " but the body is " + msg.function;
            f.result_code = result_code::malformed_message;
            f.result_msg = f.fault_string;
            f.function = msg.function;
            f.header = msg.header;
            f.header.time_stamp = format_date_time(now);
            return Outcome{make_http_response(500, encode(f), in, now), std::nullopt};
        }
    }

    const Catalogue& cat = Catalogue::builtin();
    const FunctionSpec* spec = cat.find(msg.function);
    if (!spec || spec->direction != Direction::from_gateway) {
        core::log::warn_from("cmp", from, "function",
                             "function " + msg.function + " from " + from + " is not a gateway -> HOMS function");
        return Outcome{respond(in, make_response(msg, result_code::unknown_function,
                                         "unknown gateway -> HOMS function " + msg.function),
                       now), std::nullopt};
    }
    if (auto st = cat.validate(msg); !st) {
        core::log::warn(rg.empty() ? "cmp" : rg, "invalid " + msg.function + ": " + st.error().message);
        return Outcome{respond(in, make_response(msg, result_code_for(st.error()), st.error().message), now), std::nullopt};
    }

    // Signed requests: rg is the authenticated id. Unsigned (laboratory): the header's word.
    std::optional<GatewayAccess> access = host_.access(rg);
    if (!access) {
        core::log::warn_from("cmp", from, "unknown gateway", "message from " + from + " for unknown gateway '" + rg + "' refused");
        return Outcome{respond(in, make_response(msg, result_code::unauthorized, "unknown gateway"), now), std::nullopt};
    }
    std::optional<Registration> deferred;
    Response answer = sessions_.dispatch(msg, *access, now, &deferred);
    if (deferred) return Outcome{{}, PendingEnrollment{std::move(*deferred), std::move(msg), std::move(in)}};
    return Outcome{respond(in, answer, now), std::nullopt};
}

}  // namespace cmp
