#include "tests/tools/homs_script.hpp"

#include <cmath>

namespace {

core::Error script_error(int line, const std::string& what) {
    return core::make_error("homs.script", "line " + std::to_string(line) + ": " + what);
}

std::chrono::milliseconds seconds_of(const YAML::Node& n) {
    return std::chrono::milliseconds(static_cast<long long>(std::llround(n.as<double>() * 1000)));
}

core::Result<std::vector<FieldExpect>> read_fields(const YAML::Node& map, int line) {
    std::vector<FieldExpect> out;
    if (!map) return out;
    if (!map.IsMap()) return script_error(line, "fields: expected a map of path: value");
    for (auto it = map.begin(); it != map.end(); ++it) {
        FieldExpect f;
        f.path = it->first.as<std::string>();
        const YAML::Node& v = it->second;
        if (v.IsMap()) {
            if (!v["regex"]) return script_error(line, f.path + ": a map value must be {regex: ...}");
            f.text = v["regex"].as<std::string>();
            f.is_regex = true;
            try {
                std::regex check(f.text);
            } catch (const std::regex_error& e) {
                return script_error(line, f.path + ": bad regex: " + e.what());
            }
        } else if (v.IsScalar()) {
            f.text = v.as<std::string>();
        } else {
            return script_error(line, f.path + ": expected a scalar or {regex: ...}");
        }
        out.push_back(std::move(f));
    }
    return out;
}

core::Result<HomsStep> read_step(const YAML::Node& n) {
    HomsStep s;
    s.line = n.Mark().line + 1;
    if (!n.IsMap()) return script_error(s.line, "a step is a map");
    if (n["timeout"]) s.timeout = seconds_of(n["timeout"]);
    if (n["gateway"]) s.gateway = n["gateway"].as<std::string>();
    if (n["save"]) {
        if (!n["save"].IsMap()) return script_error(s.line, "save: expected a map of variable: field path");
        for (auto it = n["save"].begin(); it != n["save"].end(); ++it)
            s.save[it->first.as<std::string>()] = it->second.as<std::string>();
    }
    if (n["wait_registered"]) {
        s.kind = HomsStep::Kind::wait_registered;
        const std::string v = n["wait_registered"].as<std::string>();
        if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) s.count = std::stoul(v);
        else s.gateway = v;
        return s;
    }
    if (n["call"]) {
        s.kind = HomsStep::Kind::call;
        s.function = n["call"].as<std::string>();
        if (s.gateway.empty()) s.gateway = "#1";
        if (n["args"]) {  // assigning an absent (invalid) node would throw
            s.args = n["args"];
            if (!s.args.IsMap()) return script_error(s.line, "args: expected a map");
        }
        if (const YAML::Node e = n["expect"]) {
            if (e["resultCode"]) {
                const std::string rc = e["resultCode"].as<std::string>();
                if (rc == "any") s.expect_result.reset();
                else s.expect_result = e["resultCode"].as<int>();
            }
            auto f = read_fields(e["fields"], s.line);
            if (!f) return f.error();
            s.fields = std::move(*f);
            if (e["absent"]) s.absent = e["absent"].as<std::vector<std::string>>();
        }
        return s;
    }
    if (n["wait_event"]) {
        s.kind = HomsStep::Kind::wait_event;
        s.function = n["wait_event"].as<std::string>();
        if (n["since"]) {
            const std::string since = n["since"].as<std::string>();
            if (since != "start" && since != "previous") return script_error(s.line, "since: start or previous");
            s.since_previous = since == "previous";
        }
        auto f = read_fields(n["fields"], s.line);
        if (!f) return f.error();
        s.fields = std::move(*f);
        if (n["absent"]) s.absent = n["absent"].as<std::vector<std::string>>();
        return s;
    }
    if (n["sleep"]) {
        s.kind = HomsStep::Kind::sleep;
        s.duration = seconds_of(n["sleep"]);
        return s;
    }
    return script_error(s.line, "unknown step (want wait_registered, call, wait_event or sleep)");
}

// One path segment: "disk[1]" -> ("disk", 1); "name" -> ("name", nullopt).
std::pair<std::string_view, std::optional<std::size_t>> segment(std::string_view s) {
    auto open = s.find('[');
    if (open == std::string_view::npos || s.back() != ']') return {s, std::nullopt};
    try {
        return {s.substr(0, open), std::stoul(std::string(s.substr(open + 1, s.size() - open - 2)))};
    } catch (const std::exception&) {
        return {s, std::nullopt};
    }
}

