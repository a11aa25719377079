// Gateway -> HOMS messages from what a CPE reports: the table's `events:`
// rules read backwards (a row parameter turning to the rule's constant is the
// join/leave; alert parameters become the alert's fields), subscriptions, and
// the completion message of a transfer.
#include <algorithm>
#include <set>

#include "bridge/mapping/reverse_call.hpp"
#include "bridge/mapping/reverse_util.hpp"

namespace mapping {
namespace {

using Values = std::map<std::string, std::string, std::less<>>;

// A CPE value as the message field an event rule reads it from: the inverse of the rule's own
// transform, else of the parameter's (the forward side applies them the same way, device_events.cpp).
std::optional<std::string> event_value_back(const ValueSpec& v, const ParamRule* p, const std::string& value) {
    if (!v.transform.identity()) {
        auto w = v.transform.write(value);
        return w ? std::optional(*w) : std::nullopt;
    }
    return p ? reverse_read(*p, value) : std::optional(value);
}

bool complete(const cmp::FunctionSpec& spec, const cmp::Record& args) {
    return std::all_of(spec.request.begin(), spec.request.end(),
                       [&](const cmp::FieldSpec& f) { return !f.required || args.has(f.name); });
}

// A message field from reverse.fields, else from the row parameter reading the same field name.
std::optional<std::string> message_field(const ReverseMapping& m, const EventRule& e, const std::string& field,
                                         const Values& values, const std::string& row) {
    const Table& t = m.table();
    if (const auto* srcs = m.override_of(e.message, field))
        for (const auto& s : *srcs)
            if (auto v = source_value(t, s, values, row)) return v;
    if (e.object < 0 || t.objects()[e.object].kind != ObjectKind::list) return std::nullopt;
    for (int pi : t.objects()[e.object].params) {
        const ParamRule& p = t.params()[pi];
        if (p.source != Source::field || p.field_path.leaf() != field) continue;
        ReverseSource s;
        s.param = pi;
        if (auto v = source_value(t, s, values, row)) return v;
    }
    return std::nullopt;
}

}  // namespace

std::optional<cmp::Request> subscription_event(const ReverseMapping& m, const std::string& event_id,
                                               ReverseEventState::Subscription& sub,
                                               const std::vector<std::pair<std::string, std::string>>& values,
                                               bool initial) {
    const Table& t = m.table();
    auto rule = std::find_if(t.events().begin(), t.events().end(), [](const EventRule& e) { return !e.subscription.empty(); });
    if (rule == t.events().end()) return std::nullopt;
    const cmp::FunctionSpec* spec = t.catalogue().find(rule->message);
    if (!spec) return std::nullopt;
    cmp::Request msg;
    msg.function = rule->message;
    rule->subscription.assign(msg.args, event_id);
    // The subscription's own arguments the message repeats (devId).
    for (const auto& f : sub.args.fields)
        if (!f.is_list() && spec->request_field(f.name) && !msg.args.has(f.name)) msg.args.set(f.name, std::get<0>(f.value));
    bool any = false;
    for (const auto& [path, value] : values) {
        auto it = sub.vars.find(path);
        if (it == sub.vars.end()) continue;
        const std::string name = it->second;
        // The subscribed parameter's rule (for its transform).
        const ParamRule* p = nullptr;
        for (const auto& r : t.params())
            if (r.notify && path.rfind(table_prefix(r.path), 0) == 0 && path.size() > r.name.size() &&
                path.compare(path.size() - r.name.size(), r.name.size(), r.name) == 0)
                p = &r;
        auto v = event_value_back(rule->value, p, value);
        if (!v) continue;
        rule->value.field.assign(msg.args, *v, [&](std::string_view) { return std::optional(name); });
        any = true;
    }
    if (!any) return std::nullopt;
    if (spec->request_field("seq")) {
        sub.seq = initial ? 0 : sub.seq + 1;
        msg.args.set("seq", std::to_string(sub.seq));
    }
    return msg;
}

namespace {

bool has_value_change(const cwmp::Inform& inform) {
    return std::any_of(inform.events.begin(), inform.events.end(),
                       [](const cwmp::EventStruct& e) { return e.event_code == "4 VALUE CHANGE"; });
}

// Rows of list-object event rules whose trigger parameter the Inform carries with the rule's value.
std::map<const EventRule*, std::set<std::string>> triggered_rows(const Table& t,
                                                                 const std::vector<std::pair<std::string, std::string>>& changed) {
    std::map<const EventRule*, std::set<std::string>> out;
    for (const EventRule& e : t.events()) {
        if (!e.subscription.empty() || e.object < 0 || t.objects()[e.object].kind != ObjectKind::list) continue;
        const std::string prefix = table_prefix(t.objects()[e.object].path);
        for (const auto& [pi, v] : e.values) {
            if (!v.constant) continue;
            const ParamRule& p = t.params()[pi];
            for (const auto& [path, value] : changed) {
                if (path.rfind(prefix, 0) != 0) continue;
                auto dot = path.find('.', prefix.size());
                if (dot == std::string::npos || path.substr(dot + 1) != p.name) continue;
                if (canonical(p, value) == *v.constant) out[&e].insert(path.substr(0, dot + 1));
            }
        }
    }
    return out;
}

// The NumberOfEntries parameter counting a list object's rows ("...HostNumberOfEntries"); nullptr if none.
const ParamRule* count_of(const Table& t, int object) {
    int row = t.node_of(t.objects()[object].path);
    int table = row >= 0 ? t.tree()[row].parent : -1;
    for (const auto& p : t.params())
        if (p.source == Source::count && p.count_node == table && table >= 0) return &p;
    return nullptr;
}

// List objects that event rules watch, each once.
std::set<int> event_lists(const Table& t) {
    std::set<int> out;
    for (const auto& e : t.events())
        if (e.subscription.empty() && e.object >= 0 && t.objects()[e.object].kind == ObjectKind::list) out.insert(e.object);
    return out;
}

std::vector<std::pair<std::string, std::string>> changes_of(const cwmp::Inform& inform, const ReverseEventState& state) {
    std::vector<std::pair<std::string, std::string>> changed;
    for (const auto& p : inform.parameters) {
        const std::string* prev = state.value(p.name);
        if (!prev || *prev != p.value) changed.emplace_back(p.name, p.value);
    }
    return changed;
}

}  // namespace

std::vector<std::string> reverse_event_reads(const ReverseMapping& m, const cwmp::Inform& inform,
                                             const ReverseEventState& state) {
    std::vector<std::string> out;
    if (!has_value_change(inform)) return out;
    Values values = state.values;
    for (const auto& p : inform.parameters) values[p.name] = p.value;
    const auto changed = changes_of(inform, state);
    // A table whose count changed: rows came or went without a value change of their own
    // (CPEs delete a Host when its lease ends): the whole table is read.
    for (int oi : event_lists(m.table()))
        if (const ParamRule* c = count_of(m.table(), oi))
            if (std::any_of(changed.begin(), changed.end(), [&](const auto& x) { return x.first == c->path; }))
                out.push_back(table_prefix(m.table().objects()[oi].path));
    for (const auto& [e, rows] : triggered_rows(m.table(), changed)) {
        const cmp::FunctionSpec* spec = m.table().catalogue().find(e->message);
        if (!spec) continue;
        for (const auto& row : rows) {
            bool missing = std::any_of(spec->request.begin(), spec->request.end(), [&](const cmp::FieldSpec& fs) {
                return fs.required && !message_field(m, *e, fs.name, values, row);
            });
            if (missing && std::find(out.begin(), out.end(), row) == out.end()) out.push_back(row);
        }
    }
    return out;
}

std::vector<cmp::Request> reverse_events(const ReverseMapping& m, const cwmp::Inform& inform, ReverseEventState& state,
                                         const std::vector<cwmp::ParameterValue>& read) {
    const Table& t = m.table();
    auto changed = changes_of(inform, state);
    std::vector<cmp::Request> out;
    // Rows of counted tables the caller read again (reverse_event_reads): the ones that went send
    // the rule whose trigger value differs from their last one (Active was true: leave); the new
    // ones count as changes of their trigger parameters (Active true: join).
    Values fresh;
    for (const auto& p : read) fresh[p.name] = p.value;
    for (int oi : has_value_change(inform) ? event_lists(t) : std::set<int>{}) {
        const ParamRule* c = count_of(t, oi);
        auto cv = c ? std::find_if(changed.begin(), changed.end(), [&](const auto& x) { return x.first == c->path; })
                    : changed.end();
        if (cv == changed.end()) continue;
        const std::string prefix = table_prefix(t.objects()[oi].path);
        const auto before = instances_in(state.values, prefix);
        const auto now = instances_in(fresh, prefix);
        if (std::to_string(now.size()) != cv->second) continue;  // not (completely) read: nothing to compare
        for (std::uint32_t i : now)
            if (!std::binary_search(before.begin(), before.end(), i))
                for (auto it = fresh.lower_bound(prefix + std::to_string(i) + ".");
                     it != fresh.end() && it->first.rfind(prefix + std::to_string(i) + ".", 0) == 0; ++it)
                    changed.emplace_back(it->first, it->second);
        for (std::uint32_t i : before) {
            if (std::binary_search(now.begin(), now.end(), i)) continue;
            const std::string row = prefix + std::to_string(i) + ".";
            for (const EventRule& e : t.events()) {
                if (e.object != oi || !e.subscription.empty()) continue;
                const cmp::FunctionSpec* spec = t.catalogue().find(e.message);
                bool fires = false;
                for (const auto& [pi, v] : e.values) {
                    const std::string* last = v.constant ? state.value(row + t.params()[pi].name) : nullptr;
                    const ParamRule& p = t.params()[pi];
                    fires = fires || (last && canonical(p, *last) != *v.constant);
                }
                if (!fires || !spec) continue;
                cmp::Request msg;
                msg.function = e.message;
                for (const auto& fs : spec->request)
                    if (auto v = message_field(m, e, fs.name, state.values, row)) msg.args.set(fs.name, *v);
                if (complete(*spec, msg.args)) out.push_back(std::move(msg));
            }
            std::erase_if(state.values, [&](const auto& kv) { return kv.first.rfind(row, 0) == 0; });
        }
    }
    for (const auto& p : inform.parameters) state.remember(p.name, p.value);
    for (const auto& p : read) state.remember(p.name, p.value);
    if (!has_value_change(inform) || changed.empty()) return out;

    for (auto& [id, sub] : state.subscriptions)
        if (auto msg = subscription_event(m, id, sub, changed, false)) out.push_back(std::move(*msg));

    for (const EventRule& e : t.events()) {
        if (!e.subscription.empty() || e.object < 0) continue;
        const ObjectRule& o = t.objects()[e.object];
        const cmp::FunctionSpec* spec = t.catalogue().find(e.message);
        if (!spec) continue;
        if (o.kind == ObjectKind::list) {
            // A row parameter taking the rule's constant (Active -> "true": join) is the event.
            const auto triggered = triggered_rows(t, changed);
            auto it = triggered.find(&e);
            if (it == triggered.end()) continue;
            const std::set<std::string>& rows = it->second;
            for (const auto& row : rows) {
                cmp::Request msg;
                msg.function = e.message;
                for (const auto& fs : spec->request)
                    if (auto v = message_field(m, e, fs.name, state.values, row)) msg.args.set(fs.name, *v);
                // Without its key or a required field the message would be refused: not sent.
                if (complete(*spec, msg.args)) out.push_back(std::move(msg));
            }
        } else if (o.kind == ObjectKind::fixed) {
            bool touched = std::any_of(e.values.begin(), e.values.end(), [&](const auto& pv) {
                return std::any_of(changed.begin(), changed.end(),
                                   [&](const auto& c) { return c.first == t.params()[pv.first].path; });
            });
            if (!touched) continue;
            cmp::Request msg;
            msg.function = e.message;
            for (const auto& [pi, spec_v] : e.values) {
                if (spec_v.constant) continue;
                const std::string* raw = state.value(t.params()[pi].path);
                if (!raw) continue;
                if (auto v = event_value_back(spec_v, &t.params()[pi], *raw)) spec_v.field.assign(msg.args, *v);
            }
            for (const auto& fs : spec->request)
                if (!msg.args.has(fs.name))
                    if (auto v = message_field(m, e, fs.name, state.values, "")) msg.args.set(fs.name, *v);
            if (complete(*spec, msg.args)) out.push_back(std::move(msg));
        }
    }
    return out;
}

std::optional<cmp::Request> reverse_transfer_complete(const ReverseMapping& m, const cwmp::TransferComplete& tc,
                                                      const ReverseEventState& state) {
    // CommandKeys of operations the bridge started: "cmp:<function>:<transactionId>" (ReverseCall::key).
    const std::string& key = tc.command_key;
    if (key.rfind("cmp:", 0) != 0) return std::nullopt;
    auto colon = key.find(':', 4);
    const TransferRule* rule = m.transfer_of(key.substr(4, colon == std::string::npos ? std::string::npos : colon - 4));
    if (!rule || rule->completion.empty()) return std::nullopt;
    const Table& t = m.table();
    cmp::Request msg;
    msg.function = rule->completion;
    const int code = tc.fault.code == 0 ? cmp::result_code::success : result_code_of_fault(tc.fault.code);
    rule->result_field.assign(msg.args, std::to_string(code));
    if (!rule->start_field.empty()) rule->start_field.assign(msg.args, tc.start_time);
    if (!rule->complete_field.empty()) rule->complete_field.assign(msg.args, tc.complete_time);
    if (const cmp::FunctionSpec* spec = t.catalogue().find(rule->completion))
        for (const auto& fs : spec->request) {
            if (msg.args.has(fs.name)) continue;
            if (const auto* srcs = m.override_of(rule->completion, fs.name))
                for (const auto& s : *srcs)
                    if (auto v = source_value(t, s, state.values, "")) {
                        msg.args.set(fs.name, *v);
                        break;
                    }
        }
    return msg;
}

}  // namespace mapping
