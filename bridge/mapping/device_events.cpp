// TableDevice: CMP subscriptions behind Notification attributes, and gateway
// messages turned into parameter value changes.
#include <algorithm>
#include <functional>
#include <memory>

#include "bridge/mapping/table_device.hpp"

namespace mapping {
namespace {

using StepU = cpe::Step<cpe::Unit>;

std::optional<std::string> event_value(const ValueSpec& v, const ParamRule& p, const cmp::Record& args, const Vars& vars) {
    if (v.constant) return *v.constant;
    const std::string* s = v.field.scalar(args, vars);
    if (!s) return std::nullopt;
    // The rule's own transform, else the parameter's (the same gateway value
    // means the same thing whether polled or pushed).
    std::string out = v.transform.identity() ? p.transform.read(*s) : v.transform.read(*s);
    if (datamodel::check_value(p.ptype, out, false)) out = datamodel::canonical_value(p.ptype, out);
    return out;
}

struct Change {
    std::string path;  // instance path of the parameter
    int param;
    std::uint32_t inst;
    bool subscribe;
};

}  // namespace

cpe::Step<cpe::Unit> TableDevice::notification_changed(const std::string& raw, int notification) {
    std::string path = raw.empty() ? table_->root() : raw;
    auto r = resolve_path(*table_, path);
    if (!r) return StepU::ready(make_fault(9005, "Invalid parameter name: " + raw));
    const auto& tree = table_->tree();
    std::vector<Change> changes;
    // Every subscribable parameter instance at or below the path.
    std::function<void(int, std::optional<std::uint32_t>)> visit = [&](int node, std::optional<std::uint32_t> inst) {
        const TreeNode& n = tree[node];
        if (n.kind == TreeNode::Kind::param) {
            const ParamRule& p = table_->params()[n.param];
            if (!p.notify) return;
            std::string ip = instance_path(p.path, inst.value_or(0));
            bool active = state_.subscriptions.count(ip) > 0;
            if ((notification != 0) != active) changes.push_back({ip, n.param, inst.value_or(0), notification != 0});
            return;
        }
        if (n.kind == TreeNode::Kind::row) {
            if (table_->objects()[n.object].kind != ObjectKind::rows) return;
            for (std::uint32_t i : inst ? std::vector<std::uint32_t>{*inst} : rows_of(n.object))
                if (row_exists(n.object, i))
                    for (int c : n.children) visit(c, i);
            return;
        }
        for (int c : n.children) visit(c, inst);
    };
    const bool in_row = row_node_of(*table_, r->node) >= 0;
    visit(r->node, in_row ? std::optional(r->instance) : std::nullopt);
    if (changes.empty()) return StepU::ready(cpe::Unit{});

    std::vector<cmp::Request> calls;
    for (const auto& c : changes) {
        const ParamRule& p = table_->params()[c.param];
        Vars vars = row_vars(p.object, c.inst);
        if (c.subscribe) {
            calls.push_back(p.notify->subscribe.build(vars));
        } else {
            std::string id = state_.subscriptions[c.path];
            calls.push_back(p.notify->unsubscribe.build([&](std::string_view n) {
                return n == "$id" ? std::optional(id) : vars(n);
            }));
        }
    }
    return StepU::need(std::move(calls), [this, changes](cpe::CallResults res) -> StepU {
        std::optional<cwmp::Fault> fault;
        for (std::size_t i = 0; i < changes.size(); ++i) {
            const Change& c = changes[i];
            const ParamRule& p = table_->params()[c.param];
            const core::Result<cmp::Response> r =
                i < res.size() ? res[i] : core::Result<cmp::Response>(core::make_error("cmp.plan", "no result"));
            const bool gone = r && r->result_code == cmp::result_code::subscription_not_found;
            if (!call_ok(r) && !(gone && !c.subscribe)) {
                if (!fault) {
                    const auto& fn = c.subscribe ? p.notify->subscribe.function : p.notify->unsubscribe.function;
                    fault = call_fault(table_->faults(), FaultContext::notify, r, fn + " for " + c.path);
                }
                continue;
            }
            if (c.subscribe) {
                const std::string* id = p.notify->id_field.scalar(r->fields);
                state_.subscriptions[c.path] = id ? *id : std::string();
            } else {
                state_.subscriptions.erase(c.path);
            }
            touch();
        }
        if (fault) return StepU::ready(*fault);
        return StepU::ready(cpe::Unit{});
    });
}

cpe::Step<cpe::Unit> TableDevice::renew_subscriptions() {
    std::vector<Change> changes;
    for (auto it = state_.subscriptions.begin(); it != state_.subscriptions.end();) {
        auto r = resolve_path(*table_, it->first);
        int pi = r ? table_->tree()[r->node].param : -1;
        int row = r ? row_node_of(*table_, r->node) : -1;
        bool ok = pi >= 0 && table_->params()[pi].notify && (row < 0 || row_exists(table_->tree()[row].object, r->instance));
        if (!ok) {
            it = state_.subscriptions.erase(it);  // the row or the rule is gone
            touch();
            continue;
        }
        changes.push_back({it->first, pi, r->instance, true});
        ++it;
    }
    if (changes.empty()) return StepU::ready(cpe::Unit{});
    std::vector<cmp::Request> calls;
    for (const auto& c : changes) {
        const ParamRule& p = table_->params()[c.param];
        calls.push_back(p.notify->subscribe.build(row_vars(p.object, c.inst)));
    }
    return StepU::need(std::move(calls), [this, changes](cpe::CallResults res) -> StepU {
        std::optional<cwmp::Fault> fault;
        for (std::size_t i = 0; i < changes.size() && i < res.size(); ++i) {
            const ParamRule& p = table_->params()[changes[i].param];
            if (!call_ok(res[i])) {
                if (!fault) fault = call_fault(table_->faults(), FaultContext::notify, res[i], changes[i].path);
                continue;
            }
            const std::string* id = p.notify->id_field.scalar(res[i]->fields);
            state_.subscriptions[changes[i].path] = id ? *id : std::string();
            touch();
        }
        if (fault) return StepU::ready(*fault);
        return StepU::ready(cpe::Unit{});
    });
}

std::vector<cwmp::ParameterValue> TableDevice::translate_event(const cmp::Request& msg) {
    std::vector<cwmp::ParameterValue> out;
    for (const EventRule& e : table_->events()) {
        if (e.message != msg.function) continue;
        if (!e.subscription.empty()) {
            const std::string* id = e.subscription.scalar(msg.args);
            if (!id) continue;
            for (const auto& [ipath, sid] : state_.subscriptions) {
                if (sid != *id) continue;
                auto r = resolve_path(*table_, ipath);
                if (!r || table_->tree()[r->node].param < 0) continue;
                const ParamRule& p = table_->params()[table_->tree()[r->node].param];
                auto v = event_value(e.value, p, msg.args, row_vars(p.object, r->instance));
                if (!v) continue;  // this message does not carry this parameter's variable
                if (p.source == Source::stored) set_stored(p, r->instance, *v);
                out.push_back({ipath, p.hidden ? std::string() : *v, p.type});
            }
            continue;
        }
        const ObjectRule& o = table_->objects()[e.object];
        std::uint32_t inst = 0;
        if (o.kind == ObjectKind::list) {
            const std::string* key = e.key.scalar(msg.args);
            if (!key) continue;
            ListState& l = state_.lists[e.object];
            inst = l.assign(*key);
            if (!l.is_present(inst)) {
                // A row the ACS has not seen: its table's count changes too.
                auto present = l.present;
                present.push_back(inst);
                l.set_present(std::move(present));
                touch();
                int row = table_->node_of(o.path);
                int table_node = row >= 0 ? table_->tree()[row].parent : -1;
                for (const ParamRule& p : table_->params())
                    if (p.source == Source::count && p.count_node == table_node)
                        out.push_back({p.path, std::to_string(count_rows(table_node)), p.type});
            }
        }
        for (const auto& [pi, spec] : e.values) {
            const ParamRule& p = table_->params()[pi];
            auto v = event_value(spec, p, msg.args, row_vars(e.object, inst));
            if (!v) continue;
            if (p.source == Source::stored) set_stored(p, inst, *v);
            out.push_back({instance_path(p.path, inst), p.hidden ? std::string() : *v, p.type});
        }
    }
    return out;
}

}  // namespace mapping
