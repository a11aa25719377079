// The reverse validator: every rule of a table that cannot be read the other
// way, at file:line:col with a hint (`cmp-cwmp-bridge validate --reverse`).
// The forward check is unchanged: these are separate diagnostics.
#include <algorithm>
#include <ostream>

#include "bridge/mapping/reverse_mapping.hpp"
#include "bridge/mapping/reverse_util.hpp"
#include "bridge/mapping/validator.hpp"

namespace mapping {

void ReverseMapping::diagnose() {
    const Table& t = *table_;
    const cmp::Catalogue& cat = t.catalogue();
    const std::string fix_hint = "name a parameter or { value: ... } for it in reverse.fields, or list the function "
                                 "in reverse.unsupported with a reason (docs/mapping.md section 20)";
    for (const std::string& f : t.functions()) {
        const cmp::FunctionSpec* spec = cat.find(f);
        if (!spec || spec->direction != cmp::Direction::to_gateway || unsupported_.count(f)) continue;
        if (kind(f) != ReverseKind::get) continue;
        SourcePos where;
        for (const auto& p : t.params())
            if (p.function == f) {
                where = p.pos;
                break;
            }
        std::set<std::string> reported;
        for (const cmp::Record& args : argument_sets(f)) {
            GetLayout g = layout(f, args);
            // A probe answer with every field the layout can fill.
            cmp::Record probe;
            for (const auto& s : g.scalars)
                if (!s.sources.empty()) s.field.assign(probe, "x");
            for (const auto& l : g.lists) {
                cmp::Record item;
                for (const auto& s : l.fields)
                    if (!s.sources.empty()) s.field.assign(item, "x");
                probe.add_list(l.list.text(), {item});
            }
            std::vector<std::string> missing;
            missing_required(spec->response, probe, "", missing);
            std::set<std::string> missing_set(missing.begin(), missing.end());
            for (const auto& pr : g.problems) {
                // A non-invertible rule matters only when nothing else fills its field.
                const std::string top = pr.field.substr(0, pr.field.find_first_of(".["));
                auto hit = [&](const std::string& m) { return m == pr.field || m == top || m.rfind(top + "[]", 0) == 0; };
                if (std::none_of(missing.begin(), missing.end(), hit)) continue;
                if (reported.insert(pr.diagnostic.to_string()).second) diagnostics_.push_back(pr.diagnostic);
                std::erase_if(missing_set, hit);
            }
            for (const auto& m : missing_set) {
                std::string argtext;
                for (const auto& a : args.fields)
                    if (!a.is_list()) argtext += (argtext.empty() ? " (" : ", ") + a.name + "=" + std::get<0>(a.value);
                if (!argtext.empty()) argtext += ")";
                if (reported.insert(m + argtext).second)
                    add(where, f + argtext + ": required field " + m + " is filled by no parameter", fix_hint);
            }
        }
    }

    // on_set calls and subscriptions: every argument must be one row parameter to be set from the request.
    for (const auto& p : t.params()) {
        auto check_args = [&](const CallSpec& c, const char* what) {
            for (const ArgSpec& a : c.args) {
                bool ok = true;
                if (a.kind == ArgSpec::Kind::list) {
                    for (const auto& item : a.items)
                        for (const auto& ia : item) ok = ok && !single_ref(ia.value).empty();
                } else {
                    ok = !single_ref(a.value).empty() || a.value.is_literal();
                }
                if (!ok && !unsupported_.count(c.function))
                    add(c.pos.line ? c.pos : p.pos,
                        std::string(what) + " argument '" + a.name + "' of " + c.function + " (" + p.path +
                            ") is not one row parameter: the request cannot be written back to the row",
                        "use \"{Param}\" per argument, or list " + c.function + " in reverse.unsupported");
            }
        };
        if (p.on_set) check_args(p.on_set->call, "on_set");
        if (p.notify) check_args(p.notify->subscribe, "notify");
    }

    // Gateway -> HOMS messages built from what the CPE reports.
    auto from_overrides = [&](const std::string& fn, const std::string& field) { return override_of(fn, field) != nullptr; };
    for (const EventRule& e : t.events()) {
        const cmp::FunctionSpec* spec = cat.find(e.message);
        if (!spec || !e.subscription.empty() || e.object < 0) continue;
        const ObjectRule& o = t.objects()[e.object];
        for (const auto& fs : spec->request) {
            if (!fs.required || from_overrides(e.message, fs.name)) continue;
            bool filled = false;
            if (o.kind == ObjectKind::list) {
                for (int pi : o.params)
                    filled = filled || (t.params()[pi].source == Source::field && t.params()[pi].field_path.leaf() == fs.name);
            }
            for (const auto& [pi, v] : e.values) filled = filled || (!v.constant && v.field.leaf() == fs.name);
            if (!filled)
                add(e.pos, "event " + e.name + ": " + e.message + "." + fs.name + " is required and no parameter of " +
                               o.path + " gives it", fix_hint);
        }
    }
    for (const TransferRule& r : t.transfers()) {
        if (r.completion.empty()) continue;
        const cmp::FunctionSpec* spec = cat.find(r.completion);
        if (!spec) continue;
        for (const auto& fs : spec->request) {
            const bool known = fs.name == r.result_field.leaf() || fs.name == r.start_field.leaf() ||
                               fs.name == r.complete_field.leaf();
            if (fs.required && !known && !from_overrides(r.completion, fs.name))
                add(r.pos, r.completion + "." + fs.name + " is required and TransferComplete does not carry it",
                    "name the parameter that holds it in reverse.fields (e.g. " + r.completion + "." + fs.name +
                        ": " + t.root() + "DeviceInfo.SoftwareVersion)");
        }
    }
}

int run_validate_reverse(const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
                         const LoadOptions& opt) {
    int status = 0;
    for (const auto& f : files) {
        Validation v = validate_file(f, opt);
        if (!v.table) {
            status = 1;
            for (const auto& d : v.diagnostics) err << d.to_string() << "\n";
            err << f << ": " << v.diagnostics.size() << (v.diagnostics.size() == 1 ? " error" : " errors") << "\n";
            continue;
        }
        auto m = ReverseMapping::make(v.table);
        if (!m->diagnostics().empty()) {
            status = 1;
            for (const auto& d : m->diagnostics()) err << d.to_string() << "\n";
            err << f << ": " << m->diagnostics().size() << (m->diagnostics().size() == 1 ? " error" : " errors")
                << " in reverse\n";
            continue;
        }
        std::map<ReverseKind, int> kinds;
        int functions = 0;
        for (const auto& fn : v.table->catalogue().functions())
            if (fn.direction == cmp::Direction::to_gateway) {
                ++kinds[m->kind(fn.name)];
                ++functions;
            }
        out << f << ": ok in reverse (" << functions << " HOMS functions: " << kinds[ReverseKind::get] << " get, "
            << kinds[ReverseKind::set] << " set, " << kinds[ReverseKind::transfer] << " operations, "
            << kinds[ReverseKind::action] + kinds[ReverseKind::subscribe] + kinds[ReverseKind::unsubscribe]
            << " home device, " << kinds[ReverseKind::unsupported] << " unsupported)\n";
    }
    return status;
}

}  // namespace mapping
