// Compiler: gateway messages (events, completions), RPC mappings, and the
// catalogue functions a table leaves out on purpose.
#include <algorithm>

#include "bridge/mapping/compile.hpp"

namespace mapping {
namespace {

const VarSet kDownloadVars = {"CommandKey", "FileType", "URL", "Username", "Password", "FileSize", "TargetFileName",
                              "DelaySeconds", "SuccessURL", "FailureURL"};
const VarSet kUploadVars = {"CommandKey", "FileType", "URL", "Username", "Password", "DelaySeconds"};

bool standard_file_type(std::string_view rpc, std::string_view ft) {
    if (ft.rfind("X ", 0) == 0 && ft.size() > 4) return true;  // vendor: "X <OUI or domain> <name>"
    static const char* const download[] = {"1 Firmware Upgrade Image", "2 Web Content", "3 Vendor Configuration File",
                                           "4 Tone File", "5 Ringer File"};
    static const char* const upload[] = {"1 Vendor Configuration File", "2 Vendor Log File"};
    if (rpc == "Download") return std::find(std::begin(download), std::end(download), ft) != std::end(download);
    return std::find(std::begin(upload), std::end(upload), ft) != std::end(upload);
}

}  // namespace

void Compiler::load_events(const YNode* n) {
    if (!n) return;
    if (!n->is_map()) {
        error(n->pos, "'events' maps rule names to { message, object, key, values } rules");
        return;
    }
    for (const auto& [k, v] : n->entries) {
        if (!v.is_map()) {
            error(v.pos, "event rule '" + k.text + "' must be a map");
            continue;
        }
        check_keys(v, {"message", "object", "key", "subscription", "value", "values", "description"}, "event " + k.text);
        EventRule e;
        e.name = k.text;
        e.pos = k.pos;
        const YNode* m = v.get("message");
        if (!m) {
            error(k.pos, "event rule '" + k.text + "' needs 'message:' (a gateway -> HOMS function)");
            continue;
        }
        const cmp::FunctionSpec* fs = function(*m, false);
        if (!fs) continue;
        e.message = fs->name;
        const std::vector<cmp::FieldSpec>& specs = fs->request;
        if (const YNode* sub = v.get("subscription")) {
            // The subscribed parameter's row is only known at run time, so
            // selectors may name any parameter: not checked here.
            VarSet any;
            for (const auto& [oi, vars] : object_vars_) any.insert(vars.begin(), vars.end());
            if (auto fp = parse_field(*sub, specs, {}, {}, nullptr, e.message)) e.subscription = *fp;
            const YNode* val = v.get("value");
            if (!val) error(k.pos, "a subscription event needs 'value:' (where the new value is)");
            else if (auto vs = parse_value(*val, specs, any)) e.value = std::move(*vs);
            if (v.get("object") || v.get("values")) error(k.pos, "a subscription event finds its parameters by subscription; "
                                                                 "remove 'object'/'values'");
            t_->events_.push_back(std::move(e));
            continue;
        }
        const YNode* obj = v.get("object");
        if (!obj || !obj->is_scalar()) {
            error(k.pos, "event rule '" + k.text + "' needs 'object:' (or 'subscription:')");
            continue;
        }
        for (int i = 0; i < static_cast<int>(t_->objects_.size()); ++i)
            if (t_->objects_[i].path == obj->text) e.object = i;
        if (e.object < 0) {
            error(obj->pos, "'" + obj->text + "' is not an object of this table");
            continue;
        }
        const ObjectRule& o = t_->objects_[e.object];
        if (o.kind == ObjectKind::rows) {
            error(obj->pos, "events reach 'rows: local' objects through subscriptions", "use 'subscription:'");
            continue;
        }
        if (const YNode* key = v.get("key")) {
            if (o.kind != ObjectKind::list) error(key->pos, "'key' is for list objects");
            else if (auto fp = parse_field(*key, specs, {}, {}, nullptr, e.message)) e.key = *fp;
        } else if (o.kind == ObjectKind::list) {
            error(k.pos, "an event on list rows needs 'key:' (the message field with the row key)");
        }
        const YNode* vals = v.get("values");
        if (!vals || !vals->is_map() || vals->entries.empty()) {
            error(k.pos, "event rule '" + k.text + "' needs 'values:' (parameter: message field)");
            continue;
        }
        for (const auto& [pk, pv] : vals->entries) {
            int pi = -1;
            for (int p : o.params)
                if (t_->params_[p].name == pk.text) pi = p;
            if (pi < 0) {
                error(pk.pos, "'" + pk.text + "' is not a parameter of " + o.path);
                continue;
            }
            if (auto vs = parse_value(pv, specs, {})) e.values.emplace_back(pi, std::move(*vs));
        }
        t_->events_.push_back(std::move(e));
    }
}

void Compiler::load_rpc(const YNode* n) {
    if (!n) return;
    if (!n->is_map()) {
        error(n->pos, "'rpc' maps Reboot, FactoryReset, Download and Upload to CMP functions");
        return;
    }
    for (const auto& [k, v] : n->entries) {
        if (k.text == "Reboot" || k.text == "FactoryReset") {
            load_transfer(k.text, "", k, v);
        } else if (k.text == "Download" || k.text == "Upload") {
            if (!v.is_map()) {
                error(v.pos, k.text + " maps each FileType to a rule", "\"1 Firmware Upgrade Image\": { call: ... }");
                continue;
            }
            for (const auto& [fk, fv] : v.entries) {
                if (!standard_file_type(k.text, fk.text))
                    error(fk.pos, "'" + fk.text + "' is not a " + k.text + " FileType of TR-069",
                          k.text == "Download" ? "1 Firmware Upgrade Image, 2 Web Content, 3 Vendor Configuration File, "
                                                 "4 Tone File, 5 Ringer File, or X <VENDOR> <name>"
                                               : "1 Vendor Configuration File, 2 Vendor Log File, or X <VENDOR> <name>");
                else load_transfer(k.text, fk.text, fk, fv);
            }
        } else {
            error(k.pos, "unknown RPC '" + k.text + "'", "Reboot, FactoryReset, Download or Upload");
        }
    }
}

void Compiler::load_transfer(const std::string& rpc, const std::string& ft, const YNode& key, const YNode& n) {
    const std::string what = ft.empty() ? rpc : rpc + " '" + ft + "'";
    if (!n.is_map()) {
        error(n.pos, what + " is { call: function, args: {...} }");
        return;
    }
    check_keys(n, {"call", "args", "completion", "content", "description"}, what);
    TransferRule r;
    r.rpc = rpc;
    r.file_type = ft;
    r.pos = key.pos;
    const VarSet vars = rpc == "Download" ? kDownloadVars : rpc == "Upload" ? kUploadVars
                                          : rpc == "Reboot" ? VarSet{"CommandKey"} : VarSet{};
    const YNode* call = n.get("call");
    const YNode* content = n.get("content");
    if (!call && !content) {
        error(key.pos, what + " needs 'call:'");
        return;
    }
    if (content) {
        if (rpc != "Upload" || call) {
            error(content->pos, "'content' is for Upload rules without 'call' (the bridge uploads a value itself)");
            return;
        }
        const YNode* rd = content->is_map() ? content->get("read") : nullptr;
        const YNode* fd = content->is_map() ? content->get("field") : nullptr;
        if (!rd || !fd) {
            error(content->pos, "content is { read: function, field: field }", "e.g. { read: getRgLog, field: logText }");
            return;
        }
        auto rc = parse_call(*rd, nullptr, {}, true);
        if (!rc) return;
        if (auto fp = parse_field(*fd, t_->catalogue_->find(rc->function)->response, {}, {}, nullptr, rc->function))
            r.content_field = *fp;
        r.content_read = std::move(*rc);
        t_->transfers_.push_back(std::move(r));
        return;
    }
    auto c = parse_call(*call, n.get("args"), vars, true);
    if (!c) return;
    r.call = std::move(*c);
    if (const YNode* comp = n.get("completion")) {
        if (rpc != "Download" && rpc != "Upload") {
            error(comp->pos, "'completion' is for Download and Upload");
        } else if (!comp->is_map() || !comp->get("message")) {
            error(comp->pos, "completion is { message: function, result: field, start: field, complete: field }");
        } else {
            check_keys(*comp, {"message", "result", "start", "complete"}, "completion");
            if (const cmp::FunctionSpec* ms = function(*comp->get("message"), false)) {
                r.completion = ms->name;
                auto field = [&](const char* name, FieldPath& out) {
                    const YNode* f = comp->get(name);
                    if (!f) {
                        error(comp->pos, std::string("completion needs '") + name + ":'");
                        return;
                    }
                    const cmp::FieldSpec* fs = nullptr;
                    if (auto fp = parse_field(*f, ms->request, {}, {}, &fs, ms->name)) out = *fp;
                    if (fs && name[0] == 'r' && fs->type != cmp::Type::Int && fs->type != cmp::Type::UnsignedInt)
                        error(f->pos, "'result' is the message's numeric result code field");
                };
                field("result", r.result_field);
                field("start", r.start_field);
                field("complete", r.complete_field);
            }
        }
    }
    t_->transfers_.push_back(std::move(r));
}

// `unmapped: { regRg: "reason" }` makes "this table covers the catalogue"
// checkable: a function is either used by a rule or declared here, never both.
void Compiler::load_unmapped(const YNode* n) {
    if (!n) return;
    if (!n->is_map()) {
        error(n->pos, "'unmapped' maps CMP function names to the reason the table leaves them out",
              "unmapped: { keepAliveRg: \"liveness only: the bridge's own business\" }");
        return;
    }
    const std::set<std::string> used = t_->functions();
    for (const auto& [k, v] : n->entries) {
        if (!k.is_scalar()) {
            error(k.pos, "keys of 'unmapped' are CMP function names, not " + std::string(k.kind_name()));
            continue;
        }
        const cmp::FunctionSpec* f = t_->catalogue_->find(k.text);
        if (!f) {
            error(k.pos, "unknown CMP function '" + k.text + "' in 'unmapped'",
                  "functions are listed in docs/cmp-protocol.md; a table declares others under 'catalogue:'");
            continue;
        }
        if (!v.is_scalar() || v.text.find_first_not_of(" \t") == std::string::npos) {
            error(v.pos, "'unmapped: " + k.text + "' needs the reason as text",
                  "say why the table leaves it out, e.g. \"registration is the bridge's own business\"");
            continue;
        }
        if (used.count(k.text)) {
            error(k.pos, "'" + k.text + "' is declared unmapped but a rule of the table uses it",
                  "drop it from 'unmapped' (an including table: remove: [unmapped." + k.text + "])");
            continue;
        }
        t_->unmapped_.emplace(k.text, v.text);
    }
}

}  // namespace mapping
