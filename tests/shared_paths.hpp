#pragma once
// What tests need from outside the checkout: the reference material in
// ../shared (BBF schemas and data models, recorded traces, a real gateway's
// dump, the design notes) and xmllint. CI always has both, so a missing one
// FAILS the test: a test that passes without testing hides the gap. Only an
// explicit BRIDGE_ALLOW_MISSING_SHARED=1 (never set by CI; docs/testing.md)
// turns it into a skip, with a message saying what was not tested.
//
//   auto bbf = test_shared::path("bbf/cwmp-any-version.xsd");
//   if (!bbf) return;  // reached only with the opt-out
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace test_shared {

inline bool missing_allowed() {
    const char* v = std::getenv("BRIDGE_ALLOW_MISSING_SHARED");
    return v != nullptr && std::string_view(v) == "1";
}

// ../shared beside the project, absolute, whatever the working directory;
// BRIDGE_SHARED_DIR names another copy (or a missing folder, to see these
// tests fail as they would without the material).
inline std::filesystem::path root() {
    if (const char* dir = std::getenv("BRIDGE_SHARED_DIR"); dir != nullptr && *dir != '\0') return dir;
    return std::filesystem::path(BRIDGE_SOURCE_DIR).parent_path() / "shared";
}

// Something the test needs is absent: fail it (throws out of the test case),
// or, with the opt-out, say so and return false for the caller to return.
inline bool absent(const std::string& what) {
    if (!missing_allowed())
        FAIL(what << ": the test cannot run (set BRIDGE_ALLOW_MISSING_SHARED=1 to skip it, docs/testing.md)");
    MESSAGE("SKIPPED (BRIDGE_ALLOW_MISSING_SHARED=1): " << what);
    return false;
}

// root()/rel when it exists; otherwise absent().
inline std::optional<std::filesystem::path> path(std::string_view rel) {
    auto p = root() / rel;
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) return p;
    absent(p.string() + " is missing (the shared reference material)");
    return std::nullopt;
}

// True when `command --version` runs; otherwise absent().
inline bool tool(const std::string& command, const std::string& debian_package) {
    if (std::system((command + " --version > /dev/null 2>&1").c_str()) == 0) return true;
    return absent(command + " is not installed (Debian package " + debian_package + ", scripts/install-deps.sh)");
}

}  // namespace test_shared
