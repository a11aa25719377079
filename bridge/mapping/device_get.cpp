// TableDevice: GetParameterValues and GetParameterNames. Planning first
// collects the distinct CMP requests (one per function and arguments, list
// calls included), then the answers fill in rows and values.
#include <algorithm>
#include <map>
#include <set>

#include "bridge/mapping/table_device.hpp"

namespace mapping {

struct GetPlan {
    TableDevice& dev;
    const Table& t;
    std::vector<cmp::Request> calls;
    std::map<std::string, std::size_t> index;
    std::set<int> lists;  // list objects whose list call is in the plan
    // Calls whose failure fails the request. The reads of 'rows: local' rows
    // take their arguments from the ACS (a DevId it typed): a failing one
    // leaves that row's values empty instead.
    std::set<std::string> strict;
    std::map<std::string, const cmp::Response*> responses;
    std::map<int, std::map<std::uint32_t, const cmp::Record*>> items;
    // The call each planned parameter value reads (param, instance) -> index
    // in calls, and each call's answer by index (null when it failed): the
    // values are then found without building their requests and keys again.
    std::map<std::pair<int, std::uint32_t>, std::size_t> param_call;
    std::vector<const cmp::Response*> answers;

    explicit GetPlan(TableDevice& d) : dev(d), t(*d.table_) {}

    std::size_t need(cmp::Request r, bool is_strict = true) {
        std::string k = call_key(r);
        if (is_strict) strict.insert(k);
        auto [it, added] = index.emplace(std::move(k), calls.size());
        if (added) calls.push_back(std::move(r));
        return it->second;
    }
    void need_list(int obj) {
        if (lists.insert(obj).second) need(t.objects()[obj].read.build({}));
    }
    std::vector<std::uint32_t> instances(int row_node, std::optional<std::uint32_t> only) const {
        if (only) return {*only};
        return dev.rows_of(t.tree()[row_node].object);
    }

    // Values: every call the subtree needs.
    void plan_values(int node, std::optional<std::uint32_t> inst) {
        const TreeNode& n = t.tree()[node];
        if (n.kind == TreeNode::Kind::param) return plan_param(n.param, inst.value_or(0));
        if (n.kind == TreeNode::Kind::row) {
            if (t.objects()[n.object].kind == ObjectKind::list) return need_list(n.object);
            for (std::uint32_t i : instances(node, inst))
                for (int c : n.children) plan_values(c, i);
            return;
        }
        for (int c : n.children) plan_values(c, inst);
    }
    void plan_param(int pi, std::uint32_t inst) {
        const ParamRule& p = t.params()[pi];
        if (p.source == Source::count) {
            for (int c : t.tree()[p.count_node].children)
                if (t.tree()[c].kind == TreeNode::Kind::row && t.objects()[t.tree()[c].object].kind == ObjectKind::list)
                    need_list(t.tree()[c].object);
            return;
        }
        if (p.source != Source::field && p.source != Source::templ) return;
        if (t.objects()[p.object].kind == ObjectKind::list) return need_list(p.object);
        Vars vars = dev.row_vars(p.object, inst);
        const bool rows = t.objects()[p.object].kind == ObjectKind::rows;
        if (rows)
            for (const auto& ref : p.read.refs())
                if (vars(ref).value_or("").empty()) return;  // a row not filled in yet: nothing to ask
        param_call[{pi, inst}] = need(p.read.build(vars), !rows);
    }
    // Names: only the list calls that tell which rows exist.
    void plan_names(int node, bool recurse) {
        const TreeNode& n = t.tree()[node];
        for (int c : n.children) {
            if (t.tree()[c].kind == TreeNode::Kind::row && t.objects()[t.tree()[c].object].kind == ObjectKind::list)
                need_list(t.tree()[c].object);
            if (recurse) plan_names(c, true);
        }
        if (n.kind == TreeNode::Kind::row && t.objects()[n.object].kind == ObjectKind::list) need_list(n.object);
    }

