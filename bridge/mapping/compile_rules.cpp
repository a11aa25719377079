// Compiler: CMP calls and their arguments, field paths, transforms, actions,
// subscriptions, gateway events and RPC mappings.
#include <algorithm>

#include "bridge/mapping/compile.hpp"
#include "bridge/mapping/regex.hpp"

namespace mapping {
namespace {

std::string known_names(const std::vector<cmp::FieldSpec>& specs) {
    std::string s;
    for (const auto& f : specs) s += (s.empty() ? "" : ", ") + f.name;
    return s.empty() ? "none" : s;
}

bool positive_int(const YNode& n, std::int64_t& out, std::int64_t max) {
    if (!n.is_scalar() || n.text.empty() || n.text.size() > 12 || n.text.find_first_not_of("0123456789") != std::string::npos)
        return false;
    out = std::stoll(n.text);
    return out >= 1 && out <= max;
}

}  // namespace

const cmp::FunctionSpec* Compiler::function(const YNode& n, bool to_gateway) {
    if (!n.is_scalar() || n.text.empty()) {
        error(n.pos, "expected a CMP function name");
        return nullptr;
    }
    const cmp::FunctionSpec* f = t_->catalogue_->find(n.text);
    if (!f) {
        std::string near;
        std::size_t best = 4;
        for (const auto& g : t_->catalogue_->functions()) {
            std::size_t d = edit_distance(g.name, n.text);
            if (d < best) {
                best = d;
                near = g.name;
            }
        }
        error(n.pos, "unknown CMP function '" + n.text + "'",
              (near.empty() ? std::string() : "did you mean '" + near + "'? ") +
                  "functions are listed in docs/cmp-protocol.md; a table declares others under 'catalogue:'");
        return nullptr;
    }
    if ((f->direction == cmp::Direction::to_gateway) != to_gateway) {
        error(n.pos, "'" + n.text + "' is a " + std::string(cmp::to_string(f->direction)) + " function",
              to_gateway ? "the bridge can only send HOMS -> gateway requests" : "events are gateway -> HOMS messages");
        return nullptr;
    }
    return f;
}

void Compiler::check_refs(const Template& t, const VarSet& vars, const SourcePos& pos) {
    for (const auto& r : t.refs())
        if (!vars.count(r)) {
            std::string known;
            for (const auto& v : vars) known += (known.empty() ? "" : ", ") + v;
            error(pos, "unknown variable '{" + r + "}'", known.empty() ? "no variables here: use literal text"
                                                                       : "known here: " + known);
        }
}

std::vector<ArgSpec> Compiler::parse_args(const YNode& n, const std::vector<cmp::FieldSpec>& specs, const VarSet& vars,
                                          const std::string& where) {
    std::vector<ArgSpec> out;
    if (!n.is_map()) {
        error(n.pos, "arguments of " + where + " are a map of field: value");
        return out;
    }
    for (const auto& [k, v] : n.entries) {
        const cmp::FieldSpec* fs = cmp::find_field(specs, k.text);
        if (!fs) {
            error(k.pos, "unknown argument '" + k.text + "' of " + where, "request fields: " + known_names(specs));
            continue;
        }
        ArgSpec a;
        a.name = k.text;
        a.pos = v.pos;
        if (fs->type == cmp::Type::List) {
            if (v.is_map() && v.get("pairs")) {
                a.kind = ArgSpec::Kind::pairs;
                if (!cmp::find_field(fs->item_fields, "name") || !cmp::find_field(fs->item_fields, "value"))
                    error(v.pos, "'pairs' needs items with name and value fields");
                auto t = Template::parse(v.get("pairs")->text);
                if (!t) error(v.pos, t.error().message);
                else {
                    check_refs(*t, vars, v.pos);
                    a.value = *t;
                }
            } else if (v.is_seq()) {
                a.kind = ArgSpec::Kind::list;
                for (const auto& item : v.items) {
                    a.items.push_back(parse_args(item, fs->item_fields, vars, where + "." + a.name));
                    for (const auto& f : fs->item_fields)
                        if (f.required && std::none_of(a.items.back().begin(), a.items.back().end(),
                                                       [&](const ArgSpec& x) { return x.name == f.name; }))
                            error(item.pos, "missing required field '" + f.name + "' in " + where + "." + a.name);
                }
            } else {
                error(v.pos, "argument '" + a.name + "' is a list", "[ { field: value }, ... ] or { pairs: \"{Var}\" }");
            }
        } else if (v.is_scalar() || v.is_null()) {
            auto t = Template::parse(v.text);
            if (!t) {
                error(v.pos, t.error().message);
                continue;
            }
            check_refs(*t, vars, v.pos);
            if (t->is_literal() && !cmp::valid_lexical(fs->type, v.text))
                error(v.pos, "'" + v.text + "' is not a valid " + std::string(cmp::to_string(fs->type)) + " for " + where +
                                 "." + a.name);
            a.value = *t;
        } else {
            error(v.pos, "argument '" + a.name + "' is a single value");
        }
        out.push_back(std::move(a));
    }
    return out;
}

std::optional<CallSpec> Compiler::parse_call(const YNode& fn, const YNode* args, const VarSet& vars, bool to_gateway) {
    const YNode* name = &fn;
    if (fn.is_map()) {
        check_keys(fn, {"function", "args"}, "a call");
        name = fn.get("function");
        args = fn.get("args");
        if (!name) {
            error(fn.pos, "a call needs 'function:'");
            return std::nullopt;
        }
    }
    const cmp::FunctionSpec* spec = function(*name, to_gateway);
    if (!spec) return std::nullopt;
    CallSpec c;
    c.function = spec->name;
    c.pos = name->pos;
    if (args) c.args = parse_args(*args, spec->request, vars, spec->name);
    for (const auto& f : spec->request)
        if (f.required && std::none_of(c.args.begin(), c.args.end(), [&](const ArgSpec& a) { return a.name == f.name; }))
            error(name->pos, "missing required argument '" + f.name + "' of " + spec->name,
                  "add it under 'args:'");
    return c;
}

std::optional<FieldPath> Compiler::parse_field(const YNode& n, const std::vector<cmp::FieldSpec>& specs,
                                               const FieldPath& prefix, const VarSet& vars,
                                               const cmp::FieldSpec** spec_out, std::string_view fn) {
    if (!n.is_scalar() || n.text.empty()) {
        error(n.pos, "expected a CMP field path", "e.g. upTime, wan[0].ipAddr, var[name={Name}].value");
        return std::nullopt;
    }
    auto fp = FieldPath::parse(n.text);
    if (!fp) {
        error(n.pos, fp.error().message);
        return std::nullopt;
    }
    FieldPath full = prefix.join(*fp);
    auto st = full.check(specs);
    if (!st) {
        error(n.pos, std::string(fn) + ": " + st.error().message);
        return std::nullopt;
    }
    for (const auto& r : fp->refs())
        if (!vars.count(r)) error(n.pos, "unknown variable '{" + r + "}' in field path '" + n.text + "'");
    if (spec_out) *spec_out = *st;
    return full;
}

bool Compiler::parse_transform(const YNode& spec, Transform& t, const cmp::FieldSpec* field) {
    const std::size_t before = d_.size();
    if (const YNode* m = spec.get("map")) {
        if (!m->is_map() || m->entries.empty()) error(m->pos, "'map' maps gateway values to parameter values",
                                                      "map: { up: Up, down: Down }");
        else
            for (const auto& [k, v] : m->entries) {
                if (!k.is_scalar() || !v.is_scalar()) error(k.pos, "map entries are value: value");
                else t.map.emplace_back(k.text, v.text);
            }
    }
    if (const YNode* b = spec.get("boolean")) {
        if (!b->is_seq() || b->items.size() != 2 || !b->items[0].is_scalar() || !b->items[1].is_scalar() ||
            b->items[0].text == b->items[1].text)
            error(b->pos, "'boolean' is [true text, false text]", "e.g. boolean: [on, off]");
        else t.boolean = std::pair{b->items[0].text, b->items[1].text};
    }
    for (const char* k : {"multiply", "divide"})
        if (const YNode* n = spec.get(k)) {
            std::int64_t v = 0;
            if (!positive_int(*n, v, 1LL << 40)) error(n->pos, std::string("'") + k + "' is a positive whole number");
            else (k[0] == 'm' ? t.multiply : t.divide) = v;
        }
    if (const YNode* u = spec.get("units")) {
        auto arrow = u->is_scalar() ? u->text.find("->") : std::string::npos;
        std::string why;
        if (arrow == std::string::npos) error(u->pos, "'units' is FROM->TO", "e.g. units: MB->KB");
        else if (spec.get("multiply") || spec.get("divide")) error(u->pos, "give 'units' or 'multiply'/'divide', not both");
        else if (auto f = unit_factor(u->text.substr(0, arrow), u->text.substr(arrow + 2), &why)) {
            t.multiply = f->first;
            t.divide = f->second;
            if (field && !field->unit.empty() && field->unit != u->text.substr(0, arrow))
                error(u->pos, "CMP field '" + field->name + "' is in " + field->unit + ", not " + u->text.substr(0, arrow));
        } else error(u->pos, "bad units '" + u->text + "': " + why);
    }
    if (const YNode* w = spec.get("wrap")) {
        std::int64_t v = 0;
        if (!positive_int(*w, v, 63)) error(w->pos, "'wrap' is a bit count (32 for TR-069 unsignedInt counters)");
        else t.wrap_bits = static_cast<unsigned>(v);
    }
    if (const YNode* e = spec.get("extract")) {
        auto re = e->is_scalar() ? compile_regex(e->text)
                                 : core::Result<std::regex>(core::make_error("", "'extract' is a regular expression"));
        if (!re) error(e->pos, re.error().message);
        else if (re->mark_count() < 1) error(e->pos, "'extract' needs one (group) with the value");
        else {
            t.extract = std::move(*re);
            t.extract_source = e->text;
        }
    }
    if (const YNode* dt = spec.get("datetime")) {
        if (dt->is_scalar() && dt->text == "iso") t.time = Transform::Time::iso;
        else if (dt->is_scalar() && dt->text == "unix") t.time = Transform::Time::unix_seconds;
        else if (dt->is_scalar() && valid_time_pattern(dt->text)) {
            t.time = Transform::Time::pattern;
            t.time_pattern = dt->text;
        } else error(dt->pos, "'datetime' is iso, unix or a pattern with %Y %m %d (%H %M %S)",
                     "e.g. datetime: \"%d/%m/%Y %H:%M:%S\"");
    }
    if (const YNode* df = spec.get("default")) {
        if (!df->is_scalar() && !df->is_null()) error(df->pos, "'default' is a single value");
        else t.fallback = df->text;
    }
    if (const YNode* pr = spec.get("pairs")) {
        if (!pr->is_scalar() || (pr->text != "true" && pr->text != "false")) error(pr->pos, "'pairs' is true or false");
        else t.pairs = pr->text == "true";
    }
    if (const YNode* j = spec.get("join")) {
        if (!j->is_scalar() || !cmp::is_valid_name(j->text)) error(j->pos, "'join' names an item field");
        else t.join = j->text;
    }
    if (t.pairs && !t.join.empty()) error(spec.pos, "give 'pairs' or 'join', not both");
    if (const YNode* tl = spec.get("tail")) {
        std::int64_t v = 0;
        if (!positive_int(*tl, v, 1 << 24)) error(tl->pos, "'tail' is a length in bytes");
        else t.tail = static_cast<std::size_t>(v);
    }
    return d_.size() == before;
}

std::optional<ValueSpec> Compiler::parse_value(const YNode& n, const std::vector<cmp::FieldSpec>& specs,
                                               const VarSet& vars) {
    ValueSpec v;
    v.pos = n.pos;
    if (n.is_scalar()) {
        auto fp = parse_field(n, specs, {}, vars, nullptr, "message");
        if (!fp) return std::nullopt;
        v.field = *fp;
        return v;
    }
    if (!n.is_map()) {
        error(n.pos, "a value is a field path or { field: ..., <transforms> } or { value: constant }");
        return std::nullopt;
    }
    if (const YNode* c = n.get("value")) {
        v.constant = c->text;
        return v;
    }
    const YNode* f = n.get("field");
    if (!f) {
        error(n.pos, "a value needs 'field' or 'value'");
        return std::nullopt;
    }
    const cmp::FieldSpec* fs = nullptr;
    auto fp = parse_field(*f, specs, {}, vars, &fs, "message");
    if (!fp) return std::nullopt;
    v.field = *fp;
    parse_transform(n, v.transform, fs);
    return v;
}

void Compiler::parse_action(ParamRule& p, const ObjectRule& o, const YNode& n) {
    if (!n.is_map() || !n.get("call")) {
        error(n.pos, "on_set is { when: \"true\", call: function, args: {...}, results: {...}, reset: \"false\" }");
        return;
    }
    check_keys(n, {"when", "call", "args", "results", "reset"}, "on_set of " + p.path);
    const VarSet& vars = object_vars_[p.object];
    ActionSpec a;
    a.pos = n.pos;
    if (const YNode* w = n.get("when")) a.when = datamodel::canonical_value(p.ptype, w->text);
    auto call = parse_call(*n.get("call"), n.get("args"), vars, true);
    if (!call) return;
    a.call = std::move(*call);
    const cmp::FunctionSpec* fs = t_->catalogue_->find(a.call.function);
    if (const YNode* r = n.get("results")) {
        if (!r->is_map()) error(r->pos, "'results' maps sibling parameters to response fields");
        else
            for (const auto& [k, v] : r->entries) {
                if (!vars.count(k.text)) {
                    error(k.pos, "'" + k.text + "' is not a parameter of " + o.path);
                    continue;
                }
                if (auto val = parse_value(v, fs->response, vars)) a.results.emplace_back(k.text, std::move(*val));
            }
    }
    if (const YNode* rs = n.get("reset")) a.reset = rs->text;
    p.on_set = std::move(a);
}

void Compiler::parse_notify(ParamRule& p, const ObjectRule& o, const YNode& n) {
    if (!n.is_map() || !n.get("subscribe") || !n.get("unsubscribe")) {
        error(n.pos, "notify is { subscribe: { call, args, id }, unsubscribe: { call, args } }");
        return;
    }
    if (o.kind == ObjectKind::list) {
        error(n.pos, "subscriptions on list rows are not supported; use a 'rows: local' object");
        return;
    }
    VarSet vars = object_vars_[p.object];
    NotifySpec ns;
    ns.pos = n.pos;
    const YNode& s = *n.get("subscribe");
    const YNode& u = *n.get("unsubscribe");
    if (!s.is_map() || !s.get("call") || !s.get("id")) {
        error(s.pos, "subscribe is { call: function, args: {...}, id: response field with the subscription id }");
        return;
    }
    check_keys(s, {"call", "args", "id"}, "subscribe");
    auto sc = parse_call(*s.get("call"), s.get("args"), vars, true);
    if (sc) {
        if (auto id = parse_field(*s.get("id"), t_->catalogue_->find(sc->function)->response, {}, {}, nullptr,
                                  sc->function))
            ns.id_field = *id;
        ns.subscribe = std::move(*sc);
    }
    vars.insert("$id");
    if (!u.is_map() || !u.get("call")) {
        error(u.pos, "unsubscribe is { call: function, args: { eventId: \"{$id}\" } }");
        return;
    }
    check_keys(u, {"call", "args"}, "unsubscribe");
    if (auto uc = parse_call(*u.get("call"), u.get("args"), vars, true)) ns.unsubscribe = std::move(*uc);
    if (!ns.subscribe.empty() && !ns.unsubscribe.empty()) p.notify = std::move(ns);
}

}  // namespace mapping
