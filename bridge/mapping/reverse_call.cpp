// ReverseCall: the step machine, and get functions (one GetParameterValues,
// then the response record filled from the values).
#include "bridge/mapping/reverse_call.hpp"

#include <algorithm>

#include "bridge/mapping/device_state.hpp"
#include "bridge/mapping/reverse_util.hpp"

namespace mapping {

void ReverseEventState::remember(const std::string& name, const std::string& v) {
    auto it = values.find(name);
    if (it != values.end()) it->second = v;
    else if (values.size() < kMaxValues) values.emplace(name, v);
}

const std::string* ReverseEventState::value(std::string_view name) const {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
}

std::string table_prefix(std::string_view path) {
    auto i = path.find("{i}.");
    return std::string(i == std::string_view::npos ? path : path.substr(0, i));
}

std::vector<std::uint32_t> instances_in(const std::map<std::string, std::string, std::less<>>& values,
                                        const std::string& prefix) {
    std::set<std::uint32_t> out;
    for (auto it = values.lower_bound(prefix); it != values.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        std::string_view rest = std::string_view(it->first).substr(prefix.size());
        auto dot = rest.find('.');
        std::string_view num = rest.substr(0, dot);
        if (num.empty() || num.size() > 9 || num.find_first_not_of("0123456789") != std::string_view::npos) continue;
        out.insert(static_cast<std::uint32_t>(std::stoul(std::string(num))));
    }
    return {out.begin(), out.end()};
}

ReverseCall::ReverseCall(std::shared_ptr<const ReverseMapping> mapping, cmp::Request request, ReverseContext ctx)
    : m_(std::move(mapping)), t_(m_->table()), req_(std::move(request)), ctx_(ctx) {}

ReverseCall::Step ReverseCall::next() {
    if (!started_) {
        started_ = true;
        start();
    }
    if (result_) return *result_;
    if (pending_) return *pending_;
    finish(cmp::result_code::general_failure, "reverse call ended without an answer");
    return *result_;
}

void ReverseCall::on_rpc_result(core::Result<cwmp::Body> answer) {
    if (!pending_ || result_) return;
    pending_.reset();
    Then then = std::move(then_);
    then(std::move(answer));
}

void ReverseCall::run(cwmp::Body rpc, Then then) {
    // A bound on the exchange with one CPE (ensure_rows adds one AddObject per missing row).
    if (++rpcs_ > 80) return finish(cmp::result_code::general_failure, "too many RPCs for one request");
    pending_ = std::move(rpc);
    then_ = std::move(then);
}

void ReverseCall::finish(int code, std::string message) {
    cmp::Response r = cmp::make_response(req_, code, std::move(message));
    pending_.reset();
    result_ = std::move(r);
}

void ReverseCall::finish_ok(cmp::Record fields) {
    cmp::Response r = cmp::make_response(req_);
    r.fields = std::move(fields);
    pending_.reset();
    result_ = std::move(r);
}

bool ReverseCall::failed(const core::Result<cwmp::Body>& a, const std::string& what) {
    if (!a) {
        finish(result_code_of_error(a.error()), what + ": " + a.error().message);
        return true;
    }
    if (const auto* f = std::get_if<cwmp::Fault>(&*a)) {
        std::string msg = what + ": CPE fault " + std::to_string(f->code) + " " + f->string;
        for (const auto& pf : f->set_parameter_values_faults)
            msg += "; " + pf.parameter_name + ": " + std::to_string(pf.fault_code) + " " + pf.fault_string;
        // A SetParameterValues fault 9003 names the real cause per parameter (9007 invalid value, ...).
        std::uint32_t code = f->code;
        if (code == 9003 && !f->set_parameter_values_faults.empty()) code = f->set_parameter_values_faults.front().fault_code;
        finish(result_code_of_fault(code), std::move(msg));
        return true;
    }
    return false;
}

bool ReverseCall::answered(const core::Result<cwmp::Body>& a, const std::string& rpc) {
    if (failed(a, rpc)) return false;
    if (cwmp::rpc_name(*a) == rpc + "Response") return true;
    finish(cmp::result_code::general_failure,
           "unexpected answer " + std::string(cwmp::rpc_name(*a)) + " to " + rpc);
    return false;
}

std::optional<ReverseCall::Values> ReverseCall::values_of(const core::Result<cwmp::Body>& a) {
    if (!answered(a, "GetParameterValues")) return std::nullopt;
    const auto* r = std::get_if<cwmp::GetParameterValuesResponse>(&*a);
    Values v;
    for (const auto& p : r->parameters) {
        v[p.name] = p.value;
        if (ctx_.state) ctx_.state->remember(p.name, p.value);
    }
    return v;
}

bool ReverseCall::known(const std::string& name) const {
    const auto* names = ctx_.known_names ? ctx_.known_names : (have_discovered_ ? &discovered_ : nullptr);
    if (!names) return true;
    if (!name.empty() && name.back() == '.') {
        auto it = names->lower_bound(name);
        return it != names->end() && it->first.rfind(name, 0) == 0;
    }
    return names->count(name) > 0;
}

std::string ReverseCall::key() const { return "cmp:" + req_.function + ":" + req_.header.transaction_id; }

void ReverseCall::start() {
    if (const cmp::FunctionSpec* fn = t_.catalogue().find(req_.function); !fn || fn->direction != cmp::Direction::to_gateway)
        return finish(cmp::result_code::unknown_function, "unknown function " + req_.function);
    // Fields the catalogue does not know, of the wrong type or missing: invalid_argument (2), before any RPC.
    if (auto st = t_.catalogue().validate(req_); !st) return finish(cmp::result_code::invalid_argument, st.error().message);
    switch (m_->kind(req_.function)) {
        case ReverseKind::get: return start_get();
        case ReverseKind::set: return start_set();
        case ReverseKind::transfer: return start_transfer();
        case ReverseKind::action: return start_action();
        case ReverseKind::subscribe: return start_subscribe();
        case ReverseKind::unsubscribe: return start_unsubscribe();
        case ReverseKind::unsupported: break;
    }
    finish(cmp::result_code::not_supported, m_->unsupported_reason(req_.function));
}

// ---- gets ---------------------------------------------------------------------------------

void ReverseCall::start_get() {
    layout_ = m_->layout(req_.function, req_.args);
    get_values(get_names(), false);
}

std::vector<std::string> ReverseCall::get_names() const {
    const GetLayout& g = layout_;
    std::vector<std::string> names;
    auto add = [&](std::string n) {
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(std::move(n));
    };
    // Tables first: a partial path covers every parameter of every instance.
    for (const auto& l : g.lists) {
        add(table_prefix(t_.objects()[l.object].path));
        for (int j : l.joined) add(table_prefix(t_.objects()[j].path));
    }
    if (g.rows_object >= 0) add(table_prefix(t_.objects()[g.rows_object].path));
    auto add_source = [&](const ReverseSource& s) {
        if (s.param >= 0) {
            const std::string& p = t_.params()[s.param].path;
            if (p.find("{i}") == std::string::npos) add(p);
        } else if (s.path.rfind(t_.root(), 0) == 0) {
            add(s.path);
        }
    };
    // One source per field: the first the CPE has (all of them are alternatives).
    for (const auto& f : g.scalars)
        for (const auto& s : f.sources) {
            if (s.constant) break;
            const std::string p = s.param >= 0 ? t_.params()[s.param].path : s.path;
            if (!known(p)) continue;
            add_source(s);
            break;
        }
    // Names under an included partial path are already asked for.
    std::vector<std::string> out;
    for (const auto& n : names) {
        bool covered = std::any_of(names.begin(), names.end(), [&](const std::string& o) {
            return o != n && o.back() == '.' && n.rfind(o, 0) == 0;
        });
        if (!covered) out.push_back(n);
    }
    return out;
}

void ReverseCall::get_values(std::vector<std::string> names, bool discovered) {
    std::vector<std::string> asked;
    for (auto& n : names)
        if (known(n)) asked.push_back(n);
    if (asked.empty()) return fill_get({});
    cwmp::GetParameterValues gpv{asked};
    run(std::move(gpv), [this, discovered](core::Result<cwmp::Body> a) {
        const auto* f = a ? std::get_if<cwmp::Fault>(&*a) : nullptr;
        if (f && f->code == 9005 && !discovered && !ctx_.known_names) {
            // One of the names is not on this CPE: learn its names once, then ask only for those it has.
            cwmp::GetParameterNames gpn{t_.root(), false};
            return run(std::move(gpn), [this](core::Result<cwmp::Body> a2) {
                if (!answered(a2, "GetParameterNames")) return;
                const auto* r = std::get_if<cwmp::GetParameterNamesResponse>(&*a2);
                for (const auto& p : r->parameters) discovered_.emplace(p.name, p.writable);
                have_discovered_ = true;
                get_values(get_names(), true);  // alternatives the CPE has replace the ones it lacks
            });
        }
        auto got = values_of(a);
        if (!got) return;
        const Values& v = *got;
        const GetLayout& g = layout_;
        if (g.rows_object < 0) return fill_get(v);
        // Rows chosen by the request's arguments: create the missing ones, then read them.
        Wanted wanted;
        std::map<int, std::string> fixed;
        std::vector<std::pair<int, std::string>> listed;
        for (const auto& mt : g.matches) {
            if (mt.param < 0) continue;
            if (mt.item_field.empty()) {
                fixed[mt.param] = req_.args.get(mt.arg);
            } else if (const auto* items = req_.args.list(mt.arg)) {
                for (const auto& it : *items) listed.emplace_back(mt.param, it.get(mt.item_field));
            }
        }
        const bool by_list = std::any_of(g.matches.begin(), g.matches.end(), [](const RowMatch& x) { return !x.item_field.empty(); });
        if (listed.empty() && by_list) {
            // No varName: every row the other arguments select (getHomeDevState's "all variables"
            // are the ones the CPE has rows for); nothing is created.
            const std::string prefix = table_prefix(t_.objects()[g.rows_object].path);
            for (std::uint32_t i : instances_in(v, prefix)) {
                const std::string row = prefix + std::to_string(i) + ".";
                if (std::all_of(fixed.begin(), fixed.end(), [&](const auto& kv) {
                        auto it = v.find(row + t_.params()[kv.first].name);
                        return it != v.end() && it->second == kv.second;
                    }))
                    rows_.push_back(row);
            }
            return fill_get(v);
        }
        if (listed.empty()) wanted.push_back(fixed);
        for (const auto& [pi, value] : listed) {
            auto w = fixed;
            w[pi] = value;
            wanted.push_back(std::move(w));
        }
        ensure_rows(g.rows_object, wanted, [this, v](std::vector<std::string> rows, std::vector<bool> created) {
            rows_ = rows;
            if (std::none_of(created.begin(), created.end(), [](bool c) { return c; })) return fill_get(v);
            // New rows read their values once their keys are set (the CPE fetches them then).
            cwmp::GetParameterValues again{{table_prefix(t_.objects()[layout_.rows_object].path)}};
            run(std::move(again), [this](core::Result<cwmp::Body> a3) {
                if (auto v3 = values_of(a3)) fill_get(*v3);
            });
        }, &v);
    });
}

void ReverseCall::fill_get(const Values& values) {
    const GetLayout& g = layout_;
    const auto& response = t_.catalogue().find(req_.function)->response;
    // An optional field whose rule reads its absence as a `default` was absent on the gateway
    // (HostName "" for a host without a name): left out again.
    auto defaulted = [&](const ReverseSource& s, const std::string& v, const FieldPath& field,
                         const std::vector<cmp::FieldSpec>& specs) {
        if (s.param < 0 || !t_.params()[s.param].transform.fallback || v != *t_.params()[s.param].transform.fallback)
            return false;
        auto spec = field.check(specs);
        return spec && *spec && !(*spec)->required;
    };
    cmp::Record out;
    const std::string first_row = rows_.empty() ? std::string() : rows_.front();
    const cmp::Record rule_args = m_->argument_sets(req_.function).front();
    for (const auto& f : g.scalars)
        for (const auto& s : f.sources)
            if (auto v = source_value(t_, s, values, first_row)) {
                if (!defaulted(s, *v, f.field, response)) f.field.assign(out, *v);
                break;
            }
    for (const auto& l : g.lists) {
        const ObjectRule& o = t_.objects()[l.object];
        auto list_spec = l.list.check(response);
        const std::vector<cmp::FieldSpec> no_specs;
        const auto& item_specs = list_spec && *list_spec ? (*list_spec)->item_fields : no_specs;
        // A table the CPE does not have leaves its list out (an empty table is an empty list).
        if (!known(table_prefix(o.path))) continue;
        std::vector<std::string> rows;
        if (o.kind == ObjectKind::rows) {
            rows = rows_;  // the rows the request selected
        } else {
            const std::string prefix = table_prefix(o.path);
            for (std::uint32_t i : instances_in(values, prefix)) rows.push_back(prefix + std::to_string(i) + ".");
        }
        // Rows of joined objects by their key text, to find the one matching an item.
        std::map<int, std::map<std::string, std::string>> joined_rows;
        auto key_of = [&](int object, const std::function<std::optional<std::string>(const FieldPath&)>& get) {
            std::string k;
            for (const auto& kf : t_.objects()[object].key) k += get(kf).value_or("") + '\n';
            return k;
        };
        for (int j : l.joined) {
            const std::string prefix = table_prefix(t_.objects()[j].path);
            for (std::uint32_t i : instances_in(values, prefix)) {
                const std::string row = prefix + std::to_string(i) + ".";
                joined_rows[j][key_of(j, [&](const FieldPath& kf) -> std::optional<std::string> {
                    for (int pi : t_.objects()[j].params)
                        if (t_.params()[pi].source == Source::field && t_.params()[pi].field_path.text() == kf.text()) {
                            ReverseSource s;
                            s.param = pi;
                            return source_value(t_, s, values, row);
                        }
                    return std::nullopt;
                })] = row;
            }
        }
        std::vector<cmp::Record> items;
        for (const auto& row : rows) {
            cmp::Record item;
            for (int pass = 0; pass < 2; ++pass)  // the object's own fields first: they give the key
                for (const auto& f : l.fields)
                    for (const auto& s : f.sources) {
                        const int obj = s.param >= 0 ? t_.params()[s.param].object : l.object;
                        if ((obj != l.object) != (pass == 1) || item.has(f.field.text())) continue;
                        std::string r = row;
                        if (obj != l.object) {
                            auto& jr = joined_rows[obj];
                            auto it = jr.find(key_of(obj, [&](const FieldPath& kf) -> std::optional<std::string> {
                                const std::string* v = kf.scalar(item);
                                return v ? std::optional(*v) : std::nullopt;
                            }));
                            if (it == jr.end()) continue;
                            r = it->second;
                        }
                        if (auto v = source_value(t_, s, values, r)) {
                            if (!defaulted(s, *v, f.field, item_specs)) f.field.assign(item, *v);
                            break;
                        }
                    }
            // A filtered list object presents only the items its filter lets through.
            if (o.filter && !o.filter_field.empty()) {
                const std::string* fv = o.filter_field.scalar(item);
                if (!fv || !std::regex_search(*fv, *o.filter)) continue;
            }
            // A request argument selects items: by the item field of its name (getHomeDevList
            // deviceType), else by the list's key, what identifies an item (getRgDiskRsc diskId: the
            // disk's name). Arguments the rules pass to the gateway (ifName) chose the parameters.
            const bool selected = std::all_of(req_.args.fields.begin(), req_.args.fields.end(), [&](const cmp::Field& a) {
                if (a.is_list() || rule_args.has(a.name)) return true;
                if (cmp::find_field(item_specs, a.name)) return item.get(a.name) == std::get<0>(a.value);
                if (o.key.size() != 1 || std::get<0>(a.value).empty()) return true;  // "": no selection
                const std::string* k = o.key.front().scalar(item);
                return k && *k == std::get<0>(a.value);
            });
            if (!selected) continue;
            items.push_back(std::move(item));
        }
        out.add_list(l.list.text(), std::move(items));
    }
    std::vector<std::string> missing;
    missing_required(t_.catalogue().find(req_.function)->response, out, "", missing);
    if (!missing.empty()) {
        // not_supported (6), not resource_unavailable (7): the CPE's data model lacks the parameter
        // behind a required field, so asking again later cannot fill it (docs/cmp-protocol.md 7).
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        return finish(cmp::result_code::not_supported, "the CPE has no value for " + list);
    }
    finish_ok(std::move(out));
}

}  // namespace mapping
