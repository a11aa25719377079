// ReverseMapping: the `reverse:` section, the classification of HOMS ->
// gateway functions and the layout of a get function's answer.
#include "bridge/mapping/reverse_mapping.hpp"

#include "bridge/mapping/reverse_util.hpp"

#include <algorithm>

namespace mapping {

std::string single_ref(const Template& t) {
    auto refs = t.refs();
    if (refs.size() != 1 || t.source() != "{" + refs[0] + "}") return {};
    return refs[0];
}

int row_param(const Table& t, int object, std::string_view name) {
    for (int pi : t.objects()[object].params)
        if (t.params()[pi].name == name) return pi;
    return -1;
}

void missing_required(const std::vector<cmp::FieldSpec>& specs, const cmp::Record& rec, const std::string& prefix,
                      std::vector<std::string>& out) {
    for (const auto& s : specs) {
        const cmp::Field* f = rec.find(s.name);
        if (!f) {
            if (s.required) out.push_back(prefix + s.name);
        } else if (s.type == cmp::Type::List && f->is_list()) {
            for (const auto& item : std::get<1>(f->value)) missing_required(s.item_fields, item, prefix + s.name + "[].", out);
        }
    }
}

std::string canonical(const ParamRule& p, const std::string& value) {
    return datamodel::check_value(p.ptype, value, false) ? datamodel::canonical_value(p.ptype, value) : value;
}

std::optional<std::string> source_value(const Table& t, const ReverseSource& s,
                                        const std::map<std::string, std::string, std::less<>>& values,
                                        const std::string& row) {
    if (s.constant) return s.constant;
    std::string path = s.param >= 0 ? t.params()[s.param].path : s.path;
    if (auto i = path.find("{i}."); i != std::string::npos) path = row + path.substr(i + 4);
    else if (path.rfind(t.root(), 0) != 0) path = row + path;
    auto it = values.find(path);
    if (it == values.end()) return std::nullopt;
    return s.param >= 0 ? reverse_read(t.params()[s.param], it->second) : std::optional(it->second);
}

namespace {

// The first match selector referencing a row variable: "var[name={Name}].value".
const FieldStep* row_selector(const FieldPath& f) {
    for (const auto& s : f.steps())
        if (s.select == FieldStep::Select::match && !single_ref(s.match_value).empty()) return &s;
    return nullptr;
}

}  // namespace

std::shared_ptr<const ReverseMapping> ReverseMapping::make(std::shared_ptr<const Table> table) {
    std::shared_ptr<ReverseMapping> m(new ReverseMapping());
    m->table_ = std::move(table);
    if (const YNode* r = m->table_->reverse_source()) m->parse_spec(*r);
    m->diagnose();
    std::stable_sort(m->diagnostics_.begin(), m->diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.pos.file, a.pos.line, a.pos.column) < std::tie(b.pos.file, b.pos.line, b.pos.column);
    });
    return m;
}

void ReverseMapping::add(const SourcePos& pos, std::string message, std::string hint) {
    diagnostics_.push_back({pos, "reverse: " + std::move(message), std::move(hint)});
}

