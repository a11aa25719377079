#pragma once
// Minimal leveled logging to stderr: one line per event, "key=value" fields
// for grep and log shippers. Secrets are never passed here; callers log
// names and sizes, not credentials.
#include <atomic>
#include <string_view>

namespace core::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level l);
Level level();
bool parse_level(std::string_view s, Level& out);

void write(Level l, std::string_view component, std::string_view message);

inline void debug(std::string_view c, std::string_view m) { if (level() <= Level::debug) write(Level::debug, c, m); }
inline void info(std::string_view c, std::string_view m) { if (level() <= Level::info) write(Level::info, c, m); }
inline void warn(std::string_view c, std::string_view m) { if (level() <= Level::warn) write(Level::warn, c, m); }
inline void error(std::string_view c, std::string_view m) { if (level() <= Level::error) write(Level::error, c, m); }

}  // namespace core::log
