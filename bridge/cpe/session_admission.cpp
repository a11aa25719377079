#include "bridge/cpe/session_admission.hpp"

namespace cpe {

void SessionAdmission::enqueue(Id id, Priority priority) {
    const std::uint64_t ticket = next_ticket_++;
    waiting_[id] = Waiting{ticket, priority};
    (priority == Priority::connection_request ? urgent_ : normal_).push_back({id, ticket});
}

bool SessionAdmission::request(Id id, Priority priority) {
    if (auto it = waiting_.find(id); it != waiting_.end()) {
        if (priority == Priority::connection_request && it->second.priority == Priority::normal) raise(id);
        return false;
    }
    // Nobody waiting and a slot free: run now. With others waiting a new
    // request queues behind them even if a slot is free, which only happens
    // between a release() and its CPE starting; FIFO stays FIFO.
    if (limit_ == 0 || (running_ < limit_ && waiting_.empty())) {
        ++running_;
        return true;
    }
    enqueue(id, priority);
    return false;
}

void SessionAdmission::raise(Id id) {
    auto it = waiting_.find(id);
    if (it == waiting_.end() || it->second.priority == Priority::connection_request) return;
    // The old entry in normal_ goes stale (its ticket no longer matches).
    enqueue(id, Priority::connection_request);
}

bool SessionAdmission::withdraw(Id id) { return waiting_.erase(id) > 0; }

std::optional<SessionAdmission::Id> SessionAdmission::pop(std::deque<Entry>& queue) {
    while (!queue.empty()) {
        const Entry e = queue.front();
        queue.pop_front();
        auto it = waiting_.find(e.id);
        if (it == waiting_.end() || it->second.ticket != e.ticket) continue;  // withdrawn or raised
        waiting_.erase(it);
        return e.id;
    }
    return std::nullopt;
}

std::optional<SessionAdmission::Id> SessionAdmission::release() {
    if (running_ > 0) --running_;
    if (limit_ != 0 && running_ >= limit_) return std::nullopt;
    auto next = pop(urgent_);
    if (!next) next = pop(normal_);
    if (next) ++running_;
    // Stale entries of a queue that emptied of live ones are gone with it;
    // when nothing waits, drop any left so memory follows the backlog.
    if (waiting_.empty()) {
        urgent_.clear();
        normal_.clear();
    }
    return next;
}

}  // namespace cpe