void ReverseMapping::parse_spec(const YNode& n) {
    const cmp::Catalogue& cat = table_->catalogue();
    if (!n.is_map()) {
        add(n.pos, "'reverse' is a map with 'fields' and 'unsupported'", "docs/mapping.md section 20");
        return;
    }
    for (const auto& [k, v] : n.entries) {
        if (k.text == "description") continue;
        if (k.text == "unsupported") {
            if (!v.is_map()) {
                add(v.pos, "'reverse.unsupported' maps a function to the reason", "e.g. getHomeDevDescUrl: \"why\"");
                continue;
            }
            for (const auto& [fk, fv] : v.entries) {
                if (!cat.find(fk.text)) add(fk.pos, "unknown function '" + fk.text + "'", "a function of docs/cmp-protocol.md");
                else if (!fv.is_scalar() || fv.text.empty()) add(fv.pos, "'" + fk.text + "' needs a reason", "one line saying why");
                else unsupported_[fk.text] = fv.text;
            }
        } else if (k.text == "fields") {
            if (!v.is_map()) {
                add(v.pos, "'reverse.fields' maps FUNCTION.FIELD to parameters", "e.g. getHomeDevList.dev.devId: [MACAddress]");
                continue;
            }
            for (const auto& [fk, fv] : v.entries) {
                auto dot = fk.text.find('.');
                const cmp::FunctionSpec* fn = dot == std::string::npos ? nullptr : cat.find(fk.text.substr(0, dot));
                if (!fn) {
                    const std::string name = fk.text.substr(0, dot);
                    add(fk.pos, dot == std::string::npos ? "'" + fk.text + "' is not FUNCTION.FIELD"
                                                         : "unknown function '" + name + "' in '" + fk.text + "'",
                        "e.g. notifyRgUpgradeResult.fwVersion");
                    continue;
                }
                // LIST.FIELD names an item field of every item: checked as LIST[0].FIELD.
                std::string field = fk.text.substr(dot + 1);
                if (auto d2 = field.find('.'); d2 != std::string::npos && field.find('[') == std::string::npos)
                    field.insert(d2, "[0]");
                auto fp = FieldPath::parse(field);
                const auto& specs = fn->direction == cmp::Direction::to_gateway ? fn->response : fn->request;
                if (!fp || !fp->check(specs)) {
                    add(fk.pos, "'" + fk.text.substr(dot + 1) + "' is not a field of " + fn->name,
                        "list item fields are written LIST.FIELD (dev.devId)");
                    continue;
                }
                std::vector<ReverseSource> srcs;
                const std::vector<YNode> one{fv};
                for (const YNode& s : fv.is_seq() ? fv.items : one) {
                    ReverseSource src;
                    src.pos = s.pos;
                    if (s.is_scalar() && !s.text.empty()) {
                        src.path = s.text;
                        // A full path must be a parameter of the table or of its data model.
                        if (src.path.rfind(table_->root(), 0) == 0 && !table_->find(src.path) &&
                            !table_->facts().find(datamodel::normalise_path(src.path)))
                            add(s.pos, "unknown parameter '" + src.path + "'", "a parameter path of " + table_->model());
                    } else if (s.is_map() && s.get("value") && s.entries.size() == 1 && s.get("value")->is_scalar()) {
                        src.constant = s.get("value")->text;
                    } else {
                        add(s.pos, "a source is a parameter name or { value: TEXT }", "docs/mapping.md section 20");
                        continue;
                    }
                    srcs.push_back(std::move(src));
                }
                fields_[fk.text] = std::move(srcs);
            }
        } else {
            add(k.pos, "unknown key '" + k.text + "' in reverse", "known keys: fields, unsupported, description");
        }
    }
}

void check_reverse_section(const std::shared_ptr<const Table>& table, const YNode& section, Diagnostics& out) {
    std::shared_ptr<ReverseMapping> m(new ReverseMapping());
    m->table_ = table;
    m->parse_spec(section);
    out.insert(out.end(), m->diagnostics_.begin(), m->diagnostics_.end());
}

const std::vector<ReverseSource>* ReverseMapping::override_of(std::string_view function, std::string_view field) const {
    auto it = fields_.find(std::string(function) + "." + std::string(field));
    return it == fields_.end() ? nullptr : &it->second;
}

std::string ReverseMapping::unsupported_reason(std::string_view function) const {
    if (auto it = unsupported_.find(function); it != unsupported_.end()) return it->second;
    if (kind(function) == ReverseKind::unsupported) return "no rule of " + table_->name() + " maps " + std::string(function);
    return {};
}

std::vector<std::string> ReverseMapping::watch_paths() const {
    std::vector<std::string> out;
    auto add = [&](const std::string& p) {
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    };
    for (const EventRule& e : table_->events()) {
        if (e.object < 0 || !e.subscription.empty()) continue;  // subscriptions: set by applyHomeDevEvent
        const bool list = table_->objects()[e.object].kind == ObjectKind::list;
        // List rows: the trigger (Active); fixed objects (alerts): every value the message carries.
        for (const auto& [pi, v] : e.values)
            if (list == v.constant.has_value()) add(table_->params()[pi].path);
        // Rows that come and go without a value change of their own change their table's count.
        if (list) {
            int row = table_->node_of(table_->objects()[e.object].path);
            int tbl = row >= 0 ? table_->tree()[row].parent : -1;
            for (const auto& p : table_->params())
                if (p.source == Source::count && p.count_node == tbl && tbl >= 0) add(p.path);
        }
    }
    return out;
}

const TransferRule* ReverseMapping::transfer_of(std::string_view function) const {
    for (const auto& r : table_->transfers())
        if (!r.call.empty() && r.call.function == function) return &r;
    return nullptr;
}

int ReverseMapping::action_param(std::string_view function) const {
    const auto& ps = table_->params();
    for (int i = 0; i < static_cast<int>(ps.size()); ++i)
        if (ps[i].on_set && ps[i].on_set->call.function == function) return i;
    return -1;
}

int ReverseMapping::notify_param(std::string_view function, bool subscribe) const {
    const auto& ps = table_->params();
    for (int i = 0; i < static_cast<int>(ps.size()); ++i)
        if (ps[i].notify && (subscribe ? ps[i].notify->subscribe : ps[i].notify->unsubscribe).function == function) return i;
    return -1;
}

