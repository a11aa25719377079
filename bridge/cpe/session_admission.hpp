#pragma once
// How many CWMP sessions run at once in the whole process, sans-I/O. Every
// session holds a connection to the ACS and at least one to its gateway, so
// 100,000 CPEs whose timers fire together (a restart, a periodic phase, an
// ACS back from an outage) would open 200,000 sockets and as many buffers:
// the run that tried it hit the open-files limit and timed its own connects
// out. SessionAdmission lets at most `limit` sessions run; the others wait
// in FIFO order, keeping their events (the CPE's agent still holds them; the
// Inform is built only when the session really starts, so whatever arrived
// while waiting goes with it).
//
// A Connection Request is an operator waiting for the CPE: it goes ahead of
// every periodic, boot or retry session waiting, also when it arrives for a
// CPE that is already waiting (raise()).
//
// Plain data, no locks: app::SessionSlots wraps it with a mutex and the
// wake-up of the CPE admitted; tests/unit/cpe/test_session_admission.cpp
// drives it by hand.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

namespace cpe {

class SessionAdmission {
public:
    using Id = std::uint64_t;  // one per CPE, the caller's
    enum class Priority { normal, connection_request };

    // limit 0: no limit (every request is admitted at once).
    explicit SessionAdmission(std::size_t limit) : limit_(limit) {}

    // `id` wants to run a session. True: it holds a slot now. False: it
    // waits; a later release() names it. Asking again while waiting only
    // raises the priority if the new one is higher.
    bool request(Id id, Priority priority);
    // A Connection Request arrived for `id` while it waits: it moves ahead of
    // the normal sessions. No effect if it does not wait.
    void raise(Id id);
    // `id` stops waiting (its CPE stopped or was dropped). True if it was
    // waiting; false if it was not (it may hold a slot: release() it).
    bool withdraw(Id id);
    // A session ended and gives its slot back. Returns the CPE that holds
    // it now, if one was waiting (Connection Requests first, then FIFO).
    std::optional<Id> release();

    std::size_t running() const { return running_; }
    std::size_t waiting() const { return waiting_.size(); }
    std::size_t limit() const { return limit_; }

private:
    // Queue entries are (id, ticket); a raised or withdrawn id leaves a stale
    // entry behind that pop() skips: raise and withdraw stay O(1).
    struct Entry {
        Id id;
        std::uint64_t ticket;
    };
    struct Waiting {
        std::uint64_t ticket;
        Priority priority;
    };
    std::optional<Id> pop(std::deque<Entry>& queue);
    void enqueue(Id id, Priority priority);

    std::size_t limit_;
    std::size_t running_ = 0;
    std::uint64_t next_ticket_ = 0;
    std::unordered_map<Id, Waiting> waiting_;
    std::deque<Entry> urgent_, normal_;
};

}  // namespace cpe
