#include "bridge/cwmp/event_queue.hpp"

#include <algorithm>

namespace cwmp {

bool EventQueue::is_single(std::string_view code) { return code.size() < 2 || code.substr(0, 2) != "M "; }

bool EventQueue::survives_restart(std::string_view code) {
    return code == "0 BOOTSTRAP" || code == "1 BOOT" || code == "7 TRANSFER COMPLETE" ||
           code == "10 AUTONOMOUS TRANSFER COMPLETE" || code == "3 SCHEDULED" || code.substr(0, 2) == "M ";
}

void EventQueue::add(std::string code, std::string command_key) {
    ++stamp_;
    for (auto& e : events_) {
        if (e.event.event_code != code) continue;
        if (is_single(code)) {
            // A single event keeps its first CommandKey unless it had none.
            if (e.event.command_key.empty()) e.event.command_key = std::move(command_key);
            e.stamp = stamp_;
            return;
        }
        if (e.event.command_key == command_key) {
            e.stamp = stamp_;
            return;
        }
    }
    Entry entry{{std::move(code), std::move(command_key)}, stamp_};
    // BOOTSTRAP first, as real CPEs order it, and it reads better in traces.
    if (entry.event.event_code == "0 BOOTSTRAP") events_.insert(events_.begin(), std::move(entry));
    else events_.push_back(std::move(entry));
}

std::vector<EventStruct> EventQueue::pending() const {
    std::vector<EventStruct> out;
    out.reserve(events_.size());
    for (auto& e : events_) out.push_back(e.event);
    return out;
}

bool EventQueue::contains(std::string_view code) const {
    return std::any_of(events_.begin(), events_.end(), [&](const Entry& e) { return e.event.event_code == code; });
}

void EventQueue::delivered(const std::vector<EventStruct>& done, std::uint64_t mark) {
    std::erase_if(events_, [&](const Entry& e) {
        return e.stamp <= mark && std::find(done.begin(), done.end(), e.event) != done.end();
    });
}

void EventQueue::session_failed() {
    // A Connection Request asks for a session now; a later retry is not that
    // session (TR-069 3.7.1.5), so it is not carried over.
    std::erase_if(events_, [](const Entry& e) { return e.event.event_code == "6 CONNECTION REQUEST"; });
}

void EventQueue::restarted() {
    std::erase_if(events_, [](const Entry& e) { return !survives_restart(e.event.event_code); });
}

}  // namespace cwmp
