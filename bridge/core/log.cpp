#include "bridge/core/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace core::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;
const char* names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view s, Level& out) {
    if (s == "debug") out = Level::debug;
    else if (s == "info") out = Level::info;
    else if (s == "warn") out = Level::warn;
    else if (s == "error") out = Level::error;
    else if (s == "off") out = Level::off;
    else return false;
    return true;
}

void write(Level l, std::string_view component, std::string_view message) {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto t = system_clock::to_time_t(now);
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string line;
    line.reserve(64 + message.size());
    line += ts;
    char msbuf[8];
    std::snprintf(msbuf, sizeof msbuf, ".%03dZ ", static_cast<int>(ms));
    line += msbuf;
    line += names[static_cast<int>(l)];
    line += ' ';
    line += component;
    line += ": ";
    line += message;
    line += '\n';
    std::lock_guard lock(g_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace core::log