ReverseKind ReverseMapping::kind(std::string_view f) const {
    if (unsupported_.count(f)) return ReverseKind::unsupported;
    if (transfer_of(f)) return ReverseKind::transfer;
    if (action_param(f) >= 0) return ReverseKind::action;
    if (notify_param(f, true) >= 0) return ReverseKind::subscribe;
    if (notify_param(f, false) >= 0) return ReverseKind::unsubscribe;
    bool get = false;
    for (const auto& p : table_->params()) {
        if (p.write && p.write->function == f) return ReverseKind::set;
        get = get || (p.function == f && (p.source == Source::field || p.source == Source::templ));
    }
    return get ? ReverseKind::get : ReverseKind::unsupported;
}

std::vector<cmp::Record> ReverseMapping::argument_sets(std::string_view f) const {
    std::vector<cmp::Record> out;
    for (const auto& p : table_->params()) {
        if (p.function != f || p.object < 0 || table_->objects()[p.object].kind == ObjectKind::rows) continue;
        cmp::Record r = p.read.build({}).args;
        if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(std::move(r));
    }
    if (out.empty()) out.emplace_back();
    return out;
}

GetLayout ReverseMapping::layout(std::string_view fn, const cmp::Record& args) const {
    const Table& t = *table_;
    const std::string f(fn);
    GetLayout g;
    // An argument the request leaves out takes the table's first value
    // (getRgTrafficInfo without ifName is WAN, the catalogue's default, listed first).
    cmp::Record effective = args;
    const std::vector<cmp::Record> sets = argument_sets(f);
    for (const auto& fld : sets.front().fields)
        if (!effective.has(fld.name)) effective.fields.push_back(fld);
    std::map<std::string, int> list_owner;  // list field -> object answering it
    auto field_sources = [&](std::string key, const ParamRule& p) {
        std::vector<ReverseSource> s;
        if (const auto* o = override_of(f, key)) return *o;
        ReverseSource src;
        src.param = static_cast<int>(&p - t.params().data());
        src.pos = p.pos;
        s.push_back(src);
        return s;
    };
    auto put = [&](std::vector<ReverseField>& fields, const FieldPath& fp, std::vector<ReverseSource> srcs) {
        for (auto& x : fields)
            if (x.field.text() == fp.text()) {
                if (!override_of(f, fp.text())) x.sources.insert(x.sources.end(), srcs.begin(), srcs.end());
                return;
            }
        fields.push_back({fp, std::move(srcs)});
    };
    for (int oi = 0; oi < static_cast<int>(t.objects().size()); ++oi) {
        const ObjectRule& o = t.objects()[oi];
        for (int pi : o.params) {
            const ParamRule& p = t.params()[pi];
            if (p.function != f) continue;
            if (p.source == Source::templ) {
                auto refs = p.templ.refs();
                auto ref = refs.empty() ? core::Result<FieldPath>(FieldPath{}) : FieldPath::parse(refs.front());
                g.problems.push_back({ref ? p.field_path.join(*ref).text() : std::string(), {p.pos, "reverse: " + p.path + " combines fields in a template: " + f +
                                                 " cannot be answered from it",
                                      "name the field's parameter in reverse.fields (docs/mapping.md 20)"}});
                continue;
            }
            if (p.source != Source::field) continue;
            // The request's arguments select the rule (literal) or the rows (one row parameter).
            bool ok = true;
            std::vector<RowMatch> matches;
            for (const ArgSpec& a : p.read.args) {
                if (a.kind == ArgSpec::Kind::scalar) {
                    std::string ref = single_ref(a.value);
                    if (o.kind == ObjectKind::rows && !ref.empty()) {
                        matches.push_back({a.name, "", row_param(t, oi, ref)});
                    } else if (a.value.is_literal()) {
                        ok = ok && effective.get(a.name) == a.value.expand({});
                    }
                } else if (a.kind == ArgSpec::Kind::list && o.kind == ObjectKind::rows && a.items.size() == 1) {
                    for (const ArgSpec& ia : a.items[0])
                        if (std::string ref = single_ref(ia.value); !ref.empty())
                            matches.push_back({a.name, ia.name, row_param(t, oi, ref)});
                }
            }
            if (!ok) continue;
            if (auto step = p.transform.not_invertible_step(); step == "extract" || (step == "join" && !p.transform.pairs)) {
                g.problems.push_back({p.field_path.text(), {p.pos, "reverse: " + p.path + " reads " + f + "." + p.field_path.text() +
                                                 " through '" + std::string(step) + "', which has no inverse",
                                      "name another parameter for the field in reverse.fields, or mark " +
                                          std::string(f) + " in reverse.unsupported (docs/mapping.md 20)"}});
                continue;
            }
            g.params.push_back(pi);
            if (o.kind == ObjectKind::fixed) {
                put(g.scalars, p.field_path, field_sources(p.field_path.text(), p));
            } else if (o.kind == ObjectKind::list) {
                auto [it, fresh] = list_owner.emplace(o.record.text(), oi);
                // Several objects list the same items (Hosts and UPnP root devices both from dev):
                // the unfiltered one has them all.
                if (!fresh && it->second != oi) {
                    const ObjectRule& owner = t.objects()[it->second];
                    if (o.filter) continue;  // a filtered object lists a subset of the owner's items
                    if (owner.filter) {
                        for (auto& l : g.lists)
                            if (l.object == it->second) l = GetLayout::List{o.record, oi, {}, {}};
                        it->second = oi;
                    }
                }
                GetLayout::List* l = nullptr;
                for (auto& x : g.lists)
                    if (x.object == it->second) l = &x;
                if (!l) l = &g.lists.emplace_back(GetLayout::List{o.record, oi, {}, {}});
                if (l->object != oi && std::find(l->joined.begin(), l->joined.end(), oi) == l->joined.end())
                    l->joined.push_back(oi);
                put(l->fields, p.field_path, field_sources(o.record.text() + "." + p.field_path.text(), p));
            } else {  // local rows chosen by the request's arguments
                g.rows_object = oi;
                for (auto& m : matches)
                    if (std::find_if(g.matches.begin(), g.matches.end(), [&](const RowMatch& x) {
                            return x.arg == m.arg && x.item_field == m.item_field;
                        }) == g.matches.end())
                        g.matches.push_back(m);
                if (const FieldStep* s = row_selector(p.field_path)) {
                    // "var[name={Name}].value": one item per row, the selector's field from the row parameter.
                    FieldPath list = *FieldPath::parse(s->name);
                    GetLayout::List* l = nullptr;
                    for (auto& x : g.lists)
                        if (x.object == oi && x.list.text() == list.text()) l = &x;
                    if (!l) l = &g.lists.emplace_back(GetLayout::List{list, oi, {}, {}});
                    ReverseSource key;
                    key.param = row_param(t, oi, single_ref(s->match_value));
                    key.pos = p.pos;
                    put(l->fields, *FieldPath::parse(s->match_field), {key});
                    put(l->fields, *FieldPath::parse(p.field_path.leaf()), field_sources(list.text() + "." + p.field_path.leaf(), p));
                } else {
                    put(g.scalars, p.field_path, field_sources(p.field_path.text(), p));
                }
            }
        }
    }
    // Fields only reverse.fields names (no forward rule reads them).
    const std::string prefix = std::string(f) + ".";
    for (auto it = fields_.lower_bound(prefix); it != fields_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        std::string field = it->first.substr(prefix.size());
        bool in_list = false;
        for (auto& l : g.lists)
            if (field.rfind(l.list.text() + ".", 0) == 0) {
                put(l.fields, *FieldPath::parse(field.substr(l.list.text().size() + 1)), it->second);
                in_list = true;
            }
        if (!in_list && field.find('.') == std::string::npos) put(g.scalars, *FieldPath::parse(field), it->second);
    }
    return g;
}

