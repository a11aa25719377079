#pragma once
// The process-wide bound on sessions running at once (acs.max_concurrent_sessions):
// cpe::SessionAdmission, which decides, behind a mutex, plus the call that
// wakes the CPE admitted. Every VirtualCpe asks here before a session and
// gives its slot back when the session ends; a CPE that waits keeps its
// events in its agent and builds its Inform only once admitted.
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "bridge/cpe/session_admission.hpp"

namespace app {

class SessionSlots {
public:
    using Id = cpe::SessionAdmission::Id;
    // Called, outside the lock and on whichever thread released the slot, when
    // a waiting CPE holds a slot: it must only post to the CPE's strand.
    using Grant = std::function<void()>;

    explicit SessionSlots(std::size_t limit) : admission_(limit) {}

    // A fresh id for one CPE.
    Id next_id() { return next_id_.fetch_add(1); }
    // True: a slot is the caller's now. False: `grant` runs once it is.
    bool acquire(Id id, bool connection_request, Grant grant);
    // A Connection Request for a CPE that waits: ahead of the periodic ones.
    void raise(Id id);
    // The CPE stopped waiting. False: it was not waiting (its grant is on its
    // way, or it holds a slot), so the caller releases the slot when it has it.
    bool withdraw(Id id);
    // A session ended: its slot goes to the next waiting CPE, if any.
    void release();

    std::size_t running() const;
    std::size_t waiting() const;

private:
    // The bridge_sessions_waiting gauge follows every change (under the lock).
    void publish_waiting();

    mutable std::mutex mutex_;
    cpe::SessionAdmission admission_;
    std::unordered_map<Id, Grant> grants_;
    std::size_t peak_ = 0;  // sessions at once since the last burst ended (malloc_trim)
    std::atomic<Id> next_id_{1};
};

}  // namespace app
