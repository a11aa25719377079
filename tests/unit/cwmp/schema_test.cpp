// Everything encode() writes validates against the strict BBF schemas in
// ../shared/bbf (xmllint with the strict SOAP catalog), for every Body
// alternative in every version. One xmllint run checks all files so the
// schemas are compiled once.
#include <doctest/doctest.h>

#include <unistd.h>
#include <cstdlib>
#include <fstream>

#include "bridge/cwmp/codec.hpp"
#include "samples.hpp"

using namespace cwmp;
namespace fs = std::filesystem;

namespace {

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

struct Validation {
    bool ran = false;
    std::string output;  // xmllint's per-file verdicts and errors
};

Validation xmllint(const fs::path& bbf, const std::vector<fs::path>& files, const fs::path& log) {
    std::string cmd = "XML_CATALOG_FILES=" + shell_quote((bbf / "soap-catalog-strict.xml").string()) +
                      " xmllint --nonet --noout --schema " + shell_quote((bbf / "cwmp-any-version.xsd").string());
    for (const auto& f : files) cmd += " " + shell_quote(f.string());
    cmd += " > " + shell_quote(log.string()) + " 2>&1";
    Validation v;
    int rc = std::system(cmd.c_str());
    v.output = cwmp_test::read_file(log);
    // rc 0 = all valid, 3 = some invalid; anything else means xmllint itself failed.
    v.ran = rc != -1 && WIFEXITED(rc) && (WEXITSTATUS(rc) == 0 || WEXITSTATUS(rc) == 3);
    return v;
}

// xmllint's lines about one file: its verdict and its schema errors.
std::string lines_about(const std::string& output, const std::string& file) {
    std::string out;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(file)) out += line + "\n";
    return out;
}

}  // namespace

TEST_CASE("encoded messages validate against the strict BBF schemas") {
    if (!test_shared::path("bbf/cwmp-any-version.xsd") || !test_shared::tool("xmllint", "libxml2-utils")) return;
    const fs::path shared = test_shared::root();
    fs::path dir = fs::temp_directory_path() / ("cwmp-schema-" + std::to_string(::getpid()));
    fs::create_directories(dir);

    std::vector<fs::path> files;
    for (Version v : cwmp_test::kVersions) {
        for (const Body& body : cwmp_test::sample_bodies(v)) {
            // Vendor RPCs are outside the schema by definition.
            if (std::holds_alternative<UnknownRpc>(body)) continue;
            Envelope env = cwmp_test::envelope(v, body);
            env.hold_requests = body.index() % 2 == 0;
            fs::path f = dir / (std::string(to_string(v)) + "-" + std::string(rpc_name(body)) + ".xml");
            std::ofstream(f, std::ios::binary) << encode(env);
            files.push_back(f);
        }
        // Edge shapes: an empty list where the schema allows one, no header at
        // all, and fault codes this version may not define (encode adapts them).
        std::vector<std::pair<std::string, Envelope>> extra = {
            {"EmptyList", cwmp_test::envelope(v, GetParameterValuesResponse{}, "")},
            {"LateFault", cwmp_test::envelope(v, Fault{9018, "corrupt", {{"A.B", 9020, "late"}}})},
            {"AcsFault", cwmp_test::envelope(v, Fault{8006, "version", {}})},
        };
        for (std::uint32_t code : {9013u, 9018u, 9020u, 9025u, 9003u})
            extra.emplace_back(
                "Transfer" + std::to_string(code),
                cwmp_test::envelope(
                    v, TransferComplete{"k", {code, "x"}, std::string(kUnknownTime), std::string(kUnknownTime)}));
        for (const auto& [name, env] : extra) {
            fs::path f = dir / (std::string(to_string(v)) + "-" + name + ".xml");
            std::ofstream(f, std::ios::binary) << encode(env);
            files.push_back(f);
        }
    }

    Validation result = xmllint(shared / "bbf", files, dir / "xmllint.log");
    REQUIRE_MESSAGE(result.ran, "xmllint did not run: " << result.output);
    for (const auto& f : files) {
        CAPTURE(f.filename().string());
        bool valid = result.output.find(f.string() + " validates") != std::string::npos;
        CHECK_MESSAGE(valid, lines_about(result.output, f.string()) << cwmp_test::read_file(f));
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}
