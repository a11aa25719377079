// The validator: every error class at its exact file:line:col (fixtures/),
// the CLI output, and robustness against broken input.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "bridge/mapping/validator.hpp"
#include "tests/unit/mapping/helpers.hpp"

namespace fs = std::filesystem;

namespace {

struct Expect {
    int line = 0, column = 0;
    std::string message;  // a prefix of the diagnostic's message
};

// "# expect LINE:COL message" lines at the end of a fixture.
std::vector<Expect> expectations(const fs::path& file) {
    std::ifstream in(file);
    std::vector<Expect> out;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# expect ", 0) != 0) continue;
        Expect e;
        int used = 0;
        REQUIRE(std::sscanf(line.c_str(), "# expect %d:%d %n", &e.line, &e.column, &used) == 2);
        e.message = line.substr(static_cast<std::size_t>(used));
        out.push_back(e);
    }
    return out;
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("validator fixtures: every error, at its position") {
    int files = 0;
    for (const auto& e : fs::directory_iterator("tests/unit/mapping/fixtures")) {
        if (e.path().extension() != ".yaml") continue;
        ++files;
        const std::string file = e.path().string();
        CAPTURE(file);
        auto expected = expectations(e.path());
        REQUIRE_FALSE(expected.empty());
        auto v = mapping::validate_file(file);
        CHECK_FALSE(v.table);
        std::string got;
        for (const auto& d : v.diagnostics) got += d.to_string() + "\n";
        INFO(got);
        REQUIRE(v.diagnostics.size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const auto& d = v.diagnostics[i];
            CHECK(d.pos.file == file);
            CHECK(d.pos.line == expected[i].line);
            CHECK(d.pos.column == expected[i].column);
            CHECK(d.message.rfind(expected[i].message, 0) == 0);
            CHECK_MESSAGE(!d.hint.empty(), "no hint for " << d.to_string());  // issue 5: every error has one
        }
    }
    // One fixture per error class at least: syntax, unknown paths, wrong types,
    // writability, functions, fields, duplicates, transforms, vendor names,
    // data model files, events/RPCs/faults, structure.
    CHECK(files >= 12);
}

TEST_CASE("validate CLI: ok lines, file:line:col errors with hints, exit status") {
    std::ostringstream out, err;
    CHECK(mapping::run_validate({"mappings/tr098.yaml", "mappings/tr106.yaml"}, out, err) == 0);
    CHECK(out.str().find("mappings/tr098.yaml: ok (InternetGatewayDevice:1.4 checked against "
                         "InternetGatewayDevice-1.4.dm + StorageService-1.0.dm;") == 0);
    CHECK(err.str().empty());

    std::ostringstream out2, err2;
    const std::string bad = "tests/unit/mapping/fixtures/duplicates.yaml";
    CHECK(mapping::run_validate({"mappings/tr098.yaml", bad}, out2, err2) == 1);
    CHECK(out2.str().find("tr098.yaml: ok") != std::string::npos);
    CHECK(err2.str() ==
          bad + ":10:7: duplicate parameter 'InternetGatewayDevice.DeviceInfo.Manufacturer'\n"
                "  hint: first defined at " + bad + ":8:7\n" +
          bad + ":16:3: duplicate object 'InternetGatewayDevice.DeviceInfo.'\n"
                "  hint: first defined at " + bad + ":5:3\n" +
          bad + ": 2 errors\n");

    std::ostringstream out3, err3;
    CHECK(mapping::run_validate({"no/such/file.yaml"}, out3, err3) == 1);
    CHECK(err3.str().rfind("no/such/file.yaml:1:1: cannot open mapping file", 0) == 0);
}

TEST_CASE("the loader refuses an invalid table with every problem, never a partial table") {
    auto t = mapping::Table::load_file("tests/unit/mapping/fixtures/events_rpc.yaml");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == "mapping.invalid");
    CHECK(std::count(t.error().message.begin(), t.error().message.end(), '\n') >= 12);
}