    // Checks the answers; applies list answers. A fault when a call failed.
    std::optional<cwmp::Fault> take(const cpe::CallResults& results) {
        if (results.size() != calls.size()) return make_fault(9002, "Internal error: CMP results do not match the plan");
        answers.assign(calls.size(), nullptr);
        for (std::size_t i = 0; i < calls.size(); ++i) {
            std::string k = call_key(calls[i]);
            if (!call_ok(results[i])) {
                if (!strict.count(k)) continue;
                return call_fault(t.faults(), FaultContext::get, results[i], calls[i].function);
            }
            responses[k] = &*results[i];
            answers[i] = &*results[i];
        }
        for (int obj : lists) {
            auto it = responses.find(call_key(t.objects()[obj].read.build({})));
            if (it != responses.end()) items[obj] = dev.apply_list(obj, *it->second);
        }
        return std::nullopt;
    }

    std::string value(int pi, std::uint32_t inst) const {
        const ParamRule& p = t.params()[pi];
        std::string v;
        switch (p.source) {
            case Source::constant: v = p.value; break;
            case Source::stored: v = dev.stored_value(p, inst).value_or(p.value); break;
            case Source::count: v = std::to_string(dev.count_rows(p.count_node)); break;
            case Source::field:
            case Source::templ: {
                const cmp::Record* rec = nullptr;
                Vars vars = dev.row_vars(p.object, inst);
                if (t.objects()[p.object].kind == ObjectKind::list) {
                    if (auto it = items.find(p.object); it != items.end())
                        if (auto r = it->second.find(inst); r != it->second.end()) rec = r->second;
                } else if (auto pc = param_call.find({pi, inst}); pc != param_call.end()) {
                    if (pc->second < answers.size() && answers[pc->second]) rec = &answers[pc->second]->fields;
                } else if (auto it = responses.find(call_key(p.read.build(vars))); it != responses.end()) {
                    rec = &it->second->fields;
                }
                if (!rec) break;
                if (p.source == Source::templ) {
                    v = p.templ.expand([&](std::string_view ref) -> std::optional<std::string> {
                        auto fp = FieldPath::parse(ref);
                        if (!fp) return std::nullopt;
                        const std::string* s = p.field_path.join(*fp).scalar(*rec, vars);
                        return s ? std::optional(*s) : std::nullopt;
                    });
                    break;
                }
                const cmp::Field* f = p.field_path.find(*rec, vars);
                if (!f) v = p.transform.fallback ? p.transform.read(*p.transform.fallback) : std::string();
                else if (const auto* s = std::get_if<std::string>(&f->value)) v = p.transform.read(*s);
                else v = p.transform.read_list(std::get<std::vector<cmp::Record>>(f->value));
                break;
            }
        }
        if (p.hidden) return {};
        // Canonical form when the gateway's value is valid; never filtered.
        if (datamodel::check_value(p.ptype, v, false)) return datamodel::canonical_value(p.ptype, v);
        return v;
    }

    void emit_values(int node, std::optional<std::uint32_t> inst, std::vector<cwmp::ParameterValue>& out) const {
        const TreeNode& n = t.tree()[node];
        if (n.kind == TreeNode::Kind::param) {
            const ParamRule& p = t.params()[n.param];
            out.push_back({instance_path(p.path, inst.value_or(0)), value(n.param, inst.value_or(0)), p.type});
            return;
        }
        if (n.kind == TreeNode::Kind::row) {
            for (std::uint32_t i : instances(node, inst))
                for (int c : n.children) emit_values(c, i, out);
            return;
        }
        for (int c : n.children) emit_values(c, inst, out);
    }

    cpe::NodeInfo info(int node, std::optional<std::uint32_t> inst) const {
        const TreeNode& n = t.tree()[node];
        cpe::NodeInfo i;
        i.path = instance_path(n.path, inst.value_or(0));
        i.is_object = n.kind != TreeNode::Kind::param;
        i.writable = n.writable;
        if (n.param >= 0) i.type = t.params()[n.param].type;
        return i;
    }