// The field a path names: the record holding it and the field, or nullptr.
const cmp::Field* locate(const cmp::Record& record, std::string_view path, const cmp::Record** item = nullptr) {
    const cmp::Record* at = &record;
    for (;;) {
        auto dot = path.find('.');
        auto [name, index] = segment(path.substr(0, dot));
        const cmp::Field* f = at->find(name);
        if (!f) return nullptr;
        if (index) {
            const auto* list = at->list(name);
            if (!list || *index >= list->size()) return nullptr;
            if (dot == std::string_view::npos) {
                if (item) *item = &(*list)[*index];
                return f;
            }
            at = &(*list)[*index];
        } else if (dot == std::string_view::npos) {
            return f;
        } else {
            return nullptr;  // a scalar has no children
        }
        path = path.substr(dot + 1);
    }
}

}  // namespace

core::Result<HomsScript> load_homs_script(const std::string& path) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        return core::make_error("homs.script", path + ": " + e.what());
    }
    if (!root["steps"] || !root["steps"].IsSequence())
        return core::make_error("homs.script", path + ": expected a 'steps:' list");
    HomsScript script;
    try {
        for (const auto& n : root["steps"]) {
            auto step = read_step(n);
            if (!step) return core::make_error("homs.script", path + ": " + step.error().message);
            script.steps.push_back(std::move(*step));
        }
    } catch (const YAML::Exception& e) {
        return core::make_error("homs.script", path + ": " + e.what());
    }
    return script;
}

core::Result<std::string> substitute(const std::string& text, const Variables& vars) {
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        auto start = text.find("${", pos);
        if (start == std::string::npos) break;
        auto end = text.find('}', start);
        if (end == std::string::npos) break;
        const std::string name = text.substr(start + 2, end - start - 2);
        auto it = vars.find(name);
        if (it == vars.end()) return core::make_error("homs.variable", "${" + name + "} was never saved");
        out += text.substr(pos, start - pos) + it->second;
        pos = end + 1;
    }
    return out + text.substr(pos);
}

core::Result<cmp::Record> make_args(const YAML::Node& args, const Variables& vars) {
    cmp::Record r;
    if (!args) return r;
    for (auto it = args.begin(); it != args.end(); ++it) {
        const std::string name = it->first.as<std::string>();
        const YAML::Node& v = it->second;
        if (v.IsSequence()) {
            std::vector<cmp::Record> items;
            for (const auto& item : v) {
                if (!item.IsMap()) return core::make_error("homs.args", name + ": list items are maps");
                auto rec = make_args(item, vars);
                if (!rec) return rec.error();
                items.push_back(std::move(*rec));
            }
            r.add_list(name, std::move(items));
        } else {
            auto text = substitute(v.as<std::string>(), vars);
            if (!text) return text.error();
            r.set(name, std::move(*text));
        }
    }
    return r;
}

std::optional<std::string> field_at(const cmp::Record& record, std::string_view path) {
    const cmp::Record* item = nullptr;
    const cmp::Field* f = locate(record, path, &item);
    if (!f || item || f->is_list()) return std::nullopt;
    return std::get<std::string>(f->value);
}

bool path_exists(const cmp::Record& record, std::string_view path) { return locate(record, path) != nullptr; }

std::string check_fields(const std::vector<FieldExpect>& fields, const std::vector<std::string>& absent,
                         const cmp::Record& record, const Variables& vars) {
    std::string problems;
    auto problem = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
    for (const auto& f : fields) {
        auto value = field_at(record, f.path);
        auto want = substitute(f.text, vars);
        if (!want) {
            problem(want.error().message);
            continue;
        }
        if (!value) {
            problem(f.path + " is missing");
        } else if (f.is_regex ? !std::regex_match(*value, std::regex(*want)) : *value != *want) {
            problem(f.path + " is '" + *value + "', expected " + (f.is_regex ? "to match /" + *want + "/" : "'" + *want + "'"));
        }
    }
    for (const auto& a : absent)
        if (path_exists(record, a)) problem(a + " is present");
    return problems;
}

std::string describe(const cmp::Record& record) {
    std::string out;
    for (const auto& f : record.fields) {
        if (!out.empty()) out += ' ';
        if (f.is_list()) out += f.name + "=[" + std::to_string(std::get<1>(f.value).size()) + " items]";
        else out += f.name + "=" + std::get<std::string>(f.value);
    }
    return out;
}
