// TableDevice: SetParameterValues. Parameters sharing a set function become
// one CMP request; functions run one after another, and when a later one
// fails the earlier ones are written back with the values read before, so
// the ACS sees all or nothing. Stored (bridge-kept) values change with them;
// on_set actions run last.
#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>

#include "bridge/mapping/table_device.hpp"

namespace mapping {
namespace {

using StepU = cpe::Step<cpe::Unit>;

struct Item {
    int param = -1;
    std::uint32_t inst = 0;
    std::string name;       // as the ACS wrote it
    std::string value;      // canonical TR-069 value
    std::string cmp_value;  // after the inverse transform
};

struct Group {
    const WriteSpec* write = nullptr;
    std::vector<std::size_t> items;
    cmp::Request request, rollback;
    bool can_roll_back = false;
};

bool per_parameter(std::uint32_t code) { return code >= 9005 && code <= 9008; }

// Whether a gateway message names a field ("lan[0].leaseTime must be ...").
bool names_field(std::string_view msg, std::string_view field) {
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (auto pos = msg.find(field); !field.empty() && pos != std::string_view::npos; pos = msg.find(field, pos + 1)) {
        bool before = pos == 0 || !word(msg[pos - 1]);
        bool after = pos + field.size() == msg.size() || !word(msg[pos + field.size()]);
        if (before && after) return true;
    }
    return false;
}

}  // namespace

struct SetPlan : std::enable_shared_from_this<SetPlan> {
    TableDevice& dev;
    const Table& t;
    std::vector<Item> items;
    std::vector<Group> groups;
    std::vector<std::size_t> actions;          // items whose on_set fires
    std::vector<cmp::Request> pre_calls;       // values read before writing
    std::map<std::string, cmp::Response> pre;  // by call key
    std::map<std::pair<int, std::uint32_t>, std::optional<std::string>> old_stored;
    std::size_t done = 0;  // groups written so far
    std::string rollback_notes;

    explicit SetPlan(TableDevice& d) : dev(d), t(*d.table_) {}

    const ParamRule& rule(const Item& i) const { return t.params()[i.param]; }
    const ObjectRule& object(const Item& i) const { return t.objects()[rule(i).object]; }
    Vars vars(const Item& i) const { return dev.row_vars(rule(i).object, i.inst); }

    FieldPath write_field(const Item& i) const {
        const ParamRule& p = rule(i);
        const WriteSpec& w = *p.write;
        FieldPath record = w.record.empty() ? (object(i).kind == ObjectKind::fixed ? object(i).record : FieldPath{}) : w.record;
        auto rel = FieldPath::parse(p.field);
        return rel ? record.join(*rel) : record;
    }

    // The request of a group from the values read before; modified or as read (rollback).
    cmp::Request build(const Group& g, bool modified) const {
        cmp::Request r;
        r.function = g.write->function;
        const cmp::FunctionSpec* fn = t.catalogue().find(r.function);
        for (std::size_t ii : g.items) {
            const Item& i = items[ii];
            const ParamRule& p = rule(i);
            auto resp = pre.find(call_key(p.read.build(vars(i))));
            if (g.write->read_modify_write && resp != pre.end() && fn) {
                // Copy the whole record as read, minus dropped and unknown fields.
                const FieldPath& from = object(i).kind == ObjectKind::fixed ? object(i).record : FieldPath{};
                const FieldPath to = g.write->record.empty() ? from : g.write->record;
                const cmp::Record* src = from.empty() ? &resp->second.fields : from.record(resp->second.fields, vars(i));
                auto checked = to.check(fn->request);
                const cmp::FieldSpec* spec = to.empty() || !checked ? nullptr : *checked;
                const auto& allowed = spec ? spec->item_fields : fn->request;
                if (src) {
                    cmp::Record& dst = to.make_record(r.args, vars(i));
                    for (const auto& f : src->fields)
                        if (cmp::find_field(allowed, f.name) && !dst.has(f.name) &&
                            std::find(g.write->drop.begin(), g.write->drop.end(), f.name) == g.write->drop.end())
                            dst.fields.push_back(f);
                }
            }
            if (modified) {
                write_field(i).assign(r.args, i.cmp_value, vars(i));
            } else if (resp != pre.end()) {
                if (const std::string* old = p.field_path.scalar(resp->second.fields, vars(i)))
                    write_field(i).assign(r.args, *old, vars(i));
            }
        }
        return r;
    }

