// TableDevice: AddObject/DeleteObject, RPCs carried out by the gateway,
// subscriptions (Notification attributes) and gateway messages.
#include <algorithm>
#include <memory>

#include "bridge/mapping/table_device.hpp"

namespace mapping {
namespace {

using StepU = cpe::Step<cpe::Unit>;

core::Result<cmp::Response> only(const cpe::CallResults& r) {
    if (r.size() != 1) return core::make_error("cmp.plan", "CMP results do not match the plan");
    return r[0];
}

Vars map_vars(std::map<std::string, std::string> m) {
    return [m = std::move(m)](std::string_view n) -> std::optional<std::string> {
        auto it = m.find(std::string(n));
        return it == m.end() ? std::nullopt : std::optional(it->second);
    };
}

}  // namespace

// ---- objects -------------------------------------------------------------------

cpe::Step<std::uint32_t> TableDevice::add_object(const std::string& path) {
    using StepT = cpe::Step<std::uint32_t>;
    auto r = resolve_path(*table_, path);
    const auto& tree = table_->tree();
    if (!r || tree[r->node].kind != TreeNode::Kind::table || r->instance != 0)
        return StepT::ready(make_fault(9005, "Invalid parameter name: " + path + " is not a table"));
    int row = -1;
    for (int c : tree[r->node].children)
        if (tree[c].kind == TreeNode::Kind::row) row = c;
    if (row < 0 || !tree[r->node].writable)
        return StepT::ready(make_fault(9005, "Invalid parameter name: " + path + " does not accept AddObject"));
    const int obj = tree[row].object;
    const ObjectRule& o = table_->objects()[obj];
    if (o.kind == ObjectKind::rows) {
        RowsState& rs = state_.rows[obj];
        if (o.max_rows && rs.rows.size() >= o.max_rows)
            return StepT::ready(make_fault(9004, "Resources exceeded: " + path + " holds at most " +
                                                     std::to_string(o.max_rows) + " rows"));
        std::uint32_t inst = rs.next++;
        auto& values = rs.rows[inst];
        for (int pi : o.params)
            if (table_->params()[pi].source == Source::stored) values[table_->params()[pi].name] = table_->params()[pi].value;
        touch();
        return StepT::ready(inst);
    }
    return StepT::need({o.add->build({})}, [this, obj](cpe::CallResults res) -> StepT {
        const ObjectRule& o = table_->objects()[obj];
        auto r = only(res);
        if (!call_ok(r)) return StepT::ready(call_fault(table_->faults(), FaultContext::object, r, o.add->function));
        const std::string* key = o.add_key.scalar(r->fields);
        if (!key) return StepT::ready(make_fault(9002, "Internal error: " + o.add->function + " answered no key"));
        ListState& l = state_.lists[obj];
        std::uint32_t inst = l.assign(*key);
        auto present = l.present;
        present.push_back(inst);
        l.set_present(std::move(present));
        touch();
        return StepT::ready(inst);
    });
}

cpe::Step<cpe::Unit> TableDevice::delete_object(const std::string& path) {
    auto r = resolve_path(*table_, path);
    const auto& tree = table_->tree();
    if (!r || tree[r->node].kind != TreeNode::Kind::row || !tree[r->node].writable ||
        !row_exists(tree[r->node].object, r->instance))
        return StepU::ready(make_fault(9005, "Invalid parameter name: " + path + " is not a deletable instance"));
    const int obj = tree[r->node].object;
    const std::uint32_t inst = r->instance;
    const ObjectRule& o = table_->objects()[obj];
    if (o.kind == ObjectKind::list) {
        return StepU::need({o.remove->build(row_vars(obj, inst))}, [this, obj, inst](cpe::CallResults res) -> StepU {
            auto r = only(res);
            if (!call_ok(r))
                return StepU::ready(call_fault(table_->faults(), FaultContext::object, r, table_->objects()[obj].remove->function));
            ListState& l = state_.lists[obj];
            std::erase(l.present, inst);
            touch();
            return StepU::ready(cpe::Unit{});
        });
    }
    // A local row goes with its subscriptions; the gateway forgetting one is fine.
    const std::string prefix = instance_path(o.path, inst);
    std::vector<cmp::Request> calls;
    for (const auto& [ipath, id] : state_.subscriptions)
        if (ipath.rfind(prefix, 0) == 0)
            if (const ParamRule* p = table_->find(o.path + ipath.substr(prefix.size())); p && p->notify) {
                auto vars = row_vars(obj, inst);
                calls.push_back(p->notify->unsubscribe.build([&, id = id](std::string_view n) {
                    return n == "$id" ? std::optional(id) : vars(n);
                }));
            }
    auto finish = [this, obj, inst, prefix](cpe::CallResults) -> StepU {
        state_.rows[obj].rows.erase(inst);
        std::erase_if(state_.subscriptions, [&](const auto& e) { return e.first.rfind(prefix, 0) == 0; });
        touch();
        return StepU::ready(cpe::Unit{});
    };
    if (calls.empty()) return finish({});
    return StepU::need(std::move(calls), std::move(finish));
}

// ---- RPCs ----------------------------------------------------------------------

cpe::Step<cpe::Unit> TableDevice::run_rpc(const TransferRule* rule, const Vars& vars, FaultContext ctx,
                                          const std::string& what) {
    if (!rule) return StepU::ready(make_fault(9000, "Method not supported: " + what + " is not mapped for this gateway"));
    std::string missing;
    cmp::Request req = rule->call.build(vars, &missing);
    const FaultMap& faults = table_->faults();
    std::string fn = rule->call.function;
    return StepU::need({std::move(req)}, [&faults, ctx, fn](cpe::CallResults res) -> StepU {
        auto r = only(res);
        if (!call_ok(r)) return StepU::ready(call_fault(faults, ctx, r, fn));
        return StepU::ready(cpe::Unit{});
    });
}

cpe::Step<cpe::Unit> TableDevice::reboot(const std::string& command_key) {
    return run_rpc(table_->transfer("Reboot"), map_vars({{"CommandKey", command_key}}), FaultContext::rpc, "Reboot");
}

cpe::Step<cpe::Unit> TableDevice::factory_reset() {
    return run_rpc(table_->transfer("FactoryReset"), map_vars({}), FaultContext::rpc, "FactoryReset");
}

namespace {

cwmp::Fault unsupported_type(const Table& t, const std::string& rpc, const std::string& ft) {
    std::string known;
    for (const auto& r : t.transfers())
        if (r.rpc == rpc) known += (known.empty() ? "" : ", ") + r.file_type;
    if (known.empty()) return make_fault(9000, "Method not supported: " + rpc + " is not mapped for this gateway");
    return make_fault(9003, "Invalid arguments: FileType '" + ft + "' is not supported (" + known + ")");
}

}  // namespace

cpe::Step<cpe::Unit> TableDevice::download(const cwmp::Download& d) {
    const TransferRule* rule = table_->transfer("Download", d.file_type);
    if (!rule) return StepU::ready(unsupported_type(*table_, "Download", d.file_type));
    return run_rpc(rule,
                   map_vars({{"CommandKey", d.command_key}, {"FileType", d.file_type}, {"URL", d.url},
                             {"Username", d.username}, {"Password", d.password},
                             {"FileSize", std::to_string(d.file_size)}, {"TargetFileName", d.target_file_name},
                             {"DelaySeconds", std::to_string(d.delay_seconds)}, {"SuccessURL", d.success_url},
                             {"FailureURL", d.failure_url}}),
                   FaultContext::download, "Download");
}

cpe::Step<cpe::Unit> TableDevice::upload(const cwmp::Upload& u) {
    const TransferRule* rule = table_->transfer("Upload", u.file_type);
    if (!rule) return StepU::ready(unsupported_type(*table_, "Upload", u.file_type));
    if (!rule->content_read.empty())
        return StepU::ready(make_fault(9000, "Method not supported: Upload of '" + u.file_type +
                                                 "' is carried out by the bridge (TableDevice::upload_content)"));
    return run_rpc(rule,
                   map_vars({{"CommandKey", u.command_key}, {"FileType", u.file_type}, {"URL", u.url},
                             {"Username", u.username}, {"Password", u.password},
                             {"DelaySeconds", std::to_string(u.delay_seconds)}}),
                   FaultContext::upload, "Upload");
}

TransferMode TableDevice::transfer_mode(std::string_view rpc, std::string_view file_type) const {
    const TransferRule* r = table_->transfer(rpc, file_type);
    if (!r) return TransferMode::unsupported;
    if (!r->content_read.empty()) return TransferMode::bridge_upload;
    return r->completion.empty() ? TransferMode::immediate : TransferMode::notified;
}

cpe::Step<std::string> TableDevice::upload_content(const cwmp::Upload& u) {
    using StepT = cpe::Step<std::string>;
    const TransferRule* rule = table_->transfer("Upload", u.file_type);
    if (!rule || rule->content_read.empty()) return StepT::ready(unsupported_type(*table_, "Upload", u.file_type));
    return StepT::need({rule->content_read.build({})}, [this, rule](cpe::CallResults res) -> StepT {
        auto r = only(res);
        if (!call_ok(r)) return StepT::ready(call_fault(table_->faults(), FaultContext::upload, r, rule->content_read.function));
        const std::string* s = rule->content_field.scalar(r->fields);
        return StepT::ready(s ? *s : std::string());
    });
}

std::optional<TransferCompleteInfo> TableDevice::completion(const cmp::Request& msg) const {
    for (const auto& r : table_->transfers()) {
        if (r.completion.empty() || r.completion != msg.function) continue;
        TransferCompleteInfo info;
        info.rpc = r.rpc;
        info.file_type = r.file_type;
        const std::string* code = r.result_field.scalar(msg.args);
        int rc = 0;
        if (!code || std::sscanf(code->c_str(), "%d", &rc) != 1) rc = cmp::result_code::general_failure;
        for (auto [field, out] : {std::pair{&r.start_field, &info.start_time}, std::pair{&r.complete_field, &info.complete_time}})
            if (const std::string* t = field->scalar(msg.args))
                if (auto secs = cmp::parse_date_time(*t)) *out = cmp::format_date_time(*secs);
        if (rc != 0) {
            FaultContext ctx = r.rpc == "Upload" ? FaultContext::upload : FaultContext::download;
            info.fault.code = table_->faults().code(ctx, rc);
            info.fault.string = std::string(cwmp::default_fault_string(info.fault.code)) + " (gateway resultCode " +
                                std::to_string(rc) + " " + std::string(cmp::result_code_name(rc)) + ")";
        }
        return info;
    }
    return std::nullopt;
}

}  // namespace mapping