TEST_CASE("broken YAML never crashes: truncations, flipped bytes, hostile shapes") {
    std::mt19937 rng(29104);
    std::size_t failures = 0, runs = 0;
    for (const char* file : {"mappings/tr098.yaml", "mappings/tr098-tr157.yaml", "mappings/tr106.yaml"}) {
        const std::string text = read(file);
        REQUIRE(text.size() > 1000);
        auto check = [&](const std::string& yaml) {
            mapping::Diagnostics d;
            auto t = mapping::Table::compile_string(yaml, "fuzz.yaml", {}, d);
            ++runs;
            if (!t) {
                ++failures;
                CHECK_FALSE(d.empty());  // a refusal always says why
                for (const auto& x : d) CHECK(x.pos.line >= 1);
            }
        };
        for (std::size_t cut = 0; cut < text.size(); cut += 97) check(text.substr(0, cut));
        const std::string junk = "{}[]:,-?*&!|>'\"%@`#\n\t {i}.X_\\";
        for (int i = 0; i < 150; ++i) {
            std::string t = text;
            for (int k = 0; k < 3; ++k) {
                std::size_t at = rng() % t.size();
                switch (rng() % 3) {
                    case 0: t[at] = junk[rng() % junk.size()]; break;
                    case 1: t.erase(at, rng() % 40); break;
                    default: t.insert(at, std::string(1, junk[rng() % junk.size()])); break;
                }
            }
            check(t);
        }
    }
    CHECK(failures > 0);
    std::string deep(5000, '[');
    std::string laughs = "a: &a [x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'p'; ++c)
        laughs += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) +
                  ", *" + char(c - 1) + "]\n";
    for (const std::string& hostile :
         {std::string(), std::string("42"), std::string("[]"), std::string("~"), std::string("\xff\xfe\x00 bad", 7),
          deep, laughs, std::string(2 << 20, 'a'), std::string("model: [InternetGatewayDevice:1.4]"),
          std::string("model: InternetGatewayDevice:1.4\ndatamodel: ../../etc/passwd\nobjects: {}"),
          std::string("model: InternetGatewayDevice:1.4\ndatamodel: InternetGatewayDevice-1.1.dm\nobjects: [1, 2]"),
          std::string("model: InternetGatewayDevice:1.4\ndatamodel: InternetGatewayDevice-1.1.dm\nobjects:\n  ? [a]\n  : b\n"),
          std::string("include: [[x]]\nmodel: 1")}) {
        mapping::Diagnostics d;
        CHECK_FALSE(mapping::Table::compile_string(hostile, "hostile.yaml", {}, d));
        CHECK_FALSE(d.empty());
    }
}

TEST_CASE("odd gateway answers never crash the device") {
    auto table = *mapping::Table::load_file("mappings/tr098.yaml");
    std::mt19937 rng(7);
    mt::Sim sim;
    // The simulator's answers with fields dropped, emptied or turned into lists.
    auto mangle = [&](const cmp::Request& r) -> core::Result<cmp::Response> {
        auto res = sim(r);
        if (!res) return res;
        cmp::Response out = *res;
        for (auto& f : out.fields.fields) {
            switch (rng() % 5) {
                case 0: f.value = std::string(); break;
                case 1: f.value = std::vector<cmp::Record>{cmp::Record{}}; break;
                case 2: f.value = std::string("\x01garbage"); break;
                default: break;
            }
        }
        if (rng() % 4 == 0) out.fields.fields.clear();
        return out;
    };
    // Not crashing is not enough: each operation must end (drive() bounds the
    // rounds) in an answer or in a fault the ACS understands.
    int faults = 0, answers = 0;
    auto check = [&](const auto& outcome, auto&& answer_ok) {
        if (const auto* f = std::get_if<cwmp::Fault>(&outcome)) {
            CAPTURE(f->code);
            // TR-069 table 62 codes or the vendor range, with a reason.
            CHECK(((f->code >= 9000 && f->code <= 9019) || (f->code >= 9800 && f->code <= 9899)));
            CHECK_FALSE(f->string.empty());
            ++faults;
        } else {
            answer_ok(std::get<0>(outcome));
            ++answers;
        }
    };
    auto in_tree = [](const std::string& name) { return name.starts_with("InternetGatewayDevice."); };
    int relayed_garbage = 0;
    for (int i = 0; i < 40; ++i) {
        mapping::TableDevice dev(table);
        check(mt::drive(dev.get_values({""}), mangle), [&](const std::vector<cwmp::ParameterValue>& values) {
            CHECK_FALSE(values.empty());
            for (const auto& v : values) CHECK_MESSAGE(in_tree(v.name), v.name);
            for (const auto& v : values) relayed_garbage += v.value.find("garbage") != std::string::npos;
        });
        check(mt::drive(dev.get_names("", false), mangle), [&](const std::vector<cpe::NodeInfo>& nodes) {
            CHECK_FALSE(nodes.empty());
            for (const auto& n : nodes) CHECK_MESSAGE(in_tree(n.path), n.path);
        });
        check(mt::drive(dev.set_values({{"InternetGatewayDevice.Time.NTPServer1", "a.example", "xsd:string"},
                                        {"InternetGatewayDevice.LANDevice.1.LANHostConfigManagement.MinAddress",
                                         "192.168.1.9", "xsd:string"}}),
                        mangle),
              [](const cpe::Unit&) {});
    }
    // The mangling reached the device (its garbage came back as values).
    // Faults are allowed, not required: most damage is relayed as it is.
    CHECK(answers > 0);
    CHECK(relayed_garbage > 0);
}

