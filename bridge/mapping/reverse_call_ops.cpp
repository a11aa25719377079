// ReverseCall: set functions, operations (the rpc: section read backwards)
// and home device functions (rows found or created, then set or watched).
#include <algorithm>

#include "bridge/mapping/reverse_call.hpp"
#include "bridge/mapping/reverse_util.hpp"

namespace mapping {
namespace {

// Every scalar of a request as (field path text, value): "wan[0].ipAddr".
void leaves(const cmp::Record& r, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
    for (const auto& f : r.fields) {
        if (!f.is_list()) {
            out.emplace_back(prefix + f.name, std::get<0>(f.value));
            continue;
        }
        const auto& items = std::get<1>(f.value);
        for (std::size_t i = 0; i < items.size(); ++i)
            leaves(items[i], prefix + f.name + "[" + std::to_string(i) + "].", out);
    }
}

std::optional<std::uint32_t> to_u32(const std::string& s) {
    if (s.empty()) return 0u;
    if (s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    unsigned long long v = std::stoull(s);
    if (v > 0xffffffffULL) return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

}  // namespace

// ---- sets -----------------------------------------------------------------------------------

void ReverseCall::start_set() {
    struct Target {
        std::string field;
        std::vector<int> params;
    };
    std::vector<Target> targets;
    for (int pi = 0; pi < static_cast<int>(t_.params().size()); ++pi) {
        const ParamRule& p = t_.params()[pi];
        if (!p.write || p.write->function != req_.function || p.source != Source::field || p.object < 0) continue;
        const ObjectRule& o = t_.objects()[p.object];
        if (o.kind != ObjectKind::fixed) continue;  // list rows are read-only (docs/mapping.md 9)
        FieldPath rec = p.write->record.empty() ? o.record : p.write->record;
        auto rel = FieldPath::parse(p.field);
        if (!rel) continue;
        std::string field = rec.join(*rel).text();
        auto it = std::find_if(targets.begin(), targets.end(), [&](const Target& x) { return x.field == field; });
        if (it == targets.end()) targets.push_back({field, {pi}});
        else it->params.push_back(pi);
    }
    std::vector<std::pair<std::string, std::string>> given;
    leaves(req_.args, "", given);
    cwmp::SetParameterValues spv;
    spv.parameter_key = key();
    for (const auto& [field, value] : given) {
        auto it = std::find_if(targets.begin(), targets.end(), [&](const Target& x) { return x.field == field; });
        if (it == targets.end()) {
            // Fields the table reads but never writes are the gateway's read-only ones (status, mac,
            // upTime in a whole record sent back): ignored, as a gateway ignores them.
            bool read_only = std::any_of(t_.params().begin(), t_.params().end(),
                                         [&](const ParamRule& p) { return p.field_path.text() == field; });
            if (read_only) continue;
            return finish(cmp::result_code::not_supported, req_.function + "." + field + " has no parameter on this CPE");
        }
        bool any = false;
        for (int pi : it->params) {
            const ParamRule& p = t_.params()[pi];
            if (!known(p.path)) continue;
            std::string v = p.transform.read(value);  // the inverse of the forward write
            if (auto st = datamodel::check_value(p.ptype, v, true); !st)
                return finish(cmp::result_code::invalid_argument,
                              req_.function + "." + field + ": '" + value + "' " + st.error().message);
            spv.parameters.push_back({p.path, datamodel::canonical_value(p.ptype, v), p.type});
            any = true;
        }
        if (!any) return finish(cmp::result_code::not_supported, req_.function + "." + field + ": the CPE lacks its parameter");
    }
    if (spv.parameters.empty()) return finish_ok({});
    run(std::move(spv), [this](core::Result<cwmp::Body> a) {
        if (answered(a, "SetParameterValues")) finish_ok({});
    });
}

// ---- operations -----------------------------------------------------------------------------

void ReverseCall::start_transfer() {
    const TransferRule& r = *m_->transfer_of(req_.function);
    std::map<std::string, std::string> vars;  // the RPC's arguments (URL, FileSize, ...)
    std::set<std::string> covered;
    for (const ArgSpec& a : r.call.args) {
        covered.insert(a.name);
        const std::string* given = req_.args.scalar(a.name);
        if (std::string ref = single_ref(a.value); !ref.empty()) {
            if (given) vars[ref] = *given;
        } else if (given && a.value.is_literal() && *given != a.value.expand({})) {
            return finish(cmp::result_code::invalid_argument,
                          a.name + " must be '" + a.value.expand({}) + "' here (" + t_.name() + ")");
        }
    }
    for (const auto& f : req_.args.fields) {
        if (covered.count(f.name)) continue;
        // rebootRg.delaySec has no TR-069 counterpart (Reboot has no delay): only its default passes.
        if (f.is_list() || (std::get<0>(f.value) != "" && std::get<0>(f.value) != "0"))
            return finish(cmp::result_code::not_supported, req_.function + "." + f.name + " has no TR-069 counterpart");
    }
    auto num = [&](const char* name) -> std::optional<std::uint32_t> { return to_u32(vars[name]); };
    cwmp::Body rpc;
    if (r.rpc == "Reboot") {
        rpc = cwmp::Reboot{key()};
    } else if (r.rpc == "FactoryReset") {
        rpc = cwmp::FactoryReset{};
    } else if (r.rpc == "Download") {
        auto size = num("FileSize"), delay = num("DelaySeconds");
        if (!size || !delay) return finish(cmp::result_code::invalid_argument, "fileSize/delaySec must be unsignedInt");
        cwmp::Download d;
        d.command_key = key();
        d.file_type = r.file_type;
        d.url = vars["URL"];
        d.username = vars["Username"];
        d.password = vars["Password"];
        d.file_size = *size;
        d.target_file_name = vars["TargetFileName"];
        d.delay_seconds = *delay;
        d.success_url = vars["SuccessURL"];
        d.failure_url = vars["FailureURL"];
        rpc = std::move(d);
    } else if (r.rpc == "Upload") {
        auto delay = num("DelaySeconds");
        if (!delay) return finish(cmp::result_code::invalid_argument, "delaySec must be unsignedInt");
        cwmp::Upload u;
        u.command_key = key();
        u.file_type = r.file_type;
        u.url = vars["URL"];
        u.username = vars["Username"];
        u.password = vars["Password"];
        u.delay_seconds = *delay;
        rpc = std::move(u);
    } else {
        return finish(cmp::result_code::not_supported, r.rpc + " has no reverse");
    }
    const std::string what = r.rpc;
    run(std::move(rpc), [this, what](core::Result<cwmp::Body> a) {
        if (!answered(a, what)) return;
        // Accepted: the CMP answer means "started" (docs/cmp-protocol.md 11.2); a completion
        // message, when the rule has one, comes from the TransferComplete (reverse_transfer_complete).
        finish_ok({});
    });
}

// ---- home device rows -----------------------------------------------------------------------

void ReverseCall::ensure_rows(int object, Wanted wanted,
                              std::function<void(std::vector<std::string>, std::vector<bool>)> done,
                              const Values* have, bool set_keys) {
    const std::string prefix = table_prefix(t_.objects()[object].path);
    const unsigned max_rows = t_.objects()[object].max_rows;
    auto with = [this, prefix, wanted, done, set_keys, max_rows](const Values& v) {
        struct Acc {
            std::vector<std::string> rows;
            std::vector<bool> created;
            std::size_t next = 0;
        };
        auto acc = std::make_shared<Acc>();
        acc->rows.resize(wanted.size());
        acc->created.resize(wanted.size());
        for (std::size_t i = 0; i < wanted.size(); ++i)
            for (std::uint32_t inst : instances_in(v, prefix)) {
                std::string row = prefix + std::to_string(inst) + ".";
                bool match = std::all_of(wanted[i].begin(), wanted[i].end(), [&](const auto& kv) {
                    auto it = v.find(row + t_.params()[kv.first].name);
                    return it != v.end() && it->second == kv.second;
                });
                if (match) {
                    acc->rows[i] = row;
                    break;
                }
            }
        // The table's max_rows bounds what one request may add (a HOMS listing 1000 variables).
        const auto missing = static_cast<std::size_t>(std::count(acc->rows.begin(), acc->rows.end(), std::string()));
        if (max_rows && instances_in(v, prefix).size() + missing > max_rows)
            return finish(cmp::result_code::resource_unavailable,
                          prefix + " would need more than " + std::to_string(max_rows) + " rows");
        // Missing rows are added one AddObject at a time (TR-069 has no batch), then their keys set at once.
        auto step = std::make_shared<std::function<void()>>();
        // The pending AddObject's continuation holds the step; the step only a weak reference (no cycle).
        std::weak_ptr<std::function<void()>> weak = step;
        *step = [this, acc, weak, wanted, prefix, done, set_keys]() {
            while (acc->next < wanted.size() && !acc->rows[acc->next].empty()) ++acc->next;
            if (acc->next < wanted.size()) {
                cwmp::AddObject add{prefix, key()};
                return run(std::move(add), [this, acc, self = weak.lock(), prefix](core::Result<cwmp::Body> a) {
                    if (!answered(a, "AddObject")) return;
                    const auto* r = std::get_if<cwmp::AddObjectResponse>(&*a);
                    acc->rows[acc->next] = prefix + std::to_string(r->instance_number) + ".";
                    acc->created[acc->next] = true;
                    (*self)();
                });
            }
            cwmp::SetParameterValues spv;
            spv.parameter_key = key();
            for (std::size_t i = 0; i < wanted.size() && set_keys; ++i)
                if (acc->created[i])
                    for (const auto& [pi, value] : wanted[i])
                        spv.parameters.push_back({acc->rows[i] + t_.params()[pi].name, value, t_.params()[pi].type});
            if (spv.parameters.empty()) return done(acc->rows, acc->created);
            run(std::move(spv), [this, acc, done](core::Result<cwmp::Body> a) {
                if (answered(a, "SetParameterValues")) done(acc->rows, acc->created);
            });
        };
        (*step)();
    };
    if (have) return with(*have);
    cwmp::GetParameterValues gpv{{prefix}};
    run(std::move(gpv), [this, with](core::Result<cwmp::Body> a) {
        if (auto v = values_of(a)) with(*v);
    });
}

void ReverseCall::start_action() {
    const int ti = m_->action_param(req_.function);
    const ParamRule& trig = t_.params()[ti];
    const ActionSpec& act = *trig.on_set;
    std::map<int, std::string> identity, sets;
    for (const ArgSpec& a : act.call.args) {
        const std::string ref = single_ref(a.value);
        const int pi = ref.empty() ? -1 : row_param(t_, trig.object, ref);
        if (a.kind == ArgSpec::Kind::pairs && pi >= 0) {
            std::vector<std::pair<std::string, std::string>> pairs;
            if (const auto* items = req_.args.list(a.name))
                for (const auto& it : *items) pairs.emplace_back(it.get("name"), it.get("value"));
            sets[pi] = encode_pairs(pairs);
        } else if (a.kind == ArgSpec::Kind::scalar && pi >= 0) {
            identity[pi] = sets[pi] = req_.args.get(a.name);
        } else if (a.kind == ArgSpec::Kind::scalar && a.value.is_literal()) {
            if (const std::string* g = req_.args.scalar(a.name); g && *g != a.value.expand({}))
                return finish(cmp::result_code::invalid_argument, a.name + " must be '" + a.value.expand({}) + "'");
        } else {
            return finish(cmp::result_code::not_supported, a.name + " cannot be set on a row (validate --reverse)");
        }
    }
    ensure_rows(trig.object, {identity}, [this, ti, sets](std::vector<std::string> rows, std::vector<bool>) {
        const ParamRule& trig = t_.params()[ti];
        const ActionSpec& act = *trig.on_set;
        const std::string row = rows.front();
        cwmp::SetParameterValues spv;
        spv.parameter_key = key();
        for (const auto& [pi, value] : sets) spv.parameters.push_back({row + t_.params()[pi].name, value, t_.params()[pi].type});
        // The trigger last: the CPE runs the action with the row's new values.
        spv.parameters.push_back({row + trig.name, act.when.empty() ? "true" : act.when, trig.type});
        run(std::move(spv), [this, ti, row](core::Result<cwmp::Body> a) {
            if (!answered(a, "SetParameterValues")) return;
            const ActionSpec& act = *t_.params()[ti].on_set;
            cwmp::GetParameterValues gpv;
            for (const auto& [name, v] : act.results) gpv.names.push_back(row + name);
            if (gpv.names.empty()) return finish_ok({});
            run(std::move(gpv), [this, ti, row](core::Result<cwmp::Body> a2) {
                auto values = values_of(a2);
                if (!values) return;
                cmp::Record out;
                for (const auto& [name, spec] : t_.params()[ti].on_set->results) {
                    auto it = values->find(row + name);
                    if (it == values->end()) continue;
                    if (spec.transform.pairs) {
                        auto pairs = decode_pairs(it->second);
                        if (!pairs) return finish(cmp::result_code::device_error, name + ": " + pairs.error().message);
                        std::vector<cmp::Record> items;
                        for (auto& [n, v] : *pairs) items.push_back(cmp::Record{}.set("name", n).set("value", v));
                        if (!items.empty()) out.add_list(spec.field.leaf(), std::move(items));
                    } else if (auto w = spec.transform.write(it->second)) {
                        spec.field.assign(out, *w);
                    }
                }
                finish_ok(std::move(out));
            });
        });
    }, nullptr, false);
}

void ReverseCall::start_subscribe() {
    if (!ctx_.state) return finish(cmp::result_code::general_failure, "no subscription state for this CPE");
    // Bounded per CPE: a HOMS subscribing in a loop must not grow the state without end.
    if (ctx_.state->subscriptions.size() >= ReverseEventState::kMaxSubscriptions)
        return finish(cmp::result_code::resource_unavailable, "too many subscriptions on this CPE");
    const int vi = m_->notify_param(req_.function, true);
    const ParamRule& vp = t_.params()[vi];
    std::map<int, std::string> fixed;
    Wanted wanted;
    std::vector<std::string> names;
    for (const ArgSpec& a : vp.notify->subscribe.args) {
        if (a.kind == ArgSpec::Kind::scalar) {
            const int pi = row_param(t_, vp.object, single_ref(a.value));
            if (pi >= 0) fixed[pi] = req_.args.get(a.name);
            continue;
        }
        if (a.kind != ArgSpec::Kind::list || a.items.size() != 1) continue;
        const auto* items = req_.args.list(a.name);
        // "All evented variables" cannot be listed from a CPE row per variable.
        if (!items || items->empty())
            return finish(cmp::result_code::not_supported, a.name + " must name the variables on this CPE");
        for (const ArgSpec& ia : a.items[0]) {
            const int pi = row_param(t_, vp.object, single_ref(ia.value));
            if (pi < 0) continue;
            for (const auto& it : *items) {
                auto w = fixed;
                w[pi] = it.get(ia.name);
                wanted.push_back(std::move(w));
                names.push_back(it.get(ia.name));
            }
        }
    }
    if (wanted.empty()) {
        wanted.push_back(fixed);
        names.emplace_back();
    }
    for (auto& w : wanted)
        for (const auto& [pi, v] : fixed) w.emplace(pi, v);
    ensure_rows(vp.object, wanted, [this, vi, names](std::vector<std::string> rows, std::vector<bool>) {
        const ParamRule& vp = t_.params()[vi];
        cwmp::SetParameterAttributes spa;
        for (const auto& row : rows) spa.parameters.push_back({row + vp.name, true, 2, false, {}});
        run(std::move(spa), [this, vi, rows, names](core::Result<cwmp::Body> a) {
            if (!answered(a, "SetParameterAttributes")) return;
            const ParamRule& vp = t_.params()[vi];
            ReverseEventState::Subscription sub;
            sub.args = req_.args;
            for (std::size_t i = 0; i < rows.size(); ++i) sub.vars[rows[i] + vp.name] = names[i];
            const std::string id = "rev-" + std::to_string(ctx_.state->next_id++);
            cwmp::GetParameterValues gpv;
            for (const auto& [path, name] : sub.vars) gpv.names.push_back(path);
            ctx_.state->subscriptions[id] = sub;
            // The initial event (seq 0) carries the current values, as a gateway sends it (cmp-protocol 11.3).
            run(std::move(gpv), [this, vi, id](core::Result<cwmp::Body> a2) {
                cmp::Record out;
                t_.params()[vi].notify->id_field.assign(out, id);
                // The subscription exists: an answer without values only costs the initial event.
                if (a2 && std::holds_alternative<cwmp::GetParameterValuesResponse>(*a2)) {
                    std::vector<std::pair<std::string, std::string>> values;
                    for (const auto& p : std::get<cwmp::GetParameterValuesResponse>(*a2).parameters) {
                        values.emplace_back(p.name, p.value);
                        ctx_.state->remember(p.name, p.value);
                    }
                    if (auto msg = subscription_event(*m_, id, ctx_.state->subscriptions[id], values, true))
                        follow_ups_.push_back(std::move(*msg));
                }
                finish_ok(std::move(out));
            });
        });
    });
}

void ReverseCall::start_unsubscribe() {
    const int vi = m_->notify_param(req_.function, false);
    std::string id;
    for (const ArgSpec& a : t_.params()[vi].notify->unsubscribe.args)
        if (single_ref(a.value) == "$id") id = req_.args.get(a.name);
    auto* subs = ctx_.state ? &ctx_.state->subscriptions : nullptr;
    auto it = subs ? subs->find(id) : decltype(subs->end()){};
    if (!subs || it == subs->end()) return finish(cmp::result_code::subscription_not_found, "no subscription '" + id + "'");
    cwmp::SetParameterAttributes spa;
    // A value another subscription still watches keeps its notification.
    for (const auto& [path, name] : it->second.vars) {
        const bool shared = std::any_of(subs->begin(), subs->end(), [&](const auto& other) {
            return other.first != id && other.second.vars.count(path) > 0;
        });
        if (!shared) spa.parameters.push_back({path, true, 0, false, {}});
    }
    if (spa.parameters.empty()) {
        subs->erase(it);
        return finish_ok({});
    }
    run(std::move(spa), [this, id](core::Result<cwmp::Body> a) {
        // A CPE that no longer has the row has no notification to turn off either.
        const auto* f = a ? std::get_if<cwmp::Fault>(&*a) : nullptr;
        if (!(f && f->code == 9005) && !answered(a, "SetParameterAttributes")) return;
        ctx_.state->subscriptions.erase(id);
        finish_ok({});
    });
}

}  // namespace mapping
