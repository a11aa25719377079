// TableDevice: GetParameterValues and GetParameterNames. Planning first
// collects the distinct CMP requests (one per function and arguments, list
// calls included), then the answers fill in rows and values.
#include <algorithm>
#include <map>

#include "bridge/mapping/table_device.hpp"

namespace mapping {

namespace {

// Argument templates written the same: the same request from the same variables.
bool same_args(const std::vector<ArgSpec>& a, const std::vector<ArgSpec>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].name != b[i].name || a[i].kind != b[i].kind || a[i].value.source() != b[i].value.source() ||
            a[i].items.size() != b[i].items.size())
            return false;
        for (std::size_t j = 0; j < a[i].items.size(); ++j)
            if (!same_args(a[i].items[j], b[i].items[j])) return false;
    }
    return true;
}

bool same_spec(const CallSpec& a, const CallSpec& b) {
    return &a == &b || (a.function == b.function && same_args(a.args, b.args));
}

}  // namespace

struct GetPlan {
    TableDevice& dev;
    const Table& t;
    // A plan holds a handful of calls: flat vectors searched in order cost
    // less than node-based maps keyed by call_key strings (a fifth of the GPV
    // planning's instructions went to building and comparing those keys).
    std::vector<cmp::Request> calls;
    // Per call: whether its failure fails the request. The reads of 'rows:
    // local' rows take their arguments from the ACS (a DevId it typed): a
    // failing one leaves that row's values empty instead.
    std::vector<char> strict;
    struct ListCall {
        int object;
        std::size_t call;
        std::map<std::uint32_t, const cmp::Record*> items;  // by instance, once the answer is in
    };
    std::vector<ListCall> lists;  // list objects whose list call is in the plan
    // The call each planned parameter value reads, sorted by (param,
    // instance) once planning is done: the values are then found without
    // building their requests again.
    struct ParamCall {
        int param;
        std::uint32_t instance;
        std::size_t call;
        bool operator<(const ParamCall& o) const {
            return param != o.param ? param < o.param : instance < o.instance;
        }
    };
    std::vector<ParamCall> param_calls;
    // The read of the parameter planned last: its neighbours share it nearly always.
    struct LastRead {
        const CallSpec* spec = nullptr;
        int object = -1;
        std::uint32_t instance = 0;
        std::size_t call = 0;
    } last_read;
    std::vector<const cmp::Response*> answers;  // by call; null when it failed
    std::size_t planned_values = 0;             // parameters planned: the answer's size, at least

    explicit GetPlan(TableDevice& d) : dev(d), t(*d.table_) {}

