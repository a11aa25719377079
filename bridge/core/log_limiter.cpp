#include "bridge/core/log_limiter.hpp"

#include <mutex>

#include "bridge/core/log.hpp"

namespace core {
namespace {

// Unit separator: cannot appear in a component name or an IP address.
std::string key_of(std::string_view component, std::string_view source, std::string_view kind) {
    std::string k;
    k.reserve(component.size() + source.size() + kind.size() + 2);
    k.append(component).append(1, '\x1f').append(source).append(1, '\x1f').append(kind);
    return k;
}

constexpr std::string_view kOverflowSource = "many sources";

}  // namespace

std::string LogLimiter::Summary::message() const {
    return "suppressed " + std::to_string(suppressed) + " similar warning" + (suppressed == 1 ? "" : "s") + " (" +
           kind + ") from " + source + " in the last " + std::to_string(interval.count()) + "s";
}

LogLimiter::LogLimiter() : LogLimiter(Options{}) {}

LogLimiter::LogLimiter(Options options) : options_(options) {
    if (options_.max_keys < 1) options_.max_keys = 1;
}

void LogLimiter::expire(Clock::time_point now) {
    while (!order_.empty() && order_.front().first <= now) {
        auto it = windows_.find(order_.front().second);
        order_.pop_front();
        if (it == windows_.end()) continue;
        const Window& w = it->second;
        if (w.suppressed > 0) ended_.push_back({w.component, w.source, w.kind, w.suppressed, options_.interval});
        windows_.erase(it);
    }
}

bool LogLimiter::admit(std::string_view component, std::string_view source, std::string_view kind,
                       Clock::time_point now) {
    expire(now);
    std::string key = key_of(component, source, kind);
    auto it = windows_.find(key);
    if (it == windows_.end()) {
        if (windows_.size() >= options_.max_keys) {
            // Full: this source shares the component's overflow entry. One slot
            // above max_keys per component and kind is the price of never
            // losing the count; it is bounded by the callers' few kinds.
            source = kOverflowSource;
            key = key_of(component, source, kind);
            it = windows_.find(key);
        }
        if (it == windows_.end()) {
            Window w{now + options_.interval, std::string(component), std::string(source), std::string(kind)};
            it = windows_.emplace(key, std::move(w)).first;
            order_.emplace_back(it->second.end, std::move(key));
        }
    }
    Window& w = it->second;
    if (w.written < options_.burst) {
        ++w.written;
        return true;
    }
    ++w.suppressed;
    return false;
}

std::vector<LogLimiter::Summary> LogLimiter::drain(Clock::time_point now, bool everything) {
    expire(now);
    std::vector<Summary> out;
    out.swap(ended_);
    if (!everything) return out;
    for (const auto& [end, key] : order_) {
        const Window& w = windows_.at(key);
        if (w.suppressed == 0) continue;
        // The part of the interval that has passed, rounded up: "in the last Ns" stays true.
        const auto elapsed = now - (w.end - options_.interval);
        auto secs = std::chrono::ceil<std::chrono::seconds>(elapsed);
        if (secs < std::chrono::seconds(1)) secs = std::chrono::seconds(1);
        out.push_back({w.component, w.source, w.kind, w.suppressed, secs});
    }
    windows_.clear();
    order_.clear();
    return out;
}

namespace log {
namespace {
std::mutex g_limiter_mutex;
LogLimiter g_limiter;

void write_summaries(std::vector<LogLimiter::Summary> summaries) {
    for (const auto& s : summaries) warn(s.component, s.message());
}
}  // namespace

void warn_from(std::string_view component, std::string_view source, std::string_view kind, std::string_view message) {
    if (level() > Level::warn) return;
    std::vector<LogLimiter::Summary> ended;
    bool write_it = false;
    {
        std::lock_guard lock(g_limiter_mutex);
        const auto now = LogLimiter::Clock::now();
        write_it = g_limiter.admit(component, source, kind, now);
        ended = g_limiter.drain(now);
    }
    // Written outside the lock: the limiter never waits on stderr.
    write_summaries(std::move(ended));
    if (write_it) warn(component, message);
}

namespace {
void grouped(Level level, std::string_view group, std::string_view source, std::string_view kind,
             std::string_view component, std::string_view message, std::initializer_list<Field> fields) {
    if (!enabled(level, component)) return;
    if (component_level(component)) {
        write(level, component, message, fields);
        return;
    }
    std::vector<LogLimiter::Summary> ended;
    bool write_it = false;
    {
        std::lock_guard lock(g_limiter_mutex);
        const auto now = LogLimiter::Clock::now();
        write_it = g_limiter.admit(group, source, kind, now);
        ended = g_limiter.drain(now);
    }
    write_summaries(std::move(ended));
    if (write_it) write(level, component, message, fields);
}
}  // namespace

void warn_grouped(std::string_view group, std::string_view source, std::string_view kind, std::string_view component,
                  std::string_view message, std::initializer_list<Field> fields) {
    grouped(Level::warn, group, source, kind, component, message, fields);
}

void error_grouped(std::string_view group, std::string_view source, std::string_view kind, std::string_view component,
                   std::string_view message, std::initializer_list<Field> fields) {
    grouped(Level::error, group, source, kind, component, message, fields);
}

void flush_suppressed(bool everything) {
    std::vector<LogLimiter::Summary> ended;
    {
        std::lock_guard lock(g_limiter_mutex);
        ended = g_limiter.drain(LogLimiter::Clock::now(), everything);
    }
    write_summaries(std::move(ended));
}

}  // namespace log
}  // namespace core
