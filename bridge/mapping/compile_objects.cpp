// Compiler: objects and parameters, checked against the data model (paths,
// types, access) and the CMP catalogue (functions, fields, field types).
#include <algorithm>

#include "bridge/mapping/compile.hpp"
#include "bridge/mapping/regex.hpp"

namespace mapping {
namespace {

bool valid_segment(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    return true;
}

bool numeric(datamodel::ParamType::Base b) {
    using B = datamodel::ParamType;
    return b == B::Int || b == B::UnsignedInt || b == B::Long || b == B::UnsignedLong;
}

// Whether every value of CMP type `from` is a value of `to`.
bool fits(cmp::Type from, datamodel::ParamType::Base to) {
    using B = datamodel::ParamType;
    switch (to) {
        case B::UnsignedInt: return from == cmp::Type::UnsignedInt;
        // unsignedInt values beyond 2^31 are not plausible for the int
        // parameters this meets (lease times, offsets); reads are never filtered.
        case B::Int: return from == cmp::Type::Int || from == cmp::Type::UnsignedInt;
        case B::UnsignedLong: return from == cmp::Type::UnsignedInt || from == cmp::Type::UnsignedLong;
        case B::Long: return from == cmp::Type::Int || from == cmp::Type::UnsignedInt;
        case B::Boolean: return from == cmp::Type::Boolean;
        case B::DateTime: return from == cmp::Type::DateTime;
        default: return true;
    }
}

}  // namespace

bool Compiler::is_vendor_segment(std::string_view s) const {
    if (!t_->vendor_prefix_.empty()) return s.rfind(t_->vendor_prefix_, 0) == 0 && s.size() > t_->vendor_prefix_.size();
    return s.size() > 4 && s.rfind("X_", 0) == 0 && s.find('_', 2) != std::string_view::npos;
}

// True when the path is standard or a proper vendor extension; reports otherwise.
bool Compiler::check_vendor_path(const std::string& path, const SourcePos& pos, bool object) {
    auto segs = split_path(object ? std::string_view(path).substr(0, path.size() - 1) : std::string_view(path));
    std::string prefix = segs[0] + ".";
    for (std::size_t i = 1; i < segs.size(); ++i) {
        const bool leaf = i + 1 == segs.size();
        std::string next = prefix + segs[i] + (leaf && !object ? "" : ".");
        if (t_->facts_->find(datamodel::normalise_path(next))) {
            prefix = next;
            continue;
        }
        if (is_vendor_segment(segs[i])) return true;
        std::string suggestion;
        std::size_t best = 3;
        for (const datamodel::Node* c : t_->facts_->children(datamodel::normalise_path(prefix))) {
            auto cs = split_path(std::string_view(c->path).substr(0, c->path.size() - (c->is_object ? 1 : 0)));
            std::size_t dd = edit_distance(cs.back(), segs[i]);
            if (dd < best) {
                best = dd;
                suggestion = cs.back();
            }
        }
        std::string vp = t_->vendor_prefix_.empty() ? "X_<VENDOR>_" : t_->vendor_prefix_;
        std::string hint = segs[i].rfind("X_", 0) == 0
                               ? "vendor extensions of this table start with " + vp + " (vendor_prefix)"
                               : "vendor extensions are named " + vp + segs[i] + (object ? "" : " and declare 'type:'");
        error(pos,
              std::string(object ? "unknown object '" : "unknown parameter '") + path + "': '" + segs[i] +
                  "' is not in " + model_file_ + " under " + prefix,
              (suggestion.empty() ? std::string() : "did you mean '" + suggestion + "'? ") + hint);
        return false;
    }
    return true;
}

VarSet Compiler::row_vars(const ObjectRule& o) const {
    VarSet v;
    if (o.kind == ObjectKind::fixed) return v;
    v.insert("$instance");
    if (o.kind == ObjectKind::list) v.insert("$key");
    return v;
}

void Compiler::load_objects(const YNode* n) {
    if (!n) {
        error(SourcePos{top_file_, 1, 1}, "missing 'objects'", "objects: { " + t_->root_ + "DeviceInfo.: {...} }");
        return;
    }
    if (!n->is_map()) {
        error(n->pos, "'objects' maps object paths to their rules");
        return;
    }
    std::map<std::string, SourcePos> seen;
    for (const auto& [k, v] : n->entries) {
        if (!k.is_scalar()) {
            error(k.pos, "object keys are paths such as " + t_->root_ + "DeviceInfo.");
            continue;
        }
        if (auto it = seen.find(k.text); it != seen.end()) {
            error(k.pos, "duplicate object '" + k.text + "'", "first defined at " + it->second.to_string());
            continue;
        }
        seen.emplace(k.text, k.pos);
        load_object(k, v);
    }
}

void Compiler::load_object(const YNode& key, const YNode& val) {
    const std::string& path = key.text;
    if (path.rfind(t_->root_, 0) != 0) {
        error(key.pos, "object '" + path + "' is not under the model root '" + t_->root_ + "'");
        return;
    }
    if (path.back() != '.') {
        error(key.pos, "object path '" + path + "' must end with '.'", "parameters go under 'parameters:'");
        return;
    }
    auto segs = split_path(std::string_view(path).substr(0, path.size() - 1));
    for (std::size_t i = 0; i < segs.size(); ++i) {
        if (segs[i] == "{i}" && i + 1 != segs.size()) {
            error(key.pos, "'" + path + "': rows ({i}) only at the end of an object path",
                  "objects below list rows are not supported; put the parameters in the row object");
            return;
        }
        if (segs[i] != "{i}" && !valid_segment(segs[i])) {
            error(key.pos, "bad object path '" + path + "': segment '" + segs[i] + "'");
            return;
        }
        if (is_number_segment(segs[i]) && std::stoul(segs[i]) == 0) {
            error(key.pos, "instance numbers start at 1 ('" + path + "')");
            return;
        }
    }
    if (!val.is_map()) {
        error(val.pos, "object '" + path + "' must be a map with 'parameters:'");
        return;
    }
    check_keys(val, {"read", "record", "write", "list", "rows", "max_rows", "add", "delete", "parameters", "description"},
               "object " + path);
    if (!check_vendor_path(path, key.pos, true)) return;
    ObjectRule o;
    o.path = path;
    o.pos = key.pos;
    const std::string tmpl = datamodel::normalise_path(path);
    const datamodel::Node* node = t_->facts_->find(tmpl);
    o.vendor = node == nullptr;
    if (node && !node->is_object) {
        error(key.pos, "'" + path + "' is a parameter in " + model_file_ + ", not an object");
        return;
    }
    const bool dynamic = segs.back() == "{i}";
    const YNode* list = val.get("list");
    const YNode* rows = val.get("rows");
    if (dynamic && !list && !rows) {
        error(key.pos, "where do the rows of '" + path + "' come from?",
              "'list: { items: dev, key: devId }' (a CMP list) or 'rows: local' (AddObject)");
        return;
    }
    if (!dynamic && (list || rows))
        error((list ? list : rows)->pos, "'" + std::string(list ? "list" : "rows") + "' needs an object path ending in {i}.");
    if (list && rows) error(rows->pos, "an object has 'list' or 'rows', not both");
    o.kind = !dynamic ? ObjectKind::fixed : list ? ObjectKind::list : ObjectKind::rows;

    // Row parameters are template variables of the row's own calls.
    VarSet vars = row_vars(o);
    if (const YNode* ps = val.get("parameters"); ps && ps->is_map() && o.kind == ObjectKind::rows)
        for (const auto& [pk, pv] : ps->entries) vars.insert(pk.text);

    if (const YNode* r = val.get("read")) {
        if (auto call = parse_call(*r, nullptr, o.kind == ObjectKind::rows ? vars : VarSet{}, true)) o.read = std::move(*call);
    }
    const cmp::FunctionSpec* fn = o.read.empty() ? nullptr : t_->catalogue_->find(o.read.function);
    if (const YNode* rec = val.get("record")) {
        if (o.kind != ObjectKind::fixed) error(rec->pos, "'record' is for fixed objects; list rows are the items");
        else if (!fn) error(rec->pos, "'record' needs 'read' on the object");
        else if (rec->is_scalar()) {
            auto fp = FieldPath::parse(rec->text);
            if (!fp) error(rec->pos, fp.error().message);
            else if (fp->empty() || fp->steps().back().select == FieldStep::Select::none)
                error(rec->pos, "'record' names one item of a list, e.g. 'lan[0]'");
            else if (auto st = fp->check(fn->response); !st)
                error(rec->pos, o.read.function + " response: " + st.error().message);
            else o.record = *fp;
        } else error(rec->pos, "'record' is a field path such as lan[0]");
    }
    if (list && list->is_map() && o.kind == ObjectKind::list) {
        check_keys(*list, {"items", "key", "filter"}, "list of " + path);
        const YNode* items = list->get("items");
        const cmp::FieldSpec* ispec = nullptr;
        if (!fn) error(list->pos, "a list object needs 'read:' (the CMP function returning the list)");
        else if (!items) error(list->pos, "'list' needs 'items:' (the list field of " + o.read.function + ")");
        else if (auto fp = parse_field(*items, fn->response, {}, {}, &ispec, o.read.function)) {
            if (ispec && ispec->type != cmp::Type::List)
                error(items->pos, "'" + items->text + "' of " + o.read.function + " is not a list");
            else if (!fp->empty() && fp->steps().back().select != FieldStep::Select::none)
                error(items->pos, "'items' names the list itself, without [..]");
            else o.record = *fp;
        }
        const std::vector<cmp::FieldSpec> none;
        const auto& item_specs = ispec && ispec->type == cmp::Type::List ? ispec->item_fields : none;
        if (const YNode* k = list->get("key")) {
            std::vector<const YNode*> keys;
            if (k->is_seq()) for (const auto& i : k->items) keys.push_back(&i);
            else keys.push_back(k);
            for (const YNode* kn : keys)
                if (ispec) {
                    if (auto kp = parse_field(*kn, item_specs, {}, {}, nullptr, o.read.function)) o.key.push_back(*kp);
                }
        } else {
            error(list->pos, "'list' needs 'key:' (item fields that identify a row across calls, e.g. devId)",
                  "instance numbers must stay stable; list positions are not");
        }
        if (const YNode* f = list->get("filter")) {
            const YNode* ff = f->is_map() ? f->get("field") : nullptr;
            const YNode* fm = f->is_map() ? f->get("match") : nullptr;
            if (!ff || !fm || !fm->is_scalar()) error(f->pos, "filter: { field: devId, match: '^uuid:' }");
            else {
                if (ispec)
                    if (auto fp = parse_field(*ff, item_specs, {}, {}, nullptr, o.read.function)) o.filter_field = *fp;
                if (auto re = compile_regex(fm->text)) o.filter = std::move(*re);
                else error(fm->pos, re.error().message);
            }
        }
    } else if (list && o.kind == ObjectKind::list) {
        error(list->pos, "'list' is a map: { items: dev, key: devId }");
    }
    if (rows && o.kind == ObjectKind::rows && !(rows->is_scalar() && rows->text == "local"))
        error(rows->pos, "rows: local is the only kind of rows", "rows kept by the bridge, created by AddObject");
    if (const YNode* mr = val.get("max_rows")) {
        if (o.kind != ObjectKind::rows) error(mr->pos, "'max_rows' is for 'rows: local' objects");
        else if (!mr->is_scalar() || mr->text.empty() || mr->text.size() > 6 ||
                 mr->text.find_first_not_of("0123456789") != std::string::npos)
            error(mr->pos, "'max_rows' is a number");
        else o.max_rows = static_cast<unsigned>(std::stoul(mr->text));
    }
    for (const char* which : {"add", "delete"}) {
        const YNode* a = val.get(which);
        if (!a) continue;
        if (o.kind != ObjectKind::list) {
            error(a->pos, std::string("'") + which + "' is for list objects ('rows: local' rows are added locally)");
            continue;
        }
        if (!a->is_map() || !a->get("call")) {
            error(a->pos, std::string("'") + which + "' is { call: function, args: {...}" +
                              (which[0] == 'a' ? ", key: field }" : " }"));
            continue;
        }
        check_keys(*a, {"call", "args", "key"}, std::string(which) + " of " + path);
        auto call = parse_call(*a->get("call"), a->get("args"), vars, true);
        if (!call) continue;
        if (which[0] == 'd') {
            o.remove = std::move(*call);
            continue;
        }
        const cmp::FunctionSpec* af = t_->catalogue_->find(call->function);
        const YNode* k = a->get("key");
        if (!k) error(a->pos, "'add' needs 'key:' (the response field with the new row's key)");
        else if (af)
            if (auto kp = parse_field(*k, af->response, {}, {}, nullptr, call->function)) o.add_key = *kp;
        o.add = std::move(*call);
    }
    if (const YNode* w = val.get("write")) o.write = parse_write(*w);

    const YNode* ps = val.get("parameters");
    t_->objects_.push_back(std::move(o));
    const int oi = static_cast<int>(t_->objects_.size()) - 1;
    object_vars_[oi] = vars;
    if (val.get("read")) read_given_.insert(oi);
    if (val.get("write")) write_given_.insert(oi);
    if (!ps || !ps->is_map() || ps->entries.empty()) {
        error(ps ? ps->pos : key.pos, "object '" + path + "' has no parameters",
              "parameters: { Name: field, ... }");
        return;
    }
    std::map<std::string, SourcePos> seen;
    for (const auto& [pk, pv] : ps->entries) {
        if (!pk.is_scalar()) {
            error(pk.pos, "parameter keys are names");
            continue;
        }
        if (auto it = seen.find(pk.text); it != seen.end()) {
            error(pk.pos, "duplicate parameter '" + path + pk.text + "'", "first defined at " + it->second.to_string());
            continue;
        }
        seen.emplace(pk.text, pk.pos);
        load_param(oi, pk, pv);
    }
}

std::optional<WriteSpec> Compiler::parse_write(const YNode& n) {
    WriteSpec w;
    w.pos = n.pos;
    const YNode* fn = &n;
    if (n.is_map()) {
        check_keys(n, {"function", "record", "read_modify_write", "drop"}, "write");
        fn = n.get("function");
        if (!fn) {
            error(n.pos, "'write' needs 'function:'");
            return std::nullopt;
        }
    }
    const cmp::FunctionSpec* spec = function(*fn, true);
    if (!spec) return std::nullopt;
    w.function = spec->name;
    if (!n.is_map()) return w;
    if (const YNode* r = n.get("record")) {
        auto fp = r->is_scalar() ? FieldPath::parse(r->text) : core::Result<FieldPath>(core::make_error("", "not a path"));
        if (!fp || fp->empty() || fp->steps().back().select == FieldStep::Select::none)
            error(r->pos, "'record' names one item of a list of " + w.function + ", e.g. lan[0]");
        else if (auto st = fp->check(spec->request); !st)
            error(r->pos, w.function + " request: " + st.error().message);
        else w.record = *fp;
    }
    if (const YNode* rmw = n.get("read_modify_write")) {
        if (!rmw->is_scalar() || (rmw->text != "true" && rmw->text != "false"))
            error(rmw->pos, "read_modify_write is true or false");
        else w.read_modify_write = rmw->text == "true";
    }
    if (const YNode* dr = n.get("drop")) {
        if (!dr->is_seq()) error(dr->pos, "'drop' is a list of field names");
        else
            for (const auto& f : dr->items) w.drop.push_back(f.text);
    }
    return w;
}

void Compiler::check_write(ParamRule& p, const ObjectRule& o, const FieldPath& rel, const SourcePos& pos) {
    const WriteSpec& w = *p.write;
    const cmp::FunctionSpec* spec = t_->catalogue_->find(w.function);
    if (!spec) return;
    FieldPath full = (w.record.empty() ? (o.kind == ObjectKind::fixed ? o.record : FieldPath{}) : w.record).join(rel);
    if (auto st = full.check(spec->request); !st)
        error(pos, "cannot write " + p.path + " through " + w.function + ": " + st.error().message);
    if (!p.transform.invertible())
        error(pos, "bad transform for writable " + p.path + ": '" + std::string(p.transform.not_invertible_step()) +
                       "' cannot be written back",
              "present it read-only with 'access: ro'");
    if (o.kind == ObjectKind::list)
        error(pos, "writable parameters of list rows are not supported (" + p.path + ")",
              "use 'access: ro', or a 'rows: local' object with an on_set action");
    if (w.read_modify_write && p.read.empty()) error(pos, "read_modify_write needs a read function");
}

void Compiler::check_compat(const cmp::FieldSpec& f, const std::string& fname, const ParamRule& p, const SourcePos& pos) {
    using B = datamodel::ParamType;
    const Transform& t = p.transform;
    const std::string target(datamodel::base_name(p.ptype.base));
    if (f.type == cmp::Type::List) {
        if (!t.pairs && t.join.empty())
            error(pos, "CMP field '" + fname + "' is a list; " + p.path + " needs one value",
                  "select an item and field ('" + fname + "[0].x'), 'pairs: true' for name/value lists or "
                  "'join: <item field>' for a comma-separated list");
        else if (!t.join.empty() && !cmp::find_field(f.item_fields, t.join))
            error(pos, "'join': items of '" + fname + "' have no field '" + t.join + "'");
        return;
    }
    if (t.pairs || !t.join.empty()) {
        error(pos, "'pairs' and 'join' need a list; '" + fname + "' is a " + std::string(cmp::to_string(f.type)));
        return;
    }
    if (t.time != Transform::Time::none) {
        if (p.ptype.base != B::DateTime) error(pos, "'datetime' converts to dateTime; " + p.path + " is " + target);
        return;
    }
    if (t.wrap_bits && !(numeric(p.ptype.base) && (f.type == cmp::Type::UnsignedInt || f.type == cmp::Type::UnsignedLong)))
        error(pos, "'wrap' is for unsigned counters into an unsigned parameter");
    if (p.ptype.base == B::String || p.ptype.base == B::Base64 || p.ptype.base == B::HexBinary) return;
    if (!t.map.empty() || t.boolean || t.extract) return;  // checked per value at run time
    if (f.type == cmp::Type::String) {
        error(pos, "wrong type: CMP field '" + fname + "' is a string, " + p.path + " is " + target,
              "add a transform (map, boolean, extract, datetime) or use a field of type " + target);
        return;
    }
    const bool scaled = t.multiply != 1 || t.divide != 1;
    if (!fits(f.type, p.ptype.base) && !(t.wrap_bits && numeric(p.ptype.base)) &&
        !(scaled && numeric(p.ptype.base) && f.type != cmp::Type::Boolean && f.type != cmp::Type::DateTime))
        error(pos, "wrong type: CMP field '" + fname + "' is " + std::string(cmp::to_string(f.type)) + ", " + p.path +
                       " is " + target,
              f.type == cmp::Type::UnsignedLong && p.ptype.base == B::UnsignedInt
                  ? "TR-069 counters wrap at 2^32: add 'wrap: 32'"
                  : "add a transform or pick a field of a matching type");
}

}  // namespace mapping