    void restore_stored() {
        for (const auto& [k, v] : old_stored) {
            const ParamRule& p = t.params()[k.first];
            if (v) dev.set_stored(p, k.second, *v);
        }
    }

    cwmp::Fault failure(const Group& g, const core::Result<cmp::Response>& res) const {
        std::uint32_t code = res ? t.faults().code(FaultContext::set, res->result_code) : 9002;
        cwmp::Fault f = call_fault(t.faults(), FaultContext::set, res, g.write->function);
        // A gateway message naming fields narrows the fault to those parameters.
        std::vector<std::size_t> named;
        if (res)
            for (std::size_t ii : g.items)
                if (names_field(res->result_msg, write_field(items[ii]).leaf())) named.push_back(ii);
        const auto& failed = named.empty() ? g.items : named;
        std::string who;
        for (std::size_t ii : failed) who += (who.empty() ? "" : ", ") + items[ii].name;
        f.string += " [" + who + "]" + rollback_notes;
        if (!per_parameter(code)) return f;
        cwmp::Fault out = make_fault(9003, "Invalid arguments: " + f.string);
        for (std::size_t ii : failed) out.set_parameter_values_faults.push_back({items[ii].name, code, f.string});
        return out;
    }

    // Writes back groups [0, upto) in reverse order, then ends with fault.
    StepU roll_back(std::size_t upto, cwmp::Fault fault) {
        if (upto == 0) {
            restore_stored();
            return StepU::ready(std::move(fault));
        }
        Group& g = groups[upto - 1];
        if (!g.can_roll_back) {
            rollback_notes += "; " + g.write->function + " could not be rolled back";
            return roll_back(upto - 1, std::move(fault));
        }
        auto self = shared_from_this();
        return StepU::need({g.rollback}, [self, upto, fault](cpe::CallResults r) mutable {
            if (r.size() != 1 || !call_ok(r[0])) {
                std::string note = "; rollback of " + self->groups[upto - 1].write->function + " failed";
                fault.string += note;
                for (auto& e : fault.set_parameter_values_faults) e.fault_string += note;
            }
            return self->roll_back(upto - 1, std::move(fault));
        });
    }

    StepU write_next() {
        if (done == groups.size()) return run_action(0);
        auto self = shared_from_this();
        return StepU::need({groups[done].request}, [self](cpe::CallResults r) {
            const core::Result<cmp::Response> res =
                r.size() == 1 ? r[0] : core::Result<cmp::Response>(core::make_error("cmp.plan", "no result"));
            if (!call_ok(res)) {
                cwmp::Fault f = self->failure(self->groups[self->done], res);
                return self->roll_back(self->done, std::move(f));
            }
            ++self->done;
            return self->write_next();
        });
    }

