#include "bridge/cpe/session_answers.hpp"

#include <algorithm>

namespace cpe {

bool SessionAnswers::is_read(const cmp::Request& req) const {
    const cmp::FunctionSpec* spec = catalogue_.find(req.function);
    return spec != nullptr && spec->idempotent;
}

const cmp::Response* SessionAnswers::find(const cmp::Request& req, Clock::time_point now) const {
    if (window_.count() <= 0) return nullptr;
    for (const Answer& a : answers_)
        if (a.function == req.function && a.args == req.args) return now - a.at <= window_ ? &a.response : nullptr;
    return nullptr;
}

SessionAnswers::Ticket SessionAnswers::sending(const cmp::Request& req) {
    if (!is_read(req)) forget();
    return generation_;
}

void SessionAnswers::keep(const cmp::Request& req, const core::Result<cmp::Response>& result, Ticket ticket,
                          Clock::time_point now) {
    if (!is_read(req)) {
        // Forgotten when it was sent, and again now: a read that went out
        // while it ran may have been answered before the change took effect.
        forget();
        return;
    }
    if (window_.count() <= 0 || ticket != generation_ || !result || !result->ok()) return;
    // An older answer to the same read is replaced, not duplicated.
    std::erase_if(answers_, [&](const Answer& a) { return a.function == req.function && a.args == req.args; });
    // Expired answers are of no use any more; beyond the bound the oldest goes.
    std::erase_if(answers_, [&](const Answer& a) { return now - a.at > window_; });
    if (answers_.size() >= kMaxAnswers) answers_.erase(answers_.begin());
    answers_.push_back({req.function, req.args, *result, now});
}

void SessionAnswers::forget() {
    answers_.clear();
    answers_.shrink_to_fit();
    ++generation_;
}

}  // namespace cpe
