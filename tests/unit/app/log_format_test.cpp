// core::log's three renderings (--log-format): the same event as a text line,
// a JSON object a log shipper can parse, and a journald priority-prefixed line.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "bridge/core/log.hpp"

using core::log::Format;
using core::log::Level;
using core::log::render;

TEST_CASE("text: time, level, component, message, then key=value fields") {
    std::string l = render(Format::text, Level::warn, "GW-0001", "session failed: timeout", {{"session", "42"}});
    // 2026-01-02T03:04:05.678Z is 24 characters.
    REQUIRE(l.size() > 25);
    CHECK(l[4] == '-');
    CHECK(l.substr(19, 1) == ".");
    CHECK(l.substr(23) == "Z WARN GW-0001: session failed: timeout session=42");
}

TEST_CASE("json: one object per line with time, level, gateway or component, message and fields") {
    std::string l = render(Format::json, Level::info, "GW-0001", "ACS -> GetParameterValues (3 names)", {{"session", "s1"}});
    CHECK(l.starts_with("{\"time\":\"20"));
    CHECK(l.find("Z\",\"level\":\"info\",\"gateway\":\"GW-0001\",\"message\":\"ACS -> GetParameterValues (3 names)\","
                 "\"session\":\"s1\",\"rpc\":\"GetParameterValues\"}") != std::string::npos);
    CHECK(l.find('\n') == std::string::npos);
    // The bridge's own parts are components, not gateways.
    CHECK(render(Format::json, Level::error, "cmp", "x").find("\"level\":\"error\",\"component\":\"cmp\"") !=
          std::string::npos);
    // A peer's text cannot break the object or the line: quotes, newlines, control bytes, bad UTF-8.
    std::string evil = render(Format::json, Level::warn, "cmp", "a\"b\\c\nd\x01\xff\xc3\xa9");
    CHECK(evil.find(R"("message":"a\"b\\c\nd\u0001)" "\xef\xbf\xbd" "\xc3\xa9\"}") != std::string::npos);
    CHECK(evil.find('\n') == std::string::npos);
}

TEST_CASE("json_escape keeps valid UTF-8 and replaces every invalid byte") {
    CHECK(core::log::json_escape("\xe2\x82\xac \xf0\x9f\x98\x80") == "\xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK(core::log::json_escape("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
    CHECK(core::log::json_escape("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
    CHECK(core::log::json_escape("\xe2\x82") == "\xef\xbf\xbd\xef\xbf\xbd");  // cut short
}

TEST_CASE("journal: sd-daemon priority prefix, no time (journald adds it), one line") {
    CHECK(render(Format::journal, Level::debug, "GW-1", "m") == "<7>GW-1: m");
    CHECK(render(Format::journal, Level::info, "GW-1", "m") == "<6>GW-1: m");
    CHECK(render(Format::journal, Level::warn, "cmp", "refused") == "<4>cmp: refused");
    CHECK(render(Format::journal, Level::error, "bridge", "a\nb", {{"rpc", "Reboot"}}) == "<3>bridge: a b rpc=Reboot");
}

TEST_CASE("the journal is detected from JOURNAL_STREAM naming stderr, not merely from the variable") {
    struct stat st {};
    REQUIRE(::fstat(2, &st) == 0);
    const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
    CHECK(core::log::stderr_is_journal());
    // A child whose stderr was redirected inherits the variable, not the stream.
    const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
    ::setenv("JOURNAL_STREAM", other.c_str(), 1);
    CHECK_FALSE(core::log::stderr_is_journal());
    ::unsetenv("JOURNAL_STREAM");
    CHECK_FALSE(core::log::stderr_is_journal());
}

TEST_CASE("formats and levels are parsed from their option names only") {
    Format f{};
    CHECK((core::log::parse_format("json", f) && f == Format::json));
    CHECK((core::log::parse_format("journal", f) && f == Format::journal));
    CHECK((core::log::parse_format("text", f) && f == Format::text));
    CHECK_FALSE(core::log::parse_format("JSON", f));
}
