// Every shipped table validates.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>

#include "bridge/mapping/validator.hpp"

namespace fs = std::filesystem;

TEST_CASE("every table in mappings/ validates") {
    int n = 0;
    for (const auto& e : fs::directory_iterator("mappings")) {
        if (e.path().extension() != ".yaml") continue;
        ++n;
        std::ostringstream out, err;
        int rc = mapping::run_validate({e.path().string()}, out, err);
        INFO(err.str());
        CHECK(rc == 0);
        MESSAGE(out.str());
    }
    CHECK(n >= 1);
}