// Semantic mutations of the shipped tables (valid YAML, wrong meaning): each
// must be refused with a diagnostic on the mutated line, never a crash or a
// silently accepted table.
TEST_CASE("mutated shipped tables: every misspelt function, bad type, unknown path is refused at its line") {
    std::set<std::string> functions;
    for (const auto& f : cmp::Catalogue::builtin().functions()) functions.insert(f.name);
    std::size_t mutants = 0;
    for (const char* file : {"mappings/tr098.yaml", "mappings/tr106.yaml"}) {
        const std::string text = read(file);
        std::vector<std::string> lines;
        {
            std::istringstream in(text);
            for (std::string l; std::getline(in, l);) lines.push_back(l);
        }
        auto refused_at = [&](std::size_t line_no, const std::string& replaced, const std::string& expect) {
            std::string yaml;
            for (std::size_t i = 0; i < lines.size(); ++i) yaml += (i == line_no ? replaced : lines[i]) + "\n";
            mapping::Diagnostics d;
            auto t = mapping::Table::compile_string(yaml, "mutant.yaml", {}, d);
            ++mutants;
            CAPTURE(file);
            CAPTURE(replaced);
            std::string got;
            for (const auto& x : d) got += x.to_string() + "\n";
            INFO(got);
            CHECK_FALSE(t);
            bool here = false;
            for (const auto& x : d)
                here |= x.pos.line == static_cast<int>(line_no + 1) && x.message.find(expect) != std::string::npos;
            CHECK(here);
        };
        for (std::size_t i = 0; i < lines.size(); ++i) {
            std::string code = lines[i].substr(0, lines[i].find(" #"));
            if (code.find_first_not_of(' ') == std::string::npos || code[code.find_first_not_of(' ')] == '#')
                continue;
            // Every function name used on the line, misspelt.
            for (const auto& f : functions) {
                for (std::size_t at = code.find(f); at != std::string::npos; at = code.find(f, at + 1)) {
                    auto word = [&](std::size_t k) { return k < code.size() && std::isalnum(code[k]); };
                    if ((at > 0 && word(at - 1)) || word(at + f.size())) continue;
                    std::string m = lines[i];
                    m.insert(at + f.size(), "Xq");
                    refused_at(i, m, "'" + f + "Xq'");
                }
            }
            // Every vendor parameter type, made up.
            if (auto at = code.find("type: "); at != std::string::npos && code.find("datatype") == std::string::npos) {
                std::string m = lines[i];
                m.replace(at, 6, "type: float");
                refused_at(i, m, "float");
            }
            // Every standard object path, with a segment the data model lacks.
            if (code.rfind("  ", 0) == 0 && code[2] != ' ' && code.find("X_") == std::string::npos &&
                code.find(".:") != std::string::npos && code.find("StorageService") == std::string::npos) {
                std::string m = lines[i];
                m.insert(m.find(".:"), "Qq");
                refused_at(i, m, "Qq");
            }
        }
    }
    MESSAGE(mutants << " mutated tables refused");
    CHECK(mutants >= 60);
}
