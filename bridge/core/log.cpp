#include "bridge/core/log.hpp"

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>

namespace core::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::text};
std::mutex g_mutex;
const char* names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
const char* json_names[] = {"debug", "info", "warn", "error"};
// sd-daemon(3): LOG_DEBUG 7, LOG_INFO 6, LOG_WARNING 4, LOG_ERR 3.
const char* priorities[] = {"<7>", "<6>", "<4>", "<3>"};

// Components are the bridge's own parts; every other name is a gateway's rgId
// (ids are [A-Za-z0-9._-], these names are never configured as one in practice).
bool is_component(std::string_view c) {
    static constexpr std::array<std::string_view, 9> parts{"bridge", "cmp", "cr", "registry", "sim",
                                                            "state", "trace", "acs", "admin"};
    for (auto p : parts)
        if (c == p) return true;
    return false;
}

std::string timestamp() {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto t = system_clock::to_time_t(now);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[40];
    auto n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(ms));
    return ts;
}

// The RPC a session line is about: the sessions log "ACS -> GetParameterValues ..."
// and "ACS <- GetParameterValuesResponse ...", so json consumers can filter on it.
std::string_view rpc_of(std::string_view message) {
    if (message.substr(0, 7) != "ACS -> " && message.substr(0, 7) != "ACS <- ") return {};
    auto rest = message.substr(7);
    auto end = rest.find_first_of(" (:");
    return rest.substr(0, end);
}

void json_field(std::string& out, std::string_view key, std::string_view value) {
    out += ",\"";
    out += json_escape(key);
    out += "\":\"";
    out += json_escape(value);
    out += '"';
}
}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level.load(std::memory_order_relaxed); }

namespace {
std::atomic<bool> g_has_component_levels{false};
std::mutex g_component_mutex;
std::map<std::string, Level, std::less<>> g_component_levels;
}  // namespace

void set_component_level(std::string_view component, std::optional<Level> l) {
    std::lock_guard lock(g_component_mutex);
    if (l) g_component_levels.insert_or_assign(std::string(component), *l);
    else if (auto it = g_component_levels.find(component); it != g_component_levels.end()) g_component_levels.erase(it);
    g_has_component_levels = !g_component_levels.empty();
}

std::optional<Level> component_level(std::string_view component) {
    std::lock_guard lock(g_component_mutex);
    auto it = g_component_levels.find(component);
    return it == g_component_levels.end() ? std::nullopt : std::optional<Level>(it->second);
}

bool enabled(Level l, std::string_view component) {
    if (g_has_component_levels.load(std::memory_order_relaxed))
        if (auto own = component_level(component)) return *own <= l && *own != Level::off;
    return level() <= l;
}
void set_format(Format f) { g_format = f; }
Format format() { return g_format.load(std::memory_order_relaxed); }

bool parse_level(std::string_view s, Level& out) {
    if (s == "debug") out = Level::debug;
    else if (s == "info") out = Level::info;
    else if (s == "warn") out = Level::warn;
    else if (s == "error") out = Level::error;
    else if (s == "off") out = Level::off;
    else return false;
    return true;
}

bool parse_format(std::string_view s, Format& out) {
    if (s == "text") out = Format::text;
    else if (s == "json") out = Format::json;
    else if (s == "journal") out = Format::journal;
    else return false;
    return true;
}

bool stderr_is_journal() {
    // systemd.exec(5): JOURNAL_STREAM=<device>:<inode> of the stream it connected; a
    // child whose stderr was redirected inherits the variable but not the stream.
    const char* js = std::getenv("JOURNAL_STREAM");
    if (!js || !*js) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(2, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        if (c < 0x80) len = 1;
        else if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c >= 0xe0 && c <= 0xef) len = 3;
        else if (c >= 0xf0 && c <= 0xf4) len = 4;
        bool ok = len != 0 && i + len <= s.size();
        for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (ok && len >= 3) {  // no overlong forms, no UTF-16 surrogates, nothing past U+10FFFF
            auto c1 = static_cast<unsigned char>(s[i + 1]);
            ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0) && !(c == 0xf0 && c1 < 0x90) &&
                 !(c == 0xf4 && c1 >= 0x90);
        }
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\xef\xbf\xbd";
            ++i;
        }
    }
    return out;
}

std::string json_escape(std::string_view raw) {
    const std::string s = valid_utf8(raw);
    std::string out;
    out.reserve(s.size() + 8);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"') out += "\\\"";
        else if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else out += ch;
    }
    return out;
}

std::string render(Format f, Level l, std::string_view component, std::string_view message,
                   std::initializer_list<Field> fields) {
    const int li = static_cast<int>(l) < 4 ? static_cast<int>(l) : 3;
    std::string line;
    line.reserve(80 + message.size());
    if (f == Format::json) {
        line += "{\"time\":\"" + timestamp() + "\"";
        json_field(line, "level", json_names[li]);
        json_field(line, is_component(component) ? "component" : "gateway", component);
        json_field(line, "message", message);
        bool has_rpc = false;
        for (const auto& fd : fields) {
            json_field(line, fd.key, fd.value);
            has_rpc = has_rpc || fd.key == "rpc";
        }
        if (auto rpc = rpc_of(message); !rpc.empty() && !has_rpc) json_field(line, "rpc", rpc);
        line += '}';
        return line;
    }
    if (f == Format::journal) line += priorities[li];
    else {
        line += timestamp();
        line += ' ';
        line += names[li];
        line += ' ';
    }
    line += component;
    line += ": ";
    line += message;
    for (const auto& fd : fields) {
        line += ' ';
        line += fd.key;
        line += '=';
        line += fd.value;
    }
    // One event per line: a newline inside a message would start a forged one.
    if (f == Format::journal)
        for (auto& ch : line)
            if (ch == '\n') ch = ' ';
    return line;
}

void write(Level l, std::string_view component, std::string_view message, std::initializer_list<Field> fields) {
    std::string line = render(format(), l, component, message, fields);
    line += '\n';
    std::lock_guard lock(g_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace core::log
