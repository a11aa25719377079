// One CWMP session of a VirtualCpe: the Inform, the loop over the session
// engine's actions, and what the outcome means for the persisted state.
#include <boost/asio/use_awaitable.hpp>

#include "bridge/app/virtual_cpe.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/cpe/inform.hpp"
#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cwmp/cpe_session.hpp"

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
            auto r = co_await gateway_transport_->call(std::move(call));
            if (r) set_online(true);
            else if (is_unreachable(r.error())) set_online(false);
            results.push_back(std::move(r));
        }
        step = step.resume(std::move(results));
    }
    co_return std::move(*step.done);
}

asio::awaitable<void> VirtualCpe::carry_out_deferred_reboot() {
    const std::string key = *state_.deferred_reboot;
    auto outcome = co_await run_step(device_->reboot(key));
    if (auto* f = std::get_if<cwmp::Fault>(&outcome)) {
        // The ACS was told the reboot would happen: keep trying, not too often.
        core::log::warn(gateway_.id, "deferred reboot refused by the gateway (" + f->string + "); trying again in 60 s");
        deferred_reboot_at_ = system_clock::now() + seconds(60);
        co_return;
    }
    core::log::info(gateway_.id, "deferred reboot carried out after the firmware upgrade ended without one");
    state_.deferred_reboot.reset();
    events_.add("1 BOOT");
    events_.add("M Reboot", key);
    online_ = false;
    reboot_wait_until_ = system_clock::now() + kRebootWait;
    session_wanted_ = true;
    persist();
}

