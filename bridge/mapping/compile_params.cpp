// Compiler: one parameter rule (source, type, access, transforms, writes,
// actions, subscriptions).
#include <algorithm>

#include "bridge/mapping/compile.hpp"

namespace mapping {
namespace {

const std::initializer_list<std::string_view> kParamKeys = {
    "field",  "read",    "value", "template", "stored",   "type",    "access", "write",  "map",    "boolean",
    "multiply", "divide", "units", "wrap",    "extract",  "datetime", "default", "pairs", "join", "tail", "on_set", "notify",
    "hidden", "description"};

std::optional<datamodel::ParamType> parse_type(std::string_view text) {
    if (text.rfind("xsd:", 0) == 0) text.remove_prefix(4);
    auto base = datamodel::base_from_name(text);
    if (!base) return std::nullopt;
    datamodel::ParamType t;
    t.base = *base;
    return t;
}

}  // namespace

void Compiler::load_param(int oi, const YNode& key, const YNode& val) {
    const ObjectRule& o = t_->objects_[oi];
    ParamRule p;
    p.name = key.text;
    p.path = o.path + p.name;
    p.object = oi;
    p.pos = key.pos;
    if (p.name.empty() || p.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                              std::string::npos) {
        error(key.pos, "bad parameter name '" + p.name + "'", "one name segment: letters, digits, '_' and '-'");
        return;
    }
    if (auto it = t_->param_index_.find(p.path); it != t_->param_index_.end()) {
        error(key.pos, "duplicate parameter '" + p.path + "'",
              "first defined at " + t_->params_[it->second].pos.to_string());
        return;
    }
    const datamodel::Node* node = o.vendor ? nullptr : t_->facts_->find(datamodel::normalise_path(p.path));
    if (node && node->is_object) {
        error(key.pos, "'" + p.path + "' is an object in " + model_file_, "write it as an object key '" + p.path + ".'");
        return;
    }
    if (!node && !o.vendor && !check_vendor_path(p.path, key.pos, false)) return;
    p.vendor = node == nullptr;

    // The short form "Name: field" reads that field of the object's function.
    YNode spec;
    if (val.is_scalar()) {
        spec.kind = YNode::Kind::Map;
        YNode k;
        k.kind = YNode::Kind::Scalar;
        k.text = "field";
        k.pos = val.pos;
        spec.entries.emplace_back(k, val);
        spec.pos = val.pos;
    } else if (val.is_map()) {
        spec = val;
        check_keys(spec, kParamKeys, "parameter " + p.path);
    } else {
        error(val.pos, "parameter '" + p.path + "' must be a field name or a map",
              "e.g. 'UpTime: upTime' or 'UpTime: { field: upTime }'");
        return;
    }

    // Type and access: the data model decides for standard parameters.
    const YNode* type = spec.get("type");
    bool model_writable = false;
    if (node) {
        p.ptype = node->type;
        p.hidden = node->hidden;
        model_writable = node->writable;
        if (type && type->is_scalar()) {
            auto tt = parse_type(type->text);
            if (!tt || tt->base != node->type.base)
                error(type->pos, "wrong type '" + type->text + "' for " + p.path + ": " + model_file_ + " says " +
                                     std::string(datamodel::base_name(node->type.base)),
                      "leave 'type' out for standard parameters");
        }
    } else if (!type) {
        error(key.pos, "vendor parameter '" + p.path + "' needs 'type:'",
              "string, int, unsignedInt, long, unsignedLong, boolean, dateTime, base64 or hexBinary");
    } else if (auto tt = type->is_scalar() ? parse_type(type->text) : std::nullopt) {
        p.ptype = *tt;
    } else {
        error(type->pos, "unknown type '" + type->text + "'",
              "string, int, unsignedInt, long, unsignedLong, boolean, dateTime, base64 or hexBinary");
    }
    p.type = xsd_of(p.ptype);
    p.writable = model_writable;
    if (const YNode* acc = spec.get("access")) {
        const std::string a = acc->is_scalar() ? acc->text : "";
        if (a == "ro" || a == "read-only") p.writable = false;
        else if (a == "rw" || a == "read-write") {
            if (node && !model_writable)
                error(acc->pos, p.path + " is read-only in " + model_file_, "only vendor parameters choose 'rw'");
            else p.writable = true;
        } else error(acc->pos, "access is ro or rw");
    }
    if (const YNode* h = spec.get("hidden")) {
        if (node) error(h->pos, "'hidden' comes from the data model for standard parameters");
        else p.hidden = h->is_scalar() && h->text == "true";
    }

    // Exactly one value source.
    std::vector<const YNode*> sources;
    for (const char* s : {"field", "value", "template", "stored"})
        if (spec.get(s)) sources.push_back(spec.key_of(s));
    if (sources.empty()) {
        error(key.pos, "parameter '" + p.path + "' has no value source", "give 'field', 'value', 'template' or 'stored'");
        return;
    }
    if (sources.size() > 1) error(sources[1]->pos, "parameter '" + p.path + "' has more than one value source");
    const std::string src = sources[0]->text;
    const YNode& sval = *spec.get(src);

    const VarSet& vars = object_vars_[oi];

    const cmp::FieldSpec* fspec = nullptr;
    FieldPath rel;
    if (src == "field" || src == "template") {
        p.source = src == "field" ? Source::field : Source::templ;
        const YNode* r = spec.get("read");
        if (r && o.kind == ObjectKind::list)
            error(r->pos, "parameters of list rows come from the list call", "remove 'read' here");
        else if (r) {
            if (auto c = parse_call(*r, nullptr, o.kind == ObjectKind::rows ? vars : VarSet{}, true)) p.read = std::move(*c);
        } else p.read = o.read;
        p.function = p.read.function;
        const cmp::FunctionSpec* fn = p.read.empty() ? nullptr : t_->catalogue_->find(p.read.function);
        // A 'read' that failed to parse was reported already.
        if (p.read.empty() && !r && !read_given_.count(oi)) {
            error(key.pos, "parameter '" + p.path + "' has no CMP function",
                  "set 'read: getRgInfo' on the object or on the parameter");
        } else if (fn) {
            const std::vector<cmp::FieldSpec>* specs = &fn->response;
            FieldPath prefix = (!r && o.kind == ObjectKind::fixed) ? o.record : FieldPath{};
            if (o.kind == ObjectKind::list) {
                auto items = o.record.check(fn->response);
                specs = items && *items && (*items)->type == cmp::Type::List ? &(*items)->item_fields : nullptr;
            }
            if (specs && p.source == Source::field) {
                p.field = sval.text;
                if (auto fp = parse_field(sval, *specs, prefix, vars, &fspec, p.read.function)) {
                    p.field_path = *fp;
                    rel = *FieldPath::parse(sval.text);
                }
            } else if (specs) {
                auto tt = sval.is_scalar() ? Template::parse(sval.text) : core::Result<Template>(core::make_error("", "a template is text"));
                if (!tt) error(sval.pos, tt.error().message);
                else {
                    p.templ = *tt;
                    for (const auto& ref : tt->refs()) {
                        YNode rn;
                        rn.kind = YNode::Kind::Scalar;
                        rn.text = ref;
                        rn.pos = sval.pos;
                        parse_field(rn, *specs, prefix, {}, nullptr, p.read.function);
                    }
                    p.field_path = prefix;  // the record the references are relative to
                }
            }
        }
    } else if (src == "value" || src == "stored") {
        p.source = src == "value" ? Source::constant : Source::stored;
        if (!sval.is_scalar() && !sval.is_null()) error(sval.pos, "'" + src + "' is a single value");
        p.value = sval.text;
        if (!p.value.empty())
            if (auto st = datamodel::check_value(p.ptype, p.value, false); !st)
                error(sval.pos, std::string(src == "value" ? "bad constant" : "bad stored value") + " for " + p.path +
                                    ": " + st.error().message);
        if (p.source == Source::stored && o.kind == ObjectKind::list)
            error(sval.pos, "list rows cannot keep stored values (rows come and go with the gateway's list)");
    }

    if (!parse_transform(spec, p.transform, fspec)) p.transform = Transform{};
    if (fspec && p.source == Source::field) check_compat(*fspec, sval.text, p, sval.pos);
    if (p.source != Source::field && !p.transform.identity())
        error(spec.pos, "transforms apply to 'field' values, not to a " + src);

    const YNode* w = spec.get("write");
    if (w && !p.writable) {
        error(w->pos, "read-only parameter " + p.path + " has a 'write' rule");
    } else if (p.writable) {
        if (w) p.write = parse_write(*w);
        else if (o.write && p.source == Source::field) p.write = o.write;
        const YNode* os = spec.get("on_set");
        if (p.source == Source::stored) {
            if (w) error(w->pos, "stored parameters are written locally; remove 'write'");
            p.write.reset();
        } else if (p.source != Source::field) {
            error(key.pos, "writable " + p.path + " has a " + src + " value that cannot be written",
                  "add 'access: ro' to present it read-only");
        } else if (!p.write && !os && !p.read.empty() && !(w || write_given_.count(oi))) {
            error(key.pos, "writable parameter " + p.path + " has no set rule",
                  "add 'write: <set function>' to the object or parameter, or 'access: ro' to present it read-only");
        } else if (p.write) {
            check_write(p, o, rel, sval.pos);
        }
    }
    if (const YNode* os = spec.get("on_set")) {
        if (!p.writable || p.source != Source::stored)
            error(os->pos, "'on_set' is for writable stored parameters (a trigger such as Invoke)");
        else parse_action(p, o, *os);
    }
    if (const YNode* nt = spec.get("notify")) parse_notify(p, o, *nt);

    t_->params_.push_back(std::move(p));
    const int pi = static_cast<int>(t_->params_.size()) - 1;
    t_->param_index_.emplace(t_->params_[pi].path, pi);
    t_->objects_[oi].params.push_back(pi);
}

}  // namespace mapping
