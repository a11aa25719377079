#pragma once
// Pending Inform events with the retention rules of TR-069 Table 7 / 3.7.1.5:
// which events survive a failed session, which survive a restart, and which
// may appear only once per Inform.
#include <string>
#include <vector>

#include "bridge/cwmp/messages.hpp"

namespace cwmp {

class EventQueue {
public:
    // Adds an event; single events ("1 BOOT", "4 VALUE CHANGE", ...) collapse,
    // "M <method>" events are kept once per CommandKey.
    void add(std::string code, std::string command_key = {});
    bool contains(std::string_view code) const;
    bool empty() const { return events_.empty(); }
    const std::vector<EventStruct>& pending() const { return events_; }

    // The Inform carrying `delivered` was acknowledged: those events are done.
    void delivered(const std::vector<EventStruct>& delivered);
    // The session failed before InformResponse: drop what must not be retried.
    void session_failed();
    // The bridge restarted: keep only what must survive (BOOTSTRAP, BOOT,
    // TRANSFER COMPLETE, M events, scheduled/periodic are recreated by timers).
    void restarted();

    static bool is_single(std::string_view code);
    static bool survives_restart(std::string_view code);

private:
    std::vector<EventStruct> events_;
};

}  // namespace cwmp
