#include "bridge/cpe/agent.hpp"

#include <algorithm>

#include "bridge/cpe/value_syntax.hpp"
#include "bridge/cwmp/periodic.hpp"
#include "bridge/cwmp/retry.hpp"

namespace cpe {
using namespace std::chrono;

namespace {

std::int64_t to_unix(TimePoint t) { return duration_cast<seconds>(t.time_since_epoch()).count(); }
TimePoint from_unix(std::int64_t s) { return TimePoint(seconds(s)); }

}  // namespace

Agent::Agent(std::string id, CpeState& state)
    : id_(std::move(id)), state_(state), rng_(static_cast<std::minstd_rand::result_type>(cwmp::stable_hash(id_) % 2147483646u + 1)) {}

Agent::Actions Agent::start(TimePoint now, milliseconds spread) {
    // Restart semantics (TR-069 3.7.1.5): only some events survive; the
    // virtual CPE itself has (re)booted.
    events_ = cwmp::EventQueue{};
    for (auto& e : state_.pending_events) events_.add(e.event_code, e.command_key);
    events_.restarted();
    if (!state_.bootstrapped) events_.add("0 BOOTSTRAP");
    events_.add("1 BOOT");
    schedule_periodic(now);
    session_wanted_ = true;
    if (spread.count() > 0)
        not_before_ = now + milliseconds(cwmp::stable_hash(id_) % static_cast<std::uint64_t>(spread.count()));
    Actions a;
    a.persist = true;
    return decide(now, std::move(a));
}

Agent::Actions Agent::request_session(std::string code, std::string key, TimePoint now) {
    if (code == "1 BOOT") {
        // The gateway rebooted. A Reboot deferred during its upgrade is done now.
        if (state_.deferred_reboot) {
            events_.add("M Reboot", *state_.deferred_reboot);
            state_.deferred_reboot.reset();
        }
        if (firmware_upgrade_in_progress(state_)) boot_hold_until_ = now + kUpgradeResultWait;
    }
    events_.add(std::move(code), std::move(key));
    session_wanted_ = true;
    // Whoever asks (a registering gateway, an authenticated Connection
    // Request) ends the wait for a rebooting gateway, and is not held back
    // by the spread of a restart.
    reboot_wait_until_ = {};
    not_before_ = {};
    Actions a;
    a.persist = true;
    return decide(now, std::move(a));
}

Agent::Actions Agent::value_changed(cwmp::ParameterValue value, int notification, TimePoint now) {
    if (notification == 0) return decide(now, {});
    std::string name = value.name;
    changed_[name] = Changed{std::move(value), ++change_stamp_};
    // Both kinds put VALUE CHANGE in the Inform that carries the value
    // (TR-069 3.7.1.5); only active notification asks for that Inform now.
    events_.add("4 VALUE CHANGE");
    if (notification == 2) session_wanted_ = true;
    Actions a;
    a.persist = true;
    return decide(now, std::move(a));
}

void Agent::finish_transfer(Transfer& t, cwmp::FaultStruct fault, std::string start, std::string complete) {
    t.completed = true;
    t.result.fault = std::move(fault);
    t.result.start_time = start.empty() ? std::string(cwmp::kUnknownTime) : std::move(start);
    t.result.complete_time = complete.empty() ? std::string(cwmp::kUnknownTime) : std::move(complete);
    session_wanted_ = true;
}

Agent::Actions Agent::transfer_finished(const std::string& method, const std::string& key,
                                        const std::string& file_type, cwmp::FaultStruct fault, std::string start,
                                        std::string complete, TimePoint now) {
    Actions a;
    for (auto& t : state_.transfers) {
        if (t.completed || t.method != method || (!key.empty() && t.result.command_key != key)) continue;
        if (!file_type.empty() && !t.file_type.empty() && t.file_type != file_type) continue;
        finish_transfer(t, std::move(fault), std::move(start), std::move(complete));
        a.notes.push_back(t.method + " '" + t.result.command_key + "' finished with fault code " +
                          std::to_string(t.result.fault.code));
        a.persist = true;
        return decide(now, std::move(a));
    }
    a.warnings.push_back(key.empty() ? method + " result without a transfer in progress ignored"
                                     : "transfer result for unknown CommandKey '" + key + "' ignored");
    return decide(now, std::move(a));
}

Agent::Actions Agent::set_online(bool online, TimePoint now) {
    Actions a;
    if (online_ != online) {
        online_ = online;
        a.online = online;
        if (online && has_work()) session_wanted_ = true;
    }
    return decide(now, std::move(a));
}

Agent::Actions Agent::timer(TimePoint now) { return decide(now, {}); }

Agent::Actions Agent::reboot_done(bool accepted, TimePoint now) {
    reboot_in_progress_ = false;
    Actions a;
    if (!accepted || !state_.deferred_reboot) {
        // The ACS was told the reboot would happen: keep asking, not too often.
        deferred_reboot_at_ = now + kDeferredRebootRetry;
        return decide(now, std::move(a));
    }
    a.notes.push_back("deferred reboot carried out after the firmware upgrade ended without one");
    events_.add("1 BOOT");
    events_.add("M Reboot", *state_.deferred_reboot);
    state_.deferred_reboot.reset();
    online_ = false;
    a.online = false;
    reboot_wait_until_ = now + kRebootWait;
    session_wanted_ = true;
    a.persist = true;
    return decide(now, std::move(a));
}

Agent::Actions Agent::session_ended(const SessionEnd& end, TimePoint now) {
    in_session_ = false;
    Actions a;
    a.persist = true;
    // A session that reached the ACS and failed drops what must not be
    // retried; one that never started (no Inform) keeps everything.
    if (end.kind == SessionEnd::Kind::failed && !end.inform_acknowledged) events_.session_failed();
    if (end.factory_reset) changed_.clear();
    if (end.acs_url_changed) {
        // TR-069 3.7.1.5: a new ACS URL means BOOTSTRAP towards the new ACS.
        state_.bootstrapped = false;
        events_.add("0 BOOTSTRAP");
        session_wanted_ = true;
    }
    if (end.periodic_changed) schedule_periodic(now);
    if (end.rebooting) {
        // The gateway is rebooting: its BOOT session waits until it is back.
        online_ = false;
        a.online = false;
        reboot_wait_until_ = now + kRebootWait;
        session_wanted_ = true;
    }
    if (end.kind == SessionEnd::Kind::done) {
        retry_count_ = 0;
    } else if (has_work()) {
        ++retry_count_;
        std::uniform_real_distribution<double> u(0.0, 1.0);
        milliseconds delay = cwmp::retry_delay(retry_count_, u(rng_));
        if (end.retry_after) delay = duration_cast<milliseconds>(*end.retry_after);
        retry_at_ = now + delay;
        a.notes.push_back("session retry " + std::to_string(retry_count_) + " in " +
                          std::to_string(static_cast<double>(delay.count()) / 1000.0) + " s");
    }
    return decide(now, std::move(a));
}

Agent::InformInput Agent::inform_input() const {
    InformInput in;
    in.events = events_.pending();
    for (auto& [path, c] : changed_) in.changed.push_back(c.value);
    in.retry_count = retry_count_;
    in.event_mark = events_.mark();
    in.change_mark = change_stamp_;
    return in;
}

void Agent::inform_acknowledged(const std::vector<cwmp::EventStruct>& delivered, const InformInput& in) {
    for (auto& e : delivered)
        if (e.event_code == "0 BOOTSTRAP") state_.bootstrapped = true;
    events_.delivered(delivered, in.event_mark);
    std::erase_if(changed_, [&](const auto& kv) { return kv.second.stamp <= in.change_mark; });
}

void Agent::load_for_replay(std::uint32_t retry_count, const std::vector<cwmp::ParameterValue>& changed) {
    events_ = cwmp::EventQueue{};
    for (auto& e : state_.pending_events) events_.add(e.event_code, e.command_key);
    for (auto& c : changed) changed_[c.name] = Changed{c, ++change_stamp_};
    retry_count_ = retry_count;
    in_session_ = true;
}

bool Agent::has_work() const {
    if (!events_.empty()) return true;
    return std::any_of(state_.transfers.begin(), state_.transfers.end(), [](const Transfer& t) { return t.completed; });
}

void Agent::schedule_periodic(TimePoint now) {
    std::optional<std::int64_t> reference;
    if (!is_unknown_time(state_.periodic_time)) reference = parse_date_time(state_.periodic_time);
    next_periodic_ = from_unix(cwmp::next_periodic_inform(to_unix(now), state_.periodic_interval, reference,
                                                          cwmp::stable_hash(id_)));
}

bool Agent::fire_timers(TimePoint now) {
    const std::int64_t now_unix = to_unix(now);
    bool dirty = false;
    for (auto it = state_.scheduled_informs.begin(); it != state_.scheduled_informs.end();) {
        if (it->due_unix > now_unix) {
            ++it;
            continue;
        }
        events_.add("3 SCHEDULED");
        events_.add("M ScheduleInform", it->command_key);
        it = state_.scheduled_informs.erase(it);
        session_wanted_ = dirty = true;
    }
    if (state_.periodic_enable && now >= next_periodic_) {
        events_.add("2 PERIODIC");
        schedule_periodic(now);
        session_wanted_ = dirty = true;
    }
    const std::int64_t timeout = duration_cast<seconds>(kTransferTimeout).count();
    for (auto& t : state_.transfers)
        if (!t.completed && now_unix - t.accepted_unix >= timeout) {
            // 9010 (download) / 9011 (upload): the transfer failed as far as anyone can tell.
            std::uint32_t code = t.method == "Upload" ? 9011 : 9010;
            finish_transfer(t, {code, "the gateway did not report the transfer's result in time"}, "", "");
            dirty = true;
        }
    return dirty;
}

bool Agent::held(TimePoint now) const {
    // After a Reboot the BOOT session waits for the gateway to be back;
    // after an upgrade's reboot, for the upgrade's result; after a restart,
    // for this CPE's turn in the spread.
    return (!online_ && now < reboot_wait_until_) ||
           (now < boot_hold_until_ && firmware_upgrade_in_progress(state_)) || now < not_before_;
}

Agent::Actions Agent::decide(TimePoint now, Actions a) {
    if (fire_timers(now)) a.persist = true;
    const bool upgrading = firmware_upgrade_in_progress(state_);
    if (state_.deferred_reboot && !upgrading && !reboot_in_progress_ && !in_session_ && now >= deferred_reboot_at_) {
        reboot_in_progress_ = true;
        a.reboot_gateway = *state_.deferred_reboot;
    }
    const bool due = session_wanted_ || (retry_at_ && now >= *retry_at_);
    if (due && !in_session_ && !reboot_in_progress_ && !held(now)) {
        session_wanted_ = false;
        retry_at_.reset();
        if (has_work()) {
            in_session_ = true;
            a.start_session = true;
        }
    }
    // The next instant anything can happen; what is due but waits for a
    // session or a reboot to end is looked at again when that ends.
    TimePoint until = now + kMaxSleep;
    auto consider = [&](TimePoint t) {
        if (t > now) until = std::min(until, t);
    };
    if (state_.periodic_enable) consider(next_periodic_);
    if (retry_at_) consider(*retry_at_);
    if (!online_) consider(reboot_wait_until_);
    if (upgrading) consider(boot_hold_until_);
    consider(not_before_);
    for (auto& s : state_.scheduled_informs) consider(from_unix(s.due_unix));
    for (auto& t : state_.transfers)
        if (!t.completed) consider(from_unix(t.accepted_unix) + kTransferTimeout);
    if (state_.deferred_reboot && !upgrading) consider(deferred_reboot_at_);
    a.wake_at = until;
    return a;
}

}  // namespace cpe
