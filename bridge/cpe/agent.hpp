#pragma once
// The scheduler of one virtual CPE, sans-I/O: events and the current time in,
// actions out. It decides when a session runs (pending events, periodic and
// scheduled Informs, the TR-069 3.2.1.1 retry schedule, the waits after a
// Reboot and around a firmware upgrade, the spread of Informs after a bridge
// restart), which events each Inform carries and what an acknowledged or
// failed session means for them. It reads no clock and touches no socket or
// disk: the driver (app::VirtualCpe) passes the time, runs the sessions and
// stores the state when told, so every rule here is tested with a fake clock
// (tests/unit/cpe/test_agent.cpp).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cwmp/event_queue.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

using TimePoint = std::chrono::system_clock::time_point;

class Agent {
public:
    // After a Reboot or FactoryReset the BOOT session waits this long at most
    // for the gateway to be back.
    static constexpr std::chrono::seconds kRebootWait{300};
    // A transfer the gateway never reports on is closed with a failure.
    static constexpr std::chrono::hours kTransferTimeout{2};
    // A gateway back from the reboot that ends a firmware upgrade reports the
    // upgrade's result right after registering: its BOOT waits this long for
    // it, so BOOT and TRANSFER COMPLETE go in one Inform.
    static constexpr std::chrono::seconds kUpgradeResultWait{60};
    // A deferred Reboot the gateway refused is asked for again after this.
    static constexpr std::chrono::seconds kDeferredRebootRetry{60};
    // Never wake less often than this (a wall-clock jump is noticed).
    static constexpr std::chrono::hours kMaxSleep{1};

    // What the driver must do now. Several may be set at once; the driver
    // stores first, then starts what is asked, then sleeps until wake_at.
    struct Actions {
        bool persist = false;                       // the state changed: store it
        bool start_session = false;                 // run one session (inform_input() says with what)
        std::optional<std::string> reboot_gateway;  // carry out a deferred Reboot with this CommandKey
        std::optional<bool> online;                 // the gateway's reachability as the agent now sees it
        TimePoint wake_at{};                        // call timer() at this time at the latest
        std::vector<std::string> notes;             // for the log (info)
        std::vector<std::string> warnings;          // for the log (warn)
    };

    // How a session ended, as the driver saw it.
    struct SessionEnd {
        enum class Kind {
            done,        // the session ended normally
            failed,      // it reached the ACS but failed (transport, fault, HTTP error)
            no_inform,   // the Inform could not be built: no session was attempted
        } kind = Kind::done;
        bool inform_acknowledged = false;
        std::optional<std::chrono::seconds> retry_after;  // a 503's Retry-After
        // Effects of the ACS's RPCs (cpe::Effects, the parts that concern scheduling).
        bool acs_url_changed = false, periodic_changed = false, rebooting = false, factory_reset = false;
        std::string error;  // why it failed, for the log and the trace recorder
    };

    // `id` seeds the periodic phase and the retry jitter: stable per CPE.
    Agent(std::string id, CpeState& state);

    // The bridge (re)started the CPE: TR-069 restart semantics for the
    // persisted events, 1 BOOT (and 0 BOOTSTRAP until acknowledged). The
    // first session is spread over `spread` by a stable hash of the id, so a
    // fleet restarted together does not Inform in the same second.
    Actions start(TimePoint now, std::chrono::milliseconds spread = {});

    // ---- inputs ----
    Actions request_session(std::string event_code, std::string command_key, TimePoint now);
    // A parameter under notification changed (2 active, 1 passive; 0 is ignored).
    Actions value_changed(cwmp::ParameterValue value, int notification, TimePoint now);
    // The gateway reported a transfer's end. `command_key` empty: the oldest
    // one of `method` in progress (CMP results carry no CommandKey);
    // `file_type` empty: any.
    Actions transfer_finished(const std::string& method, const std::string& command_key, const std::string& file_type,
                              cwmp::FaultStruct fault, std::string start_time, std::string complete_time,
                              TimePoint now);
    Actions set_online(bool online, TimePoint now);
    Actions timer(TimePoint now);
    Actions reboot_done(bool accepted, TimePoint now);
    Actions session_ended(const SessionEnd& end, TimePoint now);

    // ---- during a session (the driver's engines read and update these) ----
    // The events and values the next Inform carries, and marks to pass to
    // inform_acknowledged(): what is added meanwhile stays pending.
    struct InformInput {
        std::vector<cwmp::EventStruct> events;
        std::vector<cwmp::ParameterValue> changed;
        std::uint32_t retry_count = 0;
        std::uint64_t event_mark = 0, change_mark = 0;
    };
    InformInput inform_input() const;
    // The ACS acknowledged the Inform built from `in` (`delivered` = its events).
    void inform_acknowledged(const std::vector<cwmp::EventStruct>& delivered, const InformInput& in);
    // The queue the RPC handler adds its events to (M Reboot, ...).
    cwmp::EventQueue& events() { return events_; }
    const cwmp::EventQueue& events() const { return events_; }
    // Restores the pending events of the state as they are (trace replay:
    // exactly one session, no restart semantics).
    void load_for_replay(std::uint32_t retry_count, const std::vector<cwmp::ParameterValue>& changed);

    bool has_work() const;
    bool in_session() const { return in_session_; }
    bool online() const { return online_; }
    std::uint32_t retry_count() const { return retry_count_; }
    TimePoint next_periodic() const { return next_periodic_; }

private:
    struct Changed {
        cwmp::ParameterValue value;
        std::uint64_t stamp = 0;
    };
    // Decides what happens now: fires due timers, starts a session if one
    // is due and nothing holds it, and computes the next wake-up.
    Actions decide(TimePoint now, Actions a);
    bool fire_timers(TimePoint now);
    void schedule_periodic(TimePoint now);
    void finish_transfer(Transfer& t, cwmp::FaultStruct fault, std::string start, std::string complete);
    bool held(TimePoint now) const;

    std::string id_;
    CpeState& state_;
    cwmp::EventQueue events_;
    std::map<std::string, Changed> changed_;  // parameters under notification awaiting an Inform
    std::uint64_t change_stamp_ = 0;
    // Only the retry jitter: an 8-byte generator, not mt19937's 2.5 KB per CPE.
    std::minstd_rand rng_;
    bool online_ = true;
    bool in_session_ = false;
    bool session_wanted_ = false;
    bool reboot_in_progress_ = false;  // a deferred reboot was asked of the gateway
    std::uint32_t retry_count_ = 0;
    std::optional<TimePoint> retry_at_;
    std::optional<std::chrono::seconds> retry_after_;
    TimePoint not_before_{};       // the spread after a restart
    TimePoint next_periodic_ = TimePoint::max();  // none until start() schedules one
    TimePoint reboot_wait_until_{};
    TimePoint boot_hold_until_{};
    TimePoint deferred_reboot_at_{};
};

}  // namespace cpe