asio::awaitable<bool> VirtualCpe::run_session() {
    std::unique_ptr<SessionRecorder> recorder;
    if (env_.recorders) {
        const auto& c = env_.config;
        SessionStart start{gateway_.id, gateway_url_, c.acs.cwmp_version, c.acs.url, c.acs.username, env_.cr_url_base,
                           c.periodic_inform.enable, c.periodic_inform.interval_s, retry_count_, {}, {},
                           cpe::serialize(state_)};
        for (auto& e : events_.pending()) start.events.push_back(e.event_code);
        for (auto& [path, ch] : changed_) start.changed.push_back(ch.value);
        recorder = env_.recorders->begin(std::move(start));
    }
    // Every exit ends the recording and detaches it from the CMP call log.
    struct RecorderScope {
        VirtualCpe& cpe;
        std::unique_ptr<SessionRecorder>& rec;
        bool ok = false;
        std::string error;
        ~RecorderScope() {
            cpe.attach_recorder(nullptr);
            if (rec) rec->on_end(ok, error, cpe::serialize(cpe.state_));
        }
    } scope{*this, recorder};
    attach_recorder(recorder.get());

    cpe::RpcHandler handler(local_context(), state_, events_, *device_);
    const std::uint64_t event_mark = events_.mark();
    const std::uint64_t change_mark = change_stamp_;
    cpe::InformInput in;
    in.events = events_.pending();
    in.transfers = state_.transfers;
    for (auto& [path, c] : changed_) in.changed.push_back(c.value);
    in.retry_count = retry_count_;
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
        core::log::warn(gateway_.id, "no session: cannot build the Inform: " + f->string);
        scope.error = "no Inform: " + f->string;
        persist();
        co_return false;
    }
    const cwmp::Inform inform = std::get<cwmp::Inform>(std::move(built));
    state_.device_id = inform.device_id;


    const cpe::LocalContext local = handler.local();
    auto acs_url = http::Url::parse(cpe::effective_acs_url(local, state_));
    if (!acs_url) {
        core::log::error(gateway_.id, "bad ACS URL: " + acs_url.error().message);
        scope.error = "bad ACS URL";
        co_return false;
    }
    core::log::info(gateway_.id, "session: Inform [" + join_events(inform.events) + "] to " + acs_url->to_string());
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
            for (auto& e : inform.events)
                if (e.event_code == "0 BOOTSTRAP") state_.bootstrapped = true;
            events_.delivered(inform.events, event_mark);
            std::erase_if(changed_, [&](const auto& kv) { return kv.second.stamp <= change_mark; });
            state_.last_cr_url = cr_url();
        }
        for (; requests_done < session.requests_acknowledged() && requests_done < request_keys.size(); ++requests_done) {
            const std::string& key = request_keys[requests_done];
            std::erase_if(state_.transfers, [&](const cpe::Transfer& t) {
                return t.completed && t.method + "\n" + t.result.command_key == key;
            });
            dirty = true;
        }
        if (dirty) persist();
    };
    cwmp::Action action = session.start();
    while (action.kind == cwmp::Action::Kind::send || action.kind == cwmp::Action::Kind::call_device) {
        if (action.kind == cwmp::Action::Kind::send) {
            const http::Url url = action.url;
            std::optional<http::Request> copy;
            if (recorder) copy = action.request;
            auto res = co_await acs_->send(url, std::move(action.request));
            if (recorder) recorder->on_acs_exchange(url, *copy, res);
            action = res ? session.on_response(*res) : session.on_transport_error(res.error().message);
            take_acknowledgements();
            continue;
        }
        const cwmp::Body& req = action.acs_request.body;
        core::log::info(gateway_.id, "ACS -> " + describe(req));
        // A fault must mean nothing changed (TR-069 A.3.2.1). So an RPC that
        // changes the gateway runs only once the store has shown it can
        // write, and if storing the outcome still fails the CPE's own state
        // goes back to what it was before the RPC.
        const bool changes_gateway = cpe::RpcHandler::may_change_device(req);
        if (changes_gateway && !persist()) {
            cwmp::Body refused = cpe::make_fault(9002, "Internal error: the CPE state cannot be stored");
            core::log::info(gateway_.id, "ACS <- " + describe(refused));
            action = session.on_device_answer(std::move(refused));
            continue;
        }
        const cpe::CpeState state_before = state_;
        const cwmp::EventQueue events_before = events_;
        const cpe::DeviceState device_before = device_->persistent_state();
        const cpe::Effects effects_before = handler.effects();
        auto outcome = co_await run_step(handler.handle(req));
        cwmp::Body answer = std::holds_alternative<cwmp::Fault>(outcome)
                                ? cwmp::Body(std::get<cwmp::Fault>(std::move(outcome)))
                                : std::get<cwmp::Body>(std::move(outcome));
        // The answer acknowledges what changed: it must be on disk first.
        if (handler.take_changed()) {
            if (!persist()) {
                state_ = state_before;
                events_ = events_before;
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
        core::log::info(gateway_.id, "ACS <- " + describe(answer));
        action = session.on_device_answer(std::move(answer));
    }

    // One connection per session: the next one starts fresh (and re-verifies TLS).
    acs_->close();
    const bool ok = action.kind == cwmp::Action::Kind::done;
    const cpe::Effects& fx = handler.effects();
    // Acknowledgements were taken as they came; unacknowledged TransferCompletes are sent again next time.
    if (!session.inform_acknowledged()) events_.session_failed();

    if (fx.factory_reset) changed_.clear();
    if (fx.acs_url_changed) {
        // TR-069 3.7.1.5: a new ACS URL means BOOTSTRAP towards the new ACS.
        state_.bootstrapped = false;
        events_.add("0 BOOTSTRAP");
        session_wanted_ = true;
    }
    if (fx.periodic_changed) schedule_periodic();
    if (fx.cr_credentials_changed) publish_credentials();
    if (fx.rebooting) {
        // The gateway is rebooting: its BOOT session waits until it is back.
        online_ = false;
        reboot_wait_until_ = system_clock::now() + kRebootWait;
        session_wanted_ = true;
    }
    if (ok) {
        core::log::info(gateway_.id, "session done (" + std::to_string(session.acs_requests_served()) + " ACS requests)");
    } else {
        core::log::warn(gateway_.id, "session failed: " + action.error);
        retry_after_ = action.retry_after;
    }
    persist();
    scope.ok = ok;
    scope.error = action.error;
    co_return ok;
}

}  // namespace app
