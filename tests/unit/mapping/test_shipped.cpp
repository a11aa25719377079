// Every shipped table validates and covers the whole CMP catalogue.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "bridge/mapping/validator.hpp"

namespace fs = std::filesystem;

namespace {

constexpr const char* kDesignCatalogue = "../shared/design/cmp-functions.md";

std::vector<fs::path> shipped_tables() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator("mappings"))
        if (e.path().extension() == ".yaml") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string trim(std::string s) {
    auto b = s.find_first_not_of(" `");
    auto e = s.find_last_not_of(" `");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// The design input's function tables: first column of every "| function | st |
// fields |" table, "a / b" naming two functions.
std::set<std::string> design_functions(std::istream& in) {
    std::set<std::string> out;
    bool in_table = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| function |", 0) == 0) {
            in_table = true;
            continue;
        }
        if (!in_table) continue;
        if (line.rfind("|", 0) != 0) {
            in_table = false;
            continue;
        }
        std::string cell = line.substr(1, line.find('|', 1) - 1);
        if (cell.find("---") != std::string::npos) continue;
        std::size_t start = 0;
        while (start <= cell.size()) {
            auto slash = cell.find('/', start);
            std::string name = trim(cell.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
            if (!name.empty()) out.insert(name);
            if (slash == std::string::npos) break;
            start = slash + 1;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("design catalogue parsing: both tables, paired names, nothing else") {
    std::istringstream md("# t\n| function | st | fields |\n|---|---|---|\n| regRg | I | x |\n"
                          "| getRgNetInfo / setRgNetInfo | I | wan[a, b] |\n\n| other | table |\n| notMe | x |\n"
                          "## more\n| function | st | fields |\n|---|---|---|\n| `rebootRg` | I | [delaySec] |\n");
    CHECK(design_functions(md) == std::set<std::string>{"regRg", "getRgNetInfo", "setRgNetInfo", "rebootRg"});
}

TEST_CASE("every table in mappings/ validates") {
    int n = 0;
    for (const auto& file : shipped_tables()) {
        ++n;
        std::ostringstream out, err;
        int rc = mapping::run_validate({file.string()}, out, err);
        INFO(err.str());
        CHECK(rc == 0);
        MESSAGE(out.str());
    }
    CHECK(n >= 3);
}

// Issue 5: the shipped tables cover every catalogue function: a rule uses it,
// or the table declares it unmapped with a reason.
TEST_CASE("every shipped table covers every catalogue function") {
    std::set<std::string> catalogue;
    for (const auto& f : cmp::Catalogue::builtin().functions()) catalogue.insert(f.name);
    if (std::ifstream md(kDesignCatalogue); md) {
        auto design = design_functions(md);
        CHECK(design.size() >= 30);
        for (const auto& f : design) {
            CAPTURE(f);
            CHECK_MESSAGE(catalogue.count(f), "a design catalogue function the builtin CMP profile lacks");
        }
        catalogue.insert(design.begin(), design.end());
    } else {
        MESSAGE(kDesignCatalogue << " is absent: checking against the builtin catalogue only");
    }
    for (const auto& file : shipped_tables()) {
        auto t = mapping::Table::load_file(file.string());
        REQUIRE_MESSAGE(t, file);
        const auto used = (*t)->functions();
        std::string missing;
        for (const auto& f : catalogue)
            if (!used.count(f) && !(*t)->unmapped().count(f)) missing += " " + f;
        CHECK_MESSAGE(missing.empty(), file.string() << " neither maps nor declares unmapped:" << missing);
        for (const auto& [f, why] : (*t)->unmapped()) CHECK_MESSAGE(why.size() >= 10, f << ": say why");
    }
}