    std::size_t need(cmp::Request r, bool is_strict = true) {
        for (std::size_t i = 0; i < calls.size(); ++i)
            if (same_call(calls[i], r)) {
                strict[i] |= is_strict;
                return i;
            }
        calls.push_back(std::move(r));
        strict.push_back(is_strict);
        return calls.size() - 1;
    }
    void need_list(int obj) {
        for (const ListCall& l : lists)
            if (l.object == obj) return;
        lists.push_back({obj, need(t.objects()[obj].read.build({})), {}});
    }
    // Planning is done: param_calls sorted for lookups.
    void seal() { std::sort(param_calls.begin(), param_calls.end()); }
    const ParamCall* param_call(int pi, std::uint32_t inst) const {
        ParamCall key{pi, inst, 0};
        auto it = std::lower_bound(param_calls.begin(), param_calls.end(), key);
        return it != param_calls.end() && it->param == pi && it->instance == inst ? &*it : nullptr;
    }
    const std::map<std::uint32_t, const cmp::Record*>* items_of(int obj) const {
        for (const ListCall& l : lists)
            if (l.object == obj) return &l.items;
        return nullptr;
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
        ++planned_values;
        if (p.source == Source::count) {
            for (int c : t.tree()[p.count_node].children)
                if (t.tree()[c].kind == TreeNode::Kind::row && t.objects()[t.tree()[c].object].kind == ObjectKind::list)
                    need_list(t.tree()[c].object);
            return;
        }
        if (p.source != Source::field && p.source != Source::templ) return;
        if (t.objects()[p.object].kind == ObjectKind::list) return need_list(p.object);
        // Same object, row and read as the parameter before: the same request, not built again.
        if (last_read.spec && last_read.object == p.object && last_read.instance == inst &&
            same_spec(*last_read.spec, p.read))
            return param_calls.push_back({pi, inst, last_read.call});
        Vars vars = dev.row_vars(p.object, inst);
        const bool rows = t.objects()[p.object].kind == ObjectKind::rows;
        if (rows)
            for (const auto& ref : p.read.refs())
                if (vars(ref).value_or("").empty()) return;  // a row not filled in yet: nothing to ask
        const std::size_t call = need(p.read.build(vars), !rows);
        param_calls.push_back({pi, inst, call});
        last_read = {&p.read, p.object, inst, call};
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
            if (!call_ok(results[i])) {
                if (!strict[i]) continue;
                return call_fault(t.faults(), FaultContext::get, results[i], calls[i].function);
            }
            answers[i] = &*results[i];
        }
        // In object order, as before: apply_list numbers new rows.
        std::vector<ListCall*> by_object;
        by_object.reserve(lists.size());
        for (ListCall& l : lists) by_object.push_back(&l);
        std::sort(by_object.begin(), by_object.end(), [](auto* a, auto* b) { return a->object < b->object; });
        for (ListCall* l : by_object)
            if (answers[l->call]) l->items = dev.apply_list(l->object, *answers[l->call]);
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
                    if (const auto* items = items_of(p.object))
                        if (auto r = items->find(inst); r != items->end()) rec = r->second;
                } else if (const ParamCall* pc = param_call(pi, inst)) {
                    if (answers[pc->call]) rec = &answers[pc->call]->fields;
                } else {
                    // Not planned for this row (a row a list answer brought): the same call may be in the plan.
                    const cmp::Request r = p.read.build(vars);
                    for (std::size_t i = 0; i < calls.size(); ++i)
                        if (answers[i] && same_call(calls[i], r)) {
                            rec = &answers[i]->fields;
                            break;
                        }
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
        datamodel::canonicalize_reported(p.ptype, v);
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
    // What the answer needs besides the plan, kept with it: the continuation is
    // copied as it travels through Steps, a shared pointer is cheap to copy.
    struct Request {
        explicit Request(TableDevice& d) : plan(d) {}
        GetPlan plan;
        std::vector<Want> wants;
        std::vector<std::string> names;  // for fault messages
    };
    auto req = std::make_shared<Request>(*this);
    GetPlan& plan = req->plan;
    req->wants.reserve(names.size());
    for (const auto& raw : names) {
        auto r = resolve_path(*table_, raw.empty() ? std::string_view(table_->root()) : std::string_view(raw));
        if (!r) return StepT::ready(make_fault(9005, "Invalid parameter name: " + raw));
        Want w{*r};
        if (int row = row_node_of(*table_, r->node); row >= 0) {
            w.in_row = true;
            w.row_object = table_->tree()[row].object;
            // Local rows are known now; list rows once the list is in.
            if (table_->objects()[w.row_object].kind == ObjectKind::rows && !row_exists(w.row_object, r->instance))
                return StepT::ready(make_fault(9005, "Invalid parameter name: " + raw));
        }
        req->wants.push_back(w);
        if (w.in_row && table_->objects()[w.row_object].kind == ObjectKind::list) plan.need_list(w.row_object);
        plan.plan_values(r->node, w.in_row ? std::optional(r->instance) : std::nullopt);
    }
    plan.seal();
    req->names = names;
    auto finish = [this, req](cpe::CallResults results) -> StepT {
        GetPlan& plan = req->plan;
        if (auto f = plan.take(results)) return StepT::ready(*f);
        std::vector<cwmp::ParameterValue> out;
        out.reserve(plan.planned_values);
        for (std::size_t i = 0; i < req->wants.size(); ++i) {
            const Want& w = req->wants[i];
            if (w.in_row && !row_exists(w.row_object, w.at.instance))
                return StepT::ready(make_fault(9005, "Invalid parameter name: " + req->names[i]));
            plan.emit_values(w.at.node, w.in_row ? std::optional(w.at.instance) : std::nullopt, out);
        }
        return StepT::ready(std::move(out));
    };
    if (plan.calls.empty()) return finish({});
    return StepT::need(plan.calls, std::move(finish));
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
