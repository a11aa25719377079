// Every shipped table validates and covers the whole CMP catalogue.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "bridge/mapping/validator.hpp"
#include "tests/shared_paths.hpp"
#include "tests/unit/mapping/helpers.hpp"

namespace fs = std::filesystem;

namespace {


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
    CHECK(n >= 4);  // tr098, tr098-tr157, tr106, tr181
}

// Issue 5: the shipped tables cover every catalogue function: a rule uses it,
// or the table declares it unmapped with a reason.
TEST_CASE("every shipped table covers every catalogue function") {
    std::set<std::string> catalogue;
    for (const auto& f : cmp::Catalogue::builtin().functions()) catalogue.insert(f.name);
    // The design catalogue (missing: a failure, or with the opt-out the builtin catalogue only).
    if (auto file = test_shared::path("design/cmp-functions.md")) {
        std::ifstream md(*file);
        REQUIRE_MESSAGE(md, "cannot read " << file->string());
        auto design = design_functions(md);
        CHECK(design.size() >= 30);
        for (const auto& f : design) {
            CAPTURE(f);
            CHECK_MESSAGE(catalogue.count(f), "a design catalogue function the builtin CMP profile lacks");
        }
        catalogue.insert(design.begin(), design.end());
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

// Every shipped table against the simulator's gateway model: each writable
// parameter outside rows takes back the value read (a valid value by
// construction) through its set rule, and every RPC reaches the gateway.
TEST_CASE("every shipped table works against the simulated gateway: reads, every write, every RPC") {
    for (const auto& file : shipped_tables()) {
        CAPTURE(file);
        auto table = mapping::Table::load_file(file.string());
        REQUIRE(table);
        mapping::TableDevice dev(*table);
        mt::Sim sim;
        auto values = mt::value(mt::drive(dev.get_values({""}), sim.responder()));
        auto names = mt::value(mt::drive(dev.get_names("", false), sim.responder()));
        CHECK(names.size() > values.size());  // objects too
        std::size_t writes = 0;
        for (const auto& v : values) {
            auto info = dev.describe(v.name);
            REQUIRE(info);
            const mapping::ParamRule* rule = nullptr;
            for (const auto* p : (*table)->under((*table)->root()))
                if (p->path == v.name) rule = p;
            if (!info->writable || !rule || rule->hidden) continue;  // row parameters have {i} paths
            CAPTURE(v.name);
            CAPTURE(v.value);
            mt::Run run;
            mt::value(mt::drive(dev.set_values({{v.name, v.value, v.type}}), sim.responder(), &run));
            if (rule->write) CHECK(run.count(rule->write->function) == 1);
            auto back = mt::by_name(mt::value(mt::drive(dev.get_values({v.name}), sim.responder())));
            CHECK(back[v.name] == v.value);
            ++writes;
        }
        CHECK(writes >= 10);

        mt::Run run;
        std::set<std::string> called;
        // Backups before restores (the simulator restores what it backed up), the
        // firmware upgrade on a gateway of its own (an upgrading gateway answers busy).
        std::vector<mapping::TransferRule> rules = (*table)->transfers();
        auto rank = [](const mapping::TransferRule& r) {
            return r.rpc == "Upload" ? 0 : r.rpc == "Download" ? 1 : r.rpc == "FactoryReset" ? 2 : 3;
        };
        std::stable_sort(rules.begin(), rules.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
        mt::Sim gw;
        for (const auto& r : rules) {
            mt::Sim upgrading;
            mt::Sim& fresh = r.file_type == "1 Firmware Upgrade Image" ? upgrading : gw;
            cpe::Outcome<cpe::Unit> out = cpe::Unit{};
            if (r.rpc == "Reboot") out = mt::drive(dev.reboot("k"), fresh.responder(), &run);
            else if (r.rpc == "FactoryReset") out = mt::drive(dev.factory_reset(), fresh.responder(), &run);
            else if (r.rpc == "Download") {
                cwmp::Download d;
                d.file_type = r.file_type;
                d.url = "http://files.example/" + std::string(rank(r) == 1 && r.file_type[0] == '3' ? "config" : "image");
                d.target_file_name = "V2";
                out = mt::drive(dev.download(d), fresh.responder(), &run);
            } else if (r.call.empty()) {
                cwmp::Upload u;
                u.file_type = r.file_type;
                CHECK(mt::value(mt::drive(dev.upload_content(u), fresh.responder(), &run)).size() > 0);
            } else {
                cwmp::Upload u;
                u.file_type = r.file_type;
                u.url = "http://files.example/config";
                out = mt::drive(dev.upload(u), fresh.responder(), &run);
            }
            CAPTURE(r.rpc);
            CAPTURE(r.file_type);
            mt::value(std::move(out));
            called.insert(run.calls.back().function);
        }
        for (const char* f : {"rebootRg", "resetRg", "upgradeRgFirmware", "restoreRgConfig", "backupRgConfig",
                              "getRgLog"})
            CHECK_MESSAGE(called.count(f), f);
    }
}