    StepU run_action(std::size_t k) {
        if (k == actions.size()) return StepU::ready(cpe::Unit{});
        const Item& it = items[actions[k]];
        const ParamRule& p = rule(it);
        std::string missing;
        cmp::Request req = p.on_set->call.build(vars(it), &missing);
        auto self = shared_from_this();
        return StepU::need({req}, [self, k](cpe::CallResults r) {
            const Item& it = self->items[self->actions[k]];
            const ParamRule& p = self->rule(it);
            const core::Result<cmp::Response> res =
                r.size() == 1 ? r[0] : core::Result<cmp::Response>(core::make_error("cmp.plan", "no result"));
            if (!call_ok(res)) {
                cwmp::Fault f = call_fault(self->t.faults(), FaultContext::set, res, p.on_set->call.function);
                std::uint32_t code = f.code;
                f.string += " [" + it.name + "]";
                if (per_parameter(code)) {
                    cwmp::Fault out = make_fault(9003, "Invalid arguments: " + f.string);
                    out.set_parameter_values_faults.push_back({it.name, code, f.string});
                    f = std::move(out);
                }
                return self->roll_back(self->groups.size(), std::move(f));
            }
            const ObjectRule& o = self->t.objects()[p.object];
            for (const auto& [sibling, spec] : p.on_set->results)
                for (int pi : o.params)
                    if (self->t.params()[pi].name == sibling) {
                        std::string v = spec.constant ? *spec.constant : std::string();
                        if (!spec.constant)
                            if (const cmp::Field* f = spec.field.find(res->fields, self->vars(it))) {
                                if (const auto* s = std::get_if<std::string>(&f->value)) v = spec.transform.read(*s);
                                else v = spec.transform.read_list(std::get<std::vector<cmp::Record>>(f->value));
                            }
                        self->dev.set_stored(self->t.params()[pi], it.inst, v);
                    }
            if (p.on_set->reset) self->dev.set_stored(p, it.inst, *p.on_set->reset);
            return self->run_action(k + 1);
        });
    }
};

cpe::Step<cpe::Unit> TableDevice::set_values(const std::vector<cwmp::ParameterValue>& values) {
    auto plan = std::make_shared<SetPlan>(*this);
    std::vector<cwmp::SetParameterValuesFault> faults;
    auto refuse = [&](const std::string& name, std::uint32_t code, std::string text) {
        faults.push_back({name, code, text.empty() ? std::string(cwmp::default_fault_string(code)) : std::move(text)});
    };
    for (const auto& pv : values) {
        auto r = resolve_path(*table_, pv.name);
        if (!r || table_->tree()[r->node].param < 0) {
            refuse(pv.name, 9005, "");
            continue;
        }
        Item it;
        it.param = table_->tree()[r->node].param;
        it.inst = r->instance;
        it.name = pv.name;
        const ParamRule& p = table_->params()[it.param];
        if (int row = row_node_of(*table_, r->node); row >= 0 && !row_exists(table_->tree()[row].object, r->instance)) {
            refuse(pv.name, 9005, "");
            continue;
        }
        if (!p.writable) {
            refuse(pv.name, 9008, "");
            continue;
        }
        if (auto st = datamodel::check_value(p.ptype, pv.value); !st) {
            refuse(pv.name, st.error().code == datamodel::kErrType ? 9006 : 9007, st.error().message);
            continue;
        }
        it.value = datamodel::canonical_value(p.ptype, pv.value);
        if (p.source == Source::field) {
            auto w = p.transform.write(it.value);
            if (!w) {
                refuse(pv.name, 9007, "Invalid parameter value: " + w.error().message);
                continue;
            }
            it.cmp_value = std::move(*w);
        }
        plan->items.push_back(std::move(it));
    }
    if (!faults.empty()) {
        cwmp::Fault f = make_fault(9003);
        f.set_parameter_values_faults = std::move(faults);
        return cpe::Step<cpe::Unit>::ready(std::move(f));
    }

    // Group by set function; stored values change now (actions read them).
    std::set<std::string> pre_keys;
    bool rmw = false;
    for (std::size_t ii = 0; ii < plan->items.size(); ++ii) {
        Item& it = plan->items[ii];
        const ParamRule& p = table_->params()[it.param];
        if (p.source == Source::stored) {
            auto key = std::pair{it.param, it.inst};
            if (!plan->old_stored.count(key)) plan->old_stored[key] = stored_value(p, it.inst);
            set_stored(p, it.inst, it.value);
            if (p.on_set && (p.on_set->when.empty() || p.on_set->when == it.value)) plan->actions.push_back(ii);
            continue;
        }
        auto g = std::find_if(plan->groups.begin(), plan->groups.end(),
                              [&](const Group& x) { return x.write->function == p.write->function; });
        if (g == plan->groups.end()) {
            plan->groups.push_back(Group{&*p.write, {}, {}, {}, false});
            g = plan->groups.end() - 1;
        }
        g->items.push_back(ii);
        rmw = rmw || p.write->read_modify_write;
        cmp::Request read = p.read.build(plan->vars(it));
        if (pre_keys.insert(call_key(read)).second) plan->pre_calls.push_back(std::move(read));
    }
    // Reading first is needed to modify whole records, and to undo when more
    // than one gateway call could fail half-way.
    const bool read_first = rmw || (!plan->groups.empty() && plan->groups.size() + plan->actions.size() > 1);
    auto start = [plan]() {
        for (auto& g : plan->groups) {
            g.request = plan->build(g, true);
            g.can_roll_back = !plan->pre.empty();
            if (g.can_roll_back) g.rollback = plan->build(g, false);
        }
        return plan->write_next();
    };
    if (!read_first || plan->pre_calls.empty()) return start();
    return cpe::Step<cpe::Unit>::need(plan->pre_calls, [plan, start](cpe::CallResults r) -> StepU {
        if (r.size() != plan->pre_calls.size())
            return plan->roll_back(0, make_fault(9002, "Internal error: CMP results do not match the plan"));
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (!call_ok(r[i]))
                return plan->roll_back(0, call_fault(plan->t.faults(), FaultContext::set, r[i],
                                                     plan->pre_calls[i].function + " (read before writing)"));
            plan->pre[call_key(plan->pre_calls[i])] = *r[i];
        }
        return start();
    });
}

}  // namespace mapping
