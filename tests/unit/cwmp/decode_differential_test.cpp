// cwmp::decode over soap::Tree against the tinyxml2 DOM decoding it replaced (dom_decode.cpp):
// every CWMP message of ../shared/traces (the 73 cwmp_ex parser fixtures, valid and invalid, the
// GenieACS sessions, the Baicells capture), of the trace corpus and of the codec's samples, and
// corruptions of each, decode to the same Envelope or are refused with the same error, by the
// rules of tests/unit/soap/differential.hpp.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "bridge/cwmp/codec.hpp"
#include "dom_decode.hpp"
#include "samples.hpp"
#include "tests/unit/soap/differential.hpp"

using namespace cwmp;
namespace fs = std::filesystem;

namespace {

struct Corpus {
    std::vector<std::string> docs;
    std::size_t fixtures = 0, shared_sessions = 0, traces = 0, samples = 0;
};

bool add_shared(Corpus& c) {
    auto shared = cwmp_test::shared_dir();
    if (!shared) return false;
    for (const auto& f : cwmp_test::files_in(*shared / "traces" / "cwmp_ex-parser-fixtures", ".xml")) {
        c.docs.push_back(cwmp_test::read_file(f));
        ++c.fixtures;
    }
    for (const char* dir : {"genieacs-1.2.16-session1", "genieacs-1.2.16-session2", "magma-baicells-qrtb"})
        for (const auto& f : cwmp_test::files_in(*shared / "traces" / dir, ".xml")) {
            c.docs.push_back(cwmp_test::read_file(f));
            ++c.shared_sessions;
        }
    return true;
}

// The CWMP messages recorded in the trace corpus (one envelope per line in the YAML).
void add_traces(Corpus& c) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(BRIDGE_SOURCE_DIR) / "tests/traces")) {
        if (entry.path().extension() != ".yaml") continue;
        std::istringstream lines(cwmp_test::read_file(entry.path()));
        for (std::string line; std::getline(lines, line);) {
            std::size_t start = line.find_first_not_of(' ');
            if (start == std::string::npos || line[start] != '<' || line.find("urn:dslforum-org:cwmp-") == std::string::npos)
                continue;
            c.docs.push_back(line.substr(start));
            ++c.traces;
        }
    }
}

struct Tally {
    std::size_t compared = 0, accepted = 0, refused_alike = 0, stricter = 0, bare_ampersand = 0;
};

void compare(const std::string& doc, bool corrupted, Tally& tally) {
    using xml_differential::Outcome;
    ++tally.compared;
    auto dom = dom::decode(doc);
    auto tree = decode(doc);
    auto v = xml_differential::compare(dom, tree, corrupted, doc, [](const std::string& d) { return dom::decode(d); });
    if (v.outcome == Outcome::mismatch && tree && dom)
        FAIL(v.why << ": " << doc << "\ntree: " << encode(*tree) << "\nDOM:  " << encode(*dom));
    REQUIRE_MESSAGE(v.outcome != Outcome::mismatch, v.why << ": " << doc);
    switch (v.outcome) {
        case Outcome::accepted_alike: ++tally.accepted; break;
        case Outcome::refused_alike: ++tally.refused_alike; break;
        case Outcome::stricter: ++tally.stricter; break;
        case Outcome::bare_ampersand: ++tally.bare_ampersand; break;
        case Outcome::mismatch: break;
    }
}

}  // namespace

TEST_CASE("differential: every recorded and sample CWMP message decodes as through the DOM") {
    Corpus c;
    if (!add_shared(c)) return;
    add_traces(c);
    for (Version v : cwmp_test::kVersions)
        for (auto& body : cwmp_test::sample_bodies(v)) {
            c.docs.push_back(encode(cwmp_test::envelope(v, std::move(body))));
            ++c.samples;
        }
    MESSAGE("corpus: " << c.fixtures << " parser fixtures, " << c.shared_sessions << " GenieACS/Baicells messages, "
                       << c.traces << " trace messages, " << c.samples << " codec samples");
    CHECK(c.fixtures == 73);
    CHECK(c.traces >= 100);
    Tally tally;
    for (const auto& doc : c.docs) compare(doc, false, tally);
    MESSAGE(tally.compared << " decodes: " << tally.accepted << " accepted alike, " << tally.refused_alike
                           << " refused alike");
    CHECK(tally.stricter == 0);
    CHECK(tally.bare_ampersand == 0);

    // Corruptions: each prefix, a byte replaced, a byte deleted, at a stride that varies per document.
    Tally bad;
    const char replacements[] = {'<', '>', '/', '&', ';', '"', '\'', ' ', '\r', 'x', ':', '=', '!', '?', '-', '#', ']', '\0'};
    std::size_t d = 0;
    for (const auto& doc : c.docs) {
        const std::size_t stride = 11 + d++ % 13;
        for (std::size_t n = 0; n < doc.size(); n += stride) compare(doc.substr(0, n), true, bad);
        for (std::size_t i = 0; i < doc.size(); i += stride) {
            std::string m = doc;
            m[i] = replacements[(i / stride) % sizeof replacements];
            compare(m, true, bad);
            compare(doc.substr(0, i) + doc.substr(i + 1), true, bad);
        }
    }
    MESSAGE(bad.compared << " decodes of corruptions: " << bad.accepted << " accepted alike, " << bad.refused_alike
                         << " refused alike, " << bad.stricter << " refused as not XML by the tree decoder only, "
                         << bad.bare_ampersand << " alike once bare '&' are escaped");
    CHECK(bad.accepted > 1000);
}
