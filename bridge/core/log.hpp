#pragma once
// Leveled logging to stderr, one line per event (docs/operations.md, Logs).
// Secrets are never passed here; callers log names and sizes, not credentials.
//
// Three renderings of the same event, chosen once at start (--log-format):
//   text     2026-01-02T03:04:05.678Z INFO GW-0001: message [key=value ...]
//   json     {"time":"...","level":"info","gateway":"GW-0001","message":"...",...}
//            one object per line, for log shippers (Loki, Elasticsearch, jq)
//   journal  <6>GW-0001: message — sd-daemon(3) priority prefixes that journald
//            turns into PRIORITY=; it adds the time itself
#include <atomic>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace core::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };
enum class Format { text, json, journal };

void set_level(Level l);
Level level();
bool parse_level(std::string_view s, Level& out);

void set_format(Format f);
Format format();
bool parse_format(std::string_view s, Format& out);
// True when stderr is the journal stream systemd set up ($JOURNAL_STREAM names
// its device:inode): the default format is then `journal`.
bool stderr_is_journal();

// A structured field of one event ("session", "rpc", ...): a key in json, key=value in text.
struct Field {
    std::string_view key;
    std::string_view value;
};

void write(Level l, std::string_view component, std::string_view message, std::initializer_list<Field> fields = {});
// The line `write` would emit (without the newline), for tests.
std::string render(Format f, Level l, std::string_view component, std::string_view message,
                   std::initializer_list<Field> fields = {});

// `s` as the inside of a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 (peer-supplied text) replaced by U+FFFD.
std::string json_escape(std::string_view s);
// `s` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

// A component (a gateway id) may have its own level, set at run time (the
// admin listener's log-level action) to look at one gateway in detail without
// drowning the log; nullopt returns it to the process's level.
void set_component_level(std::string_view component, std::optional<Level> l);
std::optional<Level> component_level(std::string_view component);
// Whether an event of level `l` from `component` is written. Without any
// component level set this is one atomic load.
bool enabled(Level l, std::string_view component);

inline void debug(std::string_view c, std::string_view m) { if (enabled(Level::debug, c)) write(Level::debug, c, m); }
inline void info(std::string_view c, std::string_view m) { if (enabled(Level::info, c)) write(Level::info, c, m); }
inline void warn(std::string_view c, std::string_view m) { if (enabled(Level::warn, c)) write(Level::warn, c, m); }
inline void error(std::string_view c, std::string_view m) { if (enabled(Level::error, c)) write(Level::error, c, m); }

}  // namespace core::log
