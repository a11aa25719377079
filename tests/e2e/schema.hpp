#pragma once
// Every CWMP message the bridge sent, as dumped by the scripted ACS, against
// the BBF schema with the strict SOAP catalog (no network access).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/e2e/process.hpp"
#include "tests/shared_paths.hpp"

namespace e2e {

// CHECKs each file of `dumps` and returns how many there were.
inline int validate_cwmp_dumps(const std::filesystem::path& dumps) {
    int files = 0;
    for (auto& f : std::filesystem::directory_iterator(dumps)) {
        std::string out;
        const std::string bbf = (test_shared::root() / "bbf").string();
        int rc = run_command("XML_CATALOG_FILES=" + bbf + "/soap-catalog-strict.xml xmllint --nonet --noout --schema " +
                                 bbf + "/cwmp-any-version.xsd " + f.path().string(),
                             out);
        INFO(f.path().filename().string() << ": " << out);
        CHECK(rc == 0);
        ++files;
    }
    return files;
}

}  // namespace e2e