std::optional<std::string> reverse_read(const ParamRule& p, const std::string& v) {
    const Transform& t = p.transform;
    if (t.extract || (!t.join.empty() && !t.pairs)) return std::nullopt;
    // wrap and tail keep a value that is already in range as it is: the CPE's
    // 32-bit counter / its log is its own preimage (the high bits are lost).
    Transform inv = t;
    inv.wrap_bits = 0;
    inv.tail = 0;
    auto w = inv.write(v);
    if (!w) return std::nullopt;
    return *w;
}

int result_code_of_fault(std::uint32_t code) {
    namespace rc = cmp::result_code;
    switch (code) {
        case 0: return rc::success;
        case 9000: return rc::not_supported;         // the CPE lacks the RPC
        case 9001: return rc::general_failure;       // "request denied", no reason: not an authentication problem
        case 9002: return rc::general_failure;
        case 9003: return rc::invalid_argument;
        case 9004: return rc::resource_unavailable;  // resources exceeded: may work later
        case 9005: return rc::not_supported;         // the CPE's data model lacks the parameter: retrying cannot help
        case 9006:
        case 9007: return rc::invalid_argument;
        case 9008: return rc::not_supported;         // not writable on this CPE
        case 9009: return rc::not_supported;         // notification refused
        case 9018:
        case 9019: return rc::upgrade_failed;        // image corrupted / not authenticated
        default: break;
    }
    if (code >= 9010 && code <= 9017) return rc::transfer_failed;
    if (code >= 9020 && code <= 9032) return rc::transfer_failed;
    return rc::general_failure;
}

int result_code_of_error(const core::Error& e) {
    if (e.code == "acs.busy") return cmp::result_code::busy;
    // The CPE behind the bridge did not come (Connection Request refused or no session within the wait).
    if (e.code == "acs.timeout" || e.code == "acs.unreachable") return cmp::result_code::timeout;
    return cmp::result_code::general_failure;
}

}  // namespace mapping
