#pragma once
// Pending Inform events with the retention rules of TR-069 3.7.1.5 and
// Table 7: which events survive a failed session, which survive a restart,
// and which may appear only once per Inform.
//
// Events added while a session is running must not be lost when that
// session's Inform is acknowledged (a Connection Request or value change
// arriving mid-session asks for another session), so every add is stamped
// and delivered() only removes what was pending when the Inform was built.
#include <cstdint>
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
    std::vector<EventStruct> pending() const;
    void clear() { events_.clear(); }

    // A stamp to pass to delivered(): events added after it stay pending.
    std::uint64_t mark() const { return stamp_; }
    // The Inform carrying `delivered` was acknowledged: those events are done
    // unless they were added again after `mark`.
    void delivered(const std::vector<EventStruct>& delivered, std::uint64_t mark = UINT64_MAX);
    // The session failed before InformResponse: drop what must not be retried.
    void session_failed();
    // The bridge restarted: keep only what must survive (BOOTSTRAP, BOOT,
    // TRANSFER COMPLETE, SCHEDULED, M events; periodic ones are recreated by
    // timers, value changes and connection requests are gone with the process).
    void restarted();

    static bool is_single(std::string_view code);
    static bool survives_restart(std::string_view code);

private:
    struct Entry {
        EventStruct event;
        std::uint64_t stamp = 0;
    };
    std::vector<Entry> events_;
    std::uint64_t stamp_ = 0;
};

}  // namespace cwmp
