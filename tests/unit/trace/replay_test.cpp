// Replay through the production VirtualCpe: a corpus trace passes with its
// mapping, and fails — with a readable divergence — when the mapping changes.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "bridge/core/log.hpp"
#include "bridge/trace/replay.hpp"

namespace {

// The replayed CPE logs like a real one; the reports are what these tests read.
const bool kQuiet = (core::log::set_level(core::log::Level::error), true);

// A short corpus session whose Inform carries the gateway's serial number.
const std::string kTrace = "tests/traces/boot-empty.yaml";

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// tr098.yaml with DeviceInfo.SerialNumber read from another getRgInfo field.
std::shared_ptr<const mapping::Table> mutated_mapping() {
    std::string text = read("mappings/tr098.yaml");
    const std::string from = "SerialNumber: serialNumber";
    auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, from.size(), "SerialNumber: modelName");
    auto t = mapping::Table::load_string(text, "mappings/tr098.yaml");
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    return *t;
}

}  // namespace

TEST_CASE("a recorded session replays through the production code") {
    auto t = trace::load_file(kTrace);
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    auto r = trace::replay(*t, kTrace, {});
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    INFO(r->text());
    CHECK(r->passed());
    // A mapping edited since the recording is named, and only then.
    auto table = trace::find_mapping(*t, kTrace, {});
    REQUIRE(table);
    CHECK(r->warnings.empty() == ((*table)->hash() == t->mapping_hash));
    // What the session did, never how long it took (timed assertions flake on
    // a loaded machine; a hang is replay()'s own "replay.hang" error): every
    // recorded exchange replayed, and the same again on a second run, since a
    // replay depends on the trace alone.
    CHECK(r->exchanges > 0);
    CHECK(r->replayed == r->exchanges);
    CHECK(r->text().find("PASS " + kTrace + " (" + std::to_string(r->exchanges) + " exchanges, ") != std::string::npos);
    auto again = trace::replay(*t, kTrace, {});
    REQUIRE(again);
    CHECK(again->passed());
    CHECK(again->replayed == r->replayed);
}

TEST_CASE("a changed mapping makes the replay fail, and says where") {
    auto t = trace::load_file(kTrace);
    REQUIRE(t);
    trace::ReplayOptions o;
    o.table = mutated_mapping();
    auto r = trace::replay(*t, kTrace, o);
    REQUIRE(r);
    REQUIRE_FALSE(r->passed());
    // The hash differs from the recording's: a warning, not an error.
    REQUIRE(r->warnings.size() == 1);
    CHECK(r->warnings[0].find("differs from the one recorded") != std::string::npos);
    CHECK(r->text().find("warning: " + kTrace + ": mapping tr098.yaml differs") == 0);
    const auto& d = *r->divergence;
    CHECK(d.what.find("SerialNumber") != std::string::npos);
    CHECK(d.expected.find("SerialNumber = ") == 0);
    CHECK(d.actual.find("SerialNumber = ") == 0);
    CHECK(d.expected != d.actual);
    std::string text = r->text();
    CHECK(text.find("\nFAIL " + kTrace + ": step ") != std::string::npos);
    CHECK(text.find("--- expected (trace)") != std::string::npos);
    CHECK(text.find("\n  -") != std::string::npos);
    CHECK(text.find("\n  +") != std::string::npos);
}

TEST_CASE("--update re-records a trace for the changed mapping") {
    auto t = trace::load_file(kTrace);
    REQUIRE(t);
    trace::ReplayOptions o;
    o.table = mutated_mapping();
    o.update = true;
    auto r = trace::replay(*t, kTrace, o);
    REQUIRE(r);
    REQUIRE(r->passed());
    const trace::Trace& u = r->updated;
    CHECK(u.mapping_hash == o.table->hash());
    CHECK(u.exchanges.size() == t->exchanges.size());

    // The re-recorded trace passes with the new mapping and no longer with the old one.
    trace::ReplayOptions check;
    check.table = o.table;
    auto again = trace::replay(u, kTrace, check);
    REQUIRE(again);
    INFO(again->text());
    CHECK(again->passed());
    auto old = trace::replay(u, kTrace, {});
    REQUIRE(old);
    CHECK_FALSE(old->passed());
}

TEST_CASE("a trace whose mapping cannot be found is an error, not a pass") {
    auto t = trace::load_file(kTrace);
    REQUIRE(t);
    t->mapping_name = "no-such-mapping.yaml";
    auto r = trace::replay(*t, kTrace, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("no-such-mapping.yaml") != std::string::npos);
}