    void emit_names(int node, std::optional<std::uint32_t> inst, bool recurse, std::vector<cpe::NodeInfo>& out) const {
        for (int c : t.tree()[node].children) {
            if (t.tree()[c].kind == TreeNode::Kind::row) {
                for (std::uint32_t i : dev.rows_of(t.tree()[c].object)) {
                    out.push_back(info(c, i));
                    if (recurse) emit_names(c, i, true, out);
                }
                continue;
            }
            out.push_back(info(c, inst));
            if (recurse) emit_names(c, inst, true, out);
        }
    }
};

namespace {

struct Want {
    Resolved at;
    bool in_row = false;  // the path names one row (or something in it)
    int row_object = -1;
};

}  // namespace

cpe::Step<std::vector<cwmp::ParameterValue>> TableDevice::get_values(const std::vector<std::string>& names) {
    using StepT = cpe::Step<std::vector<cwmp::ParameterValue>>;
    auto plan = std::make_shared<GetPlan>(*this);
    std::vector<Want> wants;
    for (const auto& raw : names) {
        std::string name = raw.empty() ? table_->root() : raw;
        auto r = resolve_path(*table_, name);
        if (!r) return StepT::ready(make_fault(9005, "Invalid parameter name: " + raw));
        Want w{*r};
        if (int row = row_node_of(*table_, r->node); row >= 0) {
            w.in_row = true;
            w.row_object = table_->tree()[row].object;
            // Local rows are known now; list rows once the list is in.
            if (table_->objects()[w.row_object].kind == ObjectKind::rows && !row_exists(w.row_object, r->instance))
                return StepT::ready(make_fault(9005, "Invalid parameter name: " + raw));
        }
        wants.push_back(w);
        if (w.in_row && table_->objects()[w.row_object].kind == ObjectKind::list) plan->need_list(w.row_object);
        plan->plan_values(r->node, w.in_row ? std::optional(r->instance) : std::nullopt);
    }
    auto finish = [this, plan, wants, names](cpe::CallResults results) -> StepT {
        if (auto f = plan->take(results)) return StepT::ready(*f);
        std::vector<cwmp::ParameterValue> out;
        for (std::size_t i = 0; i < wants.size(); ++i) {
            const Want& w = wants[i];
            if (w.in_row && !row_exists(w.row_object, w.at.instance))
                return StepT::ready(make_fault(9005, "Invalid parameter name: " + names[i]));
            plan->emit_values(w.at.node, w.in_row ? std::optional(w.at.instance) : std::nullopt, out);
        }
        return StepT::ready(std::move(out));
    };
    if (plan->calls.empty()) return finish({});
    return StepT::need(plan->calls, std::move(finish));
}

cpe::Step<std::vector<cpe::NodeInfo>> TableDevice::get_names(const std::string& raw, bool next_level) {
    using StepT = cpe::Step<std::vector<cpe::NodeInfo>>;
    std::string path = raw.empty() ? table_->root() : raw;
    if (raw.empty() && next_level) {
        // TR-069 A.3.2.3: an empty path with NextLevel lists the root object only.
        std::vector<cpe::NodeInfo> out{{table_->root(), true, false, ""}};
        return StepT::ready(std::move(out));
    }
    auto r = resolve_path(*table_, path);
    if (!r) return StepT::ready(make_fault(9005, "Invalid parameter name: " + raw));
    const bool is_param = table_->tree()[r->node].kind == TreeNode::Kind::param;
    if (is_param && next_level)
        return StepT::ready(make_fault(9003, "Invalid arguments: NextLevel true on a parameter"));
    auto plan = std::make_shared<GetPlan>(*this);
    int row = row_node_of(*table_, r->node);
    int row_object = row >= 0 ? table_->tree()[row].object : -1;
    if (row_object >= 0 && table_->objects()[row_object].kind == ObjectKind::list) plan->need_list(row_object);
    plan->plan_names(r->node, !next_level);
    std::optional<std::uint32_t> inst = row >= 0 ? std::optional(r->instance) : std::nullopt;
    auto finish = [this, plan, r, inst, row_object, next_level, raw](cpe::CallResults results) -> StepT {
        if (auto f = plan->take(results)) return StepT::ready(*f);
        if (row_object >= 0 && !row_exists(row_object, r->instance))
            return StepT::ready(make_fault(9005, "Invalid parameter name: " + raw));
        std::vector<cpe::NodeInfo> out;
        if (!next_level) out.push_back(plan->info(r->node, inst));
        plan->emit_names(r->node, inst, !next_level, out);
        return StepT::ready(std::move(out));
    };
    if (plan->calls.empty()) return finish({});
    return StepT::need(plan->calls, std::move(finish));
}

}  // namespace mapping
