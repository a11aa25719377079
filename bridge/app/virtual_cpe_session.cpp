// One CWMP session of a VirtualCpe: the Inform, the loop over the session
// engine's actions, and what the outcome means for the persisted state.
#include <boost/asio/use_awaitable.hpp>

#include "bridge/app/virtual_cpe.hpp"
#include "bridge/app/bridge_metrics.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/log_limiter.hpp"
#include "bridge/cpe/inform.hpp"
#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cwmp/cpe_session.hpp"
#include "bridge/mapping/table_device.hpp"

namespace app {
namespace asio = boost::asio;
using namespace std::chrono;

namespace {

std::string join_events(const std::vector<cwmp::EventStruct>& ev) {
    std::string s;
    for (auto& e : ev) {
        if (!s.empty()) s += ", ";
        s += e.event_code;
        if (!e.command_key.empty()) s += " (" + e.command_key + ")";
    }
    return s;
}

std::string describe(const cwmp::Body& b) {
    std::string name(cwmp::rpc_name(b));
    if (auto* gpv = std::get_if<cwmp::GetParameterValues>(&b)) {
        name += " [";
        for (std::size_t i = 0; i < gpv->names.size(); ++i) name += (i ? ", " : "") + gpv->names[i];
        name += "]";
    } else if (auto* r = std::get_if<cwmp::GetParameterValuesResponse>(&b)) {
        name += " (" + std::to_string(r->parameters.size()) + " values)";
    } else if (auto* f = std::get_if<cwmp::Fault>(&b)) {
        name += " " + std::to_string(f->code) + " \"" + f->string + "\"";
    }
    return name;
}

// The gateway cannot be reached at all (no connection, no TLS session), as
// opposed to a slow answer or one that was cut short: only this makes the
// CPE offline (Connection Requests answered 503). A gateway that is merely
// slow to answer one function is still there, and the next call tells.
bool is_unreachable(const core::Error& e) {
    return e.code == "net.connect" || e.code.rfind("tls.", 0) == 0;
}

}  // namespace

template <class T>
asio::awaitable<cpe::Outcome<T>> VirtualCpe::run_step(cpe::Step<T> step) {
    while (!step.done) {
        cpe::CallResults results;
        results.reserve(step.calls.size());
        for (auto& call : step.calls) {
            // The session may end while this call is away (a deferred reboot
            // runs beside it): its answers are only touched if it is the same.
            cpe::SessionAnswers* answers = session_answers_;
            const std::uint64_t session = session_count_;
            if (answers) {
                if (const cmp::Response* kept = answers->find(call, steady_clock::now())) {
                    if (core::log::enabled(core::log::Level::debug, gateway_.id))
                        core::log::debug(gateway_.id, "CMP " + call.function + ": this session's answer reused");
                    results.emplace_back(*kept);
                    continue;
                }
            }
            const cpe::SessionAnswers::Ticket ticket = answers ? answers->sending(call) : 0;
            cmp::Request outgoing = answers ? call : std::move(call);
            auto r = co_await gateway_transport_->call(std::move(outgoing));
            if (answers && session_answers_ == answers && session_count_ == session)
                answers->keep(call, r, ticket, steady_clock::now());
            const bool reachable = r || !is_unreachable(r.error());
            if (reachable != online_.load()) apply(agent_.set_online(reachable, now()));
            results.push_back(std::move(r));
        }
        step = step.resume(std::move(results));
    }
    co_return std::move(*step.done);
}

asio::awaitable<bool> VirtualCpe::reboot_gateway(std::string command_key) {
    auto outcome = co_await run_step(device_->reboot(command_key));
    if (auto* f = std::get_if<cwmp::Fault>(&outcome)) {
        core::log::warn(gateway_.id, "deferred reboot refused by the gateway (" + f->string + ")");
        co_return false;
    }
    co_return true;
}

std::string VirtualCpe::readable_state() const {
    cpe::CpeState s = state_;
    s.device_state = device_->readable_state(state_.device_state);
    return cpe::serialize(s);
}

void VirtualCpe::end_recording(const cpe::Agent::SessionEnd& end) {
    attach_recorder(nullptr);
    if (!recording_) return;
    state_.pending_events = agent_.events().pending();
    state_.device_state = device_->persistent_state();
    recording_->on_end(end.kind == cpe::Agent::SessionEnd::Kind::done, end.error, readable_state());
    recording_.reset();
}

asio::awaitable<cpe::Agent::SessionEnd> VirtualCpe::run_session() {
    using End = cpe::Agent::SessionEnd;
    const cpe::Agent::InformInput pending = agent_.inform_input();
    note_session_start(pending.retry_count);
    if (env_.recorders) {
        const auto& c = env_.config;
        SessionStart start{gateway_.id, gateway_url_, c.acs.cwmp_version, c.acs.url, c.acs.username, env_.cr_url_base,
                           c.periodic_inform.enable, c.periodic_inform.interval_s, pending.retry_count, {}, {},
                           readable_state()};
        start.reuse_answers_ms = static_cast<std::uint32_t>(c.cmp.reuse_answers.count());
        for (auto& e : pending.events) start.events.push_back(e.event_code);
        start.changed = pending.changed;
        recording_ = env_.recorders->begin(std::move(start));
    }
    // The recording ends (end_recording) once the agent has taken the outcome.
    attach_recorder(recording_.get());
    SessionRecorder* recorder = recording_.get();
    End end;
    // Every line of this session carries its id (a `session` field in the
    // json log format), so one session can be followed among thousands.
    const std::string session_id = gateway_.id + "/" + std::to_string(++session_count_);
    // `message` is only built when the line is written: at the default warn
    // level the info lines of every RPC would otherwise cost their strings.
    // Answers this session read from the gateway, for an identical read
    // shortly after (docs/cwmp.md): they live in this frame, never on an idle
    // CPE, and are gone when the session ends, however it ends.
    const auto* table = dynamic_cast<const mapping::TableDevice*>(device_.get());
    cpe::SessionAnswers answers(table ? table->table().catalogue() : cmp::Catalogue::builtin(),
                                env_.config.cmp.reuse_answers);
    struct AnswersInUse {
        cpe::SessionAnswers*& slot;
        ~AnswersInUse() { slot = nullptr; }
    } answers_in_use{session_answers_};
    if (env_.config.cmp.reuse_answers.count() > 0) session_answers_ = &answers;
    auto say = [&](core::log::Level level, auto&& message) {
        if (core::log::enabled(level, gateway_.id))
            core::log::write(level, gateway_.id, message(), {{"session", session_id}});
    };
    using L = core::log::Level;

    cpe::RpcHandler handler(local_context(), state_, agent_.events(), *device_);
    cpe::InformInput in;
    in.events = pending.events;
    in.transfers = state_.transfers;
    in.changed = pending.changed;
    in.retry_count = pending.retry_count;
    in.current_time = core::now_utc();
    // The CPE's own requests come from the same snapshot as the Inform's
    // events: a transfer completing while the Inform is built (the strand
    // runs gateway messages during the CMP calls) waits for the next session,
    // instead of a TransferComplete without 7 TRANSFER COMPLETE in its Inform.
    std::vector<cwmp::Body> requests;
    std::vector<std::string> request_keys;  // method + command key, to find them again afterwards
    for (auto& tc : cpe::inform_requests(in)) requests.push_back(tc);
    for (auto& t : in.transfers)
        if (t.completed) request_keys.push_back(t.method + "\n" + t.result.command_key);
    auto built = co_await run_step(cpe::build_inform(handler, *device_, in));
    if (auto* f = std::get_if<cwmp::Fault>(&built)) {
        // No session was attempted: every event is kept, 6 CONNECTION REQUEST
        // included, and the retry schedule (TR-069 3.2.1.1) tries again; the
        // ACS's Connection Request is not answered 200 and then forgotten.
        // The gateway's failure was logged (rate-limited) with the CMP call; this
        // line is per CPE and would repeat it for every CPE of a failed gateway host.
        core::log::warn_grouped("cpe", gateway_host_, "no Inform", gateway_.id,
                                "no session: cannot build the Inform: " + f->string, {{"session", session_id}});
        end.kind = End::Kind::no_inform;
        end.error = "no Inform: " + f->string;
        note_session_end(end);
        co_return end;
    }
    const cwmp::Inform inform = std::get<cwmp::Inform>(std::move(built));
    state_.device_id = inform.device_id;


    const cpe::LocalContext local = handler.local();
    auto acs_url = http::Url::parse(cpe::effective_acs_url(local, state_));
    if (!acs_url) {
        core::log::error(gateway_.id, "bad ACS URL: " + acs_url.error().message);
        end.kind = End::Kind::no_inform;
        end.error = "bad ACS URL";
        note_session_end(end);
        co_return end;
    }
    say(L::info, [&] {
        return "session: Inform [" + join_events(inform.events) + "] to " + acs_url->to_string();
    });
    cwmp::SessionConfig sc;
    sc.acs_url = *acs_url;
    sc.username = cpe::effective_acs_username(local, state_);
    sc.password = cpe::effective_acs_password(local, state_);
    sc.version = env_.config.acs.cwmp_version;
    cwmp::CpeSession session(sc, inform, requests);
    // What the ACS acknowledged is on disk before the session goes on: a
    // crash later in the session must not repeat 0 BOOTSTRAP, the delivered
    // events or an acknowledged TransferComplete.
    bool inform_done = false;
    std::size_t requests_done = 0;
    auto take_acknowledgements = [&] {
        bool dirty = false;
        if (!inform_done && session.inform_acknowledged()) {
            inform_done = dirty = true;
            agent_.inform_acknowledged(inform.events, pending);
            note_inform_acknowledged(inform.events);
            state_.last_cr_url = cr_url();
        }
        for (; requests_done < session.requests_acknowledged() && requests_done < request_keys.size(); ++requests_done) {
            const std::string& key = request_keys[requests_done];
            std::erase_if(state_.transfers, [&](const cpe::Transfer& t) {
                return t.completed && t.method + "\n" + t.result.command_key == key;
            });
            dirty = true;
        }
        return dirty;
    };
    cwmp::Action action = session.start();
    while (action.kind == cwmp::Action::Kind::send || action.kind == cwmp::Action::Kind::call_device) {
        if (action.kind == cwmp::Action::Kind::send) {
            const http::Url url = action.url;
            std::optional<http::Request> copy;
            if (recorder) copy = action.request;
            const auto sent = std::chrono::steady_clock::now();
            auto res = co_await acs_->send(url, std::move(action.request));
            metrics().acs_exchange.with({res ? "ok" : "error"})
                .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count());
            if (recorder) recorder->on_acs_exchange(url, *copy, res);
            action = res ? session.on_response(*res) : session.on_transport_error(res.error().message);
            if (take_acknowledgements()) co_await persist_durable();
            continue;
        }
        const cwmp::Body& req = action.acs_request.body;
        say(L::info, [&] { return "ACS -> " + describe(req); });
        // A fault must mean nothing changed (TR-069 A.3.2.1). So an RPC that
        // changes the gateway runs only once the store has shown it can
        // write, and if storing the outcome still fails the CPE's own state
        // goes back to what it was before the RPC. The check writes even a
        // state the store holds already: only a write shows that it can.
        const bool changes_gateway = handler.may_change_device(req);
        if (changes_gateway && !co_await persist_durable(Write::always)) {
            cwmp::Body refused = cpe::make_fault(9002, "Internal error: the CPE state cannot be stored");
            say(L::info, [&] { return "ACS <- " + describe(refused); });
            note_answer(req, refused);
            action = session.on_device_answer(std::move(refused));
            continue;
        }
        const cpe::CpeState state_before = state_;
        const cwmp::EventQueue events_before = agent_.events();
        const cpe::DeviceState device_before = device_->persistent_state();
        const cpe::Effects effects_before = handler.effects();
        auto outcome = co_await run_step(handler.handle(req));
        cwmp::Body answer = std::holds_alternative<cwmp::Fault>(outcome)
                                ? cwmp::Body(std::get<cwmp::Fault>(std::move(outcome)))
                                : std::get<cwmp::Body>(std::move(outcome));
        // The answer acknowledges what changed: it must be on disk first.
        if (handler.take_changed()) {
            if (!co_await persist_durable()) {
                state_ = state_before;
                agent_.events() = events_before;
                device_->restore_state(device_before);
                handler.restore_effects(effects_before);
                if (changes_gateway)
                    core::log::error(gateway_.id, std::string(cwmp::rpc_name(req)) +
                                                      " reached the gateway but its outcome could not be stored; "
                                                      "the gateway may hold the new values");
                answer = cpe::make_fault(9002, "Internal error: the CPE state could not be stored");
            }
            if (handler.effects().cr_credentials_changed) publish_credentials();
        }
        say(L::info, [&] { return "ACS <- " + describe(answer); });
        note_answer(req, answer);
        action = session.on_device_answer(std::move(answer));
    }

    // One connection per session: the next one starts fresh (and re-verifies TLS).
    acs_->close();
    const bool ok = action.kind == cwmp::Action::Kind::done;
    const cpe::Effects& fx = handler.effects();
    // Acknowledgements were taken as they came; unacknowledged TransferCompletes are sent again next time.
    end.kind = ok ? End::Kind::done : End::Kind::failed;
    end.inform_acknowledged = session.inform_acknowledged();
    end.retry_after = action.retry_after;
    end.acs_url_changed = fx.acs_url_changed;
    end.periodic_changed = fx.periodic_changed;
    end.rebooting = fx.rebooting;
    end.factory_reset = fx.factory_reset;
    end.error = action.error;
    if (fx.cr_credentials_changed) publish_credentials();
    if (ok)
        say(L::info, [&] {
            return "session done (" + std::to_string(session.acs_requests_served()) + " ACS requests)";
        });
    else
        // An ACS that is down or overloaded fails every CPE's session: limited per ACS.
        core::log::warn_grouped("acs", acs_url->host + ":" + acs_url->port, "session failed", gateway_.id,
                                "session failed: " + action.error, {{"session", session_id}});
    note_session_end(end);
    co_return end;
}

}  // namespace app
