#pragma once
// Rate limiting for warnings that a peer can trigger at will (refused
// connections, wrong digests, forged messages): without it, a flood of bad
// requests becomes a flood of log lines (issue 10: 300,000 WARN lines, 31 MB
// in 30 s). Per key (component, source address, kind of refusal) the first
// `burst` warnings of an interval are written; the rest are only counted, and
// when the interval has ended one summary line says how many were suppressed.
//
// LogLimiter is sans-I/O: the caller passes the time, so tests run it on a
// fake clock. The key map is bounded (max_keys): when it is full, warnings of
// new keys share one overflow key per component ("many sources"), so a flood
// from many addresses costs memory for max_keys entries at most.
//
// core::log::warn_from() is the process-wide use of it: a mutex, the steady
// clock and core::log::warn. Callers should also call
// core::log::flush_suppressed() now and then (the listeners do it on a timer)
// so the summary of a flood that stopped is written without waiting for the
// next warning.
#include <chrono>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/log.hpp"

namespace core {

class LogLimiter {
public:
    using Clock = std::chrono::steady_clock;

    struct Options {
        unsigned burst = 5;  // written per key and interval
        std::chrono::seconds interval{10};
        std::size_t max_keys = 4096;
    };

    struct Summary {
        std::string component;
        std::string source;
        std::string kind;
        std::uint64_t suppressed = 0;
        std::chrono::seconds interval{0};
        // "suppressed K similar warnings (kind) from X in the last Ns"
        std::string message() const;
    };

    LogLimiter();
    explicit LogLimiter(Options options);

    // true: write this warning now. false: counted, reported by a later drain().
    bool admit(std::string_view component, std::string_view source, std::string_view kind, Clock::time_point now);
    // The summaries of every interval that has ended by `now` and suppressed
    // something; those keys are forgotten (their next warning starts afresh).
    // everything: end every interval now (at shutdown, so no count is lost).
    std::vector<Summary> drain(Clock::time_point now, bool everything = false);

    std::size_t keys() const { return windows_.size(); }

private:
    struct Window {
        Clock::time_point end;
        std::string component, source, kind;
        unsigned written = 0;
        std::uint64_t suppressed = 0;
    };
    void expire(Clock::time_point now);

    Options options_;
    std::map<std::string, Window, std::less<>> windows_;
    // Keys in the order their windows end (all windows have the same length,
    // so that is the order they started): expiry is O(expired), not O(keys).
    std::deque<std::pair<Clock::time_point, std::string>> order_;
    std::vector<Summary> ended_;
};

namespace log {

// A warning about `source` (a peer address), rate-limited per
// (component, source, kind) by one process-wide LogLimiter. `kind` names the
// reason without variable parts ("digest", "per-source limit", "401").
void warn_from(std::string_view component, std::string_view source, std::string_view kind, std::string_view message);
// The same limit for failures that many components (gateway ids) report at
// once because one peer or the network failed them all (100,000 CPEs whose
// gateway connects time out logged 1.3 million lines): the limit is per
// (group, source, kind), shared by every component of `group`, while the line
// itself is `component`'s. A component whose own level was set at run time
// (someone is looking at that gateway) is not limited. Summaries are the
// group's lines.
void warn_grouped(std::string_view group, std::string_view source, std::string_view kind, std::string_view component,
                  std::string_view message, std::initializer_list<Field> fields = {});
// The same at error level: a store that fails every CPE's writes at once
// (disk full, database gone) is one error, counted, not one per CPE.
void error_grouped(std::string_view group, std::string_view source, std::string_view kind, std::string_view component,
                   std::string_view message, std::initializer_list<Field> fields = {});
// Writes the summaries of ended intervals; cheap, call periodically.
// everything: of all intervals, ended or not (when the process stops).
void flush_suppressed(bool everything = false);

}  // namespace log
}  // namespace core
