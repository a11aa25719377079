// RpcHandler: dispatch, reads (GetRPCMethods, GetParameterValues,
// GetParameterNames) and the node lookups the other RPCs share. Writes live
// in rpc_set.cpp, attributes in rpc_attributes.cpp, the rest in rpc_control.cpp.
#include "bridge/cpe/rpc_handler.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>

#include "bridge/cpe/attributes.hpp"
#include "bridge/cpe/step_util.hpp"

namespace cpe {
namespace {

using Values = std::vector<cwmp::ParameterValue>;
using Nodes = std::vector<NodeInfo>;

bool is_partial(std::string_view p) { return !p.empty() && p.back() == '.'; }

bool matches(std::string_view requested, std::string_view path) {
    return is_partial(requested) ? path.compare(0, requested.size(), requested) == 0 : path == requested;
}

std::int64_t system_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

cwmp::Fault make_fault(std::uint32_t code, std::string text) {
    cwmp::Fault f;
    f.code = code;
    f.string = text.empty() ? std::string(cwmp::default_fault_string(code)) : std::move(text);
    return f;
}

RpcHandler::RpcHandler(LocalContext local, CpeState& state, cwmp::EventQueue& events, Device& device, Clock now)
    : local_(std::move(local)), state_(state), events_(events), device_(device), now_(std::move(now)) {
    if (!now_) now_ = system_now;
}

const std::vector<std::string>& RpcHandler::methods() {
    static const std::vector<std::string> m = {
        "GetRPCMethods",  "GetParameterNames", "GetParameterValues", "SetParameterValues", "GetParameterAttributes",
        "SetParameterAttributes", "AddObject", "DeleteObject", "Reboot", "FactoryReset",
        "Download", "Upload", "ScheduleInform"};
    return m;
}

bool RpcHandler::under_root(std::string_view path) const {
    return path.compare(0, local_.root.size(), local_.root) == 0;
}

Step<cwmp::Body> RpcHandler::handle(const cwmp::Body& request) {
    using B = Step<cwmp::Body>;
    auto wrap = [](auto step) {
        return then<cwmp::Body>(std::move(step), [](auto v) { return B::ready(cwmp::Body(std::move(v))); });
    };
    if (std::holds_alternative<cwmp::GetRPCMethods>(request))
        return B::ready(cwmp::Body(cwmp::GetRPCMethodsResponse{methods()}));
    if (auto* r = std::get_if<cwmp::GetParameterValues>(&request)) {
        if (r->names.empty()) return B::ready(make_fault(9003, "Invalid arguments: ParameterNames is empty"));
        return wrap(then<cwmp::GetParameterValuesResponse>(get_values(r->names), [](Values v) {
            return Step<cwmp::GetParameterValuesResponse>::ready(cwmp::GetParameterValuesResponse{std::move(v)});
        }));
    }
    if (auto* r = std::get_if<cwmp::GetParameterNames>(&request)) return get_names(*r);
    if (auto* r = std::get_if<cwmp::SetParameterValues>(&request)) return set_values(*r);
    if (auto* r = std::get_if<cwmp::GetParameterAttributes>(&request)) return get_attributes(*r);
    if (auto* r = std::get_if<cwmp::SetParameterAttributes>(&request)) return set_attributes(*r);
    if (auto* r = std::get_if<cwmp::AddObject>(&request)) return add_object(*r);
    if (auto* r = std::get_if<cwmp::DeleteObject>(&request)) return delete_object(*r);
    if (auto* r = std::get_if<cwmp::Reboot>(&request)) return reboot(*r);
    if (std::holds_alternative<cwmp::FactoryReset>(request)) return factory_reset();
    if (auto* r = std::get_if<cwmp::Download>(&request)) return download(*r);
    if (auto* r = std::get_if<cwmp::Upload>(&request)) return upload(*r);
    if (auto* r = std::get_if<cwmp::ScheduleInform>(&request)) return schedule_inform(*r);
    if (auto* u = std::get_if<cwmp::UnknownRpc>(&request))
        return B::ready(make_fault(9000, "Method not supported: " + u->name));
    return B::ready(make_fault(9000, "Method not supported: " + std::string(cwmp::rpc_name(request))));
}

Step<Values> RpcHandler::get_values(const std::vector<std::string>& raw_names) {
    // What the answer needs, behind one pointer: the continuation is copied as it travels through Steps.
    struct Request {
        std::vector<std::string> names;
        std::vector<std::pair<std::size_t, cwmp::ParameterValue>> local_values;
    };
    auto req = std::make_shared<Request>();
    std::vector<std::string>& names = req->names;
    names.reserve(raw_names.size());
    for (const auto& raw : raw_names) {
        // An empty name means the whole tree (TR-069 A.3.2.2).
        std::string name = raw.empty() ? local_.root : raw;
        if (!under_root(name)) return Step<Values>::ready(make_fault(9005, "Invalid parameter name: " + raw));
        names.push_back(std::move(name));
    }
    // Locals and device values are tagged with the first request name they
    // answer, so the response follows the request order.
    // Built only when a name can reach them: most GPVs ask for gateway values only.
    std::vector<LocalParameter> locals;
    if (std::any_of(names.begin(), names.end(), [&](const std::string& n) { return may_name_local(local_, n); }))
        locals = local_parameters(local_, state_);
    std::vector<std::string> device_names;
    device_names.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        bool hit = false;
        for (auto& l : locals)
            if (matches(names[i], l.path)) {
                req->local_values.push_back({i, {l.path, l.value, l.type}});
                hit = true;
            }
        if (is_local_path(local_, names[i])) {
            if (!hit) return Step<Values>::ready(make_fault(9005, "Invalid parameter name: " + names[i]));
            continue;
        }
        device_names.push_back(names[i]);
    }
    auto merge = [this, req](Values device_values) -> Step<Values> {
        // A stable counting sort by tag: the device's values in their order, then the locals, under
        // each request name (tag names.size(): a value no name matches, last).
        const std::vector<std::string>& names = req->names;
        constexpr std::size_t kDropped = SIZE_MAX;
        std::vector<std::size_t> tags(device_values.size(), kDropped);
        std::vector<std::size_t> next(names.size() + 2, 0);  // values tagged below i, then where tag i goes
        for (std::size_t j = 0; j < device_values.size(); ++j) {
            const std::string& name = device_values[j].name;
            if (is_local_path(local_, name)) continue;  // the bridge's own, never the gateway's
            std::size_t tag = names.size();
            for (std::size_t i = 0; i < names.size() && tag == names.size(); ++i)
                if (matches(names[i], name)) tag = i;
            tags[j] = tag;
            ++next[tag + 1];
        }
        for (const auto& [tag, v] : req->local_values) ++next[tag + 1];
        for (std::size_t i = 1; i < next.size(); ++i) next[i] += next[i - 1];
        Values out(next.back());
        for (std::size_t j = 0; j < device_values.size(); ++j)
            if (tags[j] != kDropped) out[next[tags[j]]++] = std::move(device_values[j]);
        for (const auto& [tag, v] : req->local_values) out[next[tag]++] = v;
        return Step<Values>::ready(std::move(out));
    };
    if (device_names.empty()) return merge({});
    return then<Values>(device_.get_values(device_names), std::move(merge));
}

Step<cwmp::Body> RpcHandler::get_names(const cwmp::GetParameterNames& req) {
    using B = Step<cwmp::Body>;
    const std::string& root = local_.root;
    auto answer = [](Nodes nodes) {
        cwmp::GetParameterNamesResponse r;
        for (auto& n : nodes) r.parameters.push_back({n.path, n.writable});
        return B::ready(cwmp::Body(std::move(r)));
    };
    // Empty path with NextLevel true: only the root object (TR-069 A.3.2.3).
    if (req.parameter_path.empty() && req.next_level) return answer({NodeInfo{root, true, false, ""}});
    const std::string path = req.parameter_path.empty() ? root : req.parameter_path;
    if (!under_root(path)) return B::ready(make_fault(9005, "Invalid parameter name: " + path));

    const std::string ms = management_server_path(local_);
    auto locals = local_parameters(local_, state_);
    Nodes local_nodes;  // the local tree as nodes: DeviceSummary, the ManagementServer object, its parameters
    for (auto& l : locals) {
        if (l.path == ms + "URL") local_nodes.push_back({ms, true, false, ""});
        local_nodes.push_back({l.path, false, l.writable, l.type});
    }
    auto is_child = [](const std::string& parent, const std::string& p) {
        if (p.size() <= parent.size() || p.compare(0, parent.size(), parent) != 0) return false;
        auto rest = std::string_view(p).substr(parent.size());
        auto dot = rest.find('.');
        return dot == std::string_view::npos || dot == rest.size() - 1;
    };

    if (!is_partial(path)) {
        for (auto& n : local_nodes)
            if (n.path == path) {
                if (req.next_level)
                    return B::ready(make_fault(9003, "Invalid arguments: NextLevel true on parameter " + path));
                return answer({n});
            }
        if (is_local_path(local_, path)) return B::ready(make_fault(9005, "Invalid parameter name: " + path));
        if (auto node = device_.describe(path); node && !node->is_object && req.next_level)
            return B::ready(make_fault(9003, "Invalid arguments: NextLevel true on parameter " + path));
        return then<cwmp::Body>(device_.get_names(path, req.next_level), answer);
    }
    if (is_local_path(local_, path)) {
        Nodes out;
        for (auto& n : local_nodes)
            if (req.next_level ? is_child(path, n.path) : (n.path.compare(0, path.size(), path) == 0)) out.push_back(n);
        bool exists = std::any_of(local_nodes.begin(), local_nodes.end(), [&](auto& n) { return n.path == path; });
        if (!exists) return B::ready(make_fault(9005, "Invalid parameter name: " + path));
        return answer(std::move(out));
    }
    return then<cwmp::Body>(device_.get_names(path, req.next_level), [=, this](Nodes device_nodes) {
        Nodes out;
        if (!req.next_level && std::none_of(device_nodes.begin(), device_nodes.end(), [&](auto& n) { return n.path == path; })) {
            // NextLevel false lists the object itself too.
            auto self = path == root ? std::nullopt : device_.describe(path);
            out.push_back(self ? *self : NodeInfo{path, true, false, ""});
        }
        bool at_root = path == root;
        if (at_root) out.push_back(local_nodes.front());  // DeviceSummary, first in both models
        for (auto& n : device_nodes)
            if (!is_local_path(local_, n.path) && n.path != local_.root + "ManagementServer.") out.push_back(std::move(n));
        if (at_root)
            for (std::size_t i = 1; i < local_nodes.size(); ++i)
                if (!req.next_level || is_child(path, local_nodes[i].path)) out.push_back(local_nodes[i]);
        return answer(std::move(out));
    });
}

ActiveNotify RpcHandler::active_notify_of(const NodeInfo& node) const {
    return stronger(node.active_notify, standard_active_notify(local_.root, node.path));
}

int RpcHandler::notification_of(const std::string& path) const {
    ActiveNotify an = standard_active_notify(local_.root, path);
    if (auto node = device_.describe(path)) an = stronger(an, node->active_notify);
    return effective_notification(state_.attributes, path, an);
}

Step<Nodes> RpcHandler::resolve(const std::string& path) {
    if (auto node = device_.describe(path)) return Step<Nodes>::ready(Nodes{*node});
    return device_.get_names(path, false);
}

Step<Nodes> RpcHandler::parameters_under(std::vector<std::string> names) {
    // Resolved one name at a time; each may need gateway calls (dynamic tables).
    auto acc = std::make_shared<Nodes>();
    auto locals = local_parameters(local_, state_);
    // A loop over the names that suspends at each device lookup and resumes at the next name.
    struct Chain {
        RpcHandler* self;
        std::vector<std::string> names;
        std::shared_ptr<Nodes> acc;
        std::vector<LocalParameter> locals;
        Step<Nodes> operator()(std::size_t i) const {
            for (; i < names.size(); ++i) {
                const std::string& name = names[i];
                if (!self->under_root(name)) return Step<Nodes>::ready(make_fault(9005, "Invalid parameter name: " + name));
                bool hit = false;
                for (auto& l : locals)
                    if (matches(name, l.path)) {
                        acc->push_back({l.path, false, l.writable, l.type, l.active_notify});
                        hit = true;
                    }
                bool local_only = is_local_path(self->local_, name);
                if (local_only && !hit) return Step<Nodes>::ready(make_fault(9005, "Invalid parameter name: " + name));
                if (local_only) continue;
                Chain rest = *this;
                auto step = is_partial(name) ? self->device_.get_names(name, false) : self->resolve(name);
                return then<Nodes>(std::move(step), [rest, i, name](Nodes found) {
                    for (auto& n : found)
                        if (!n.is_object && !is_local_path(rest.self->local_, n.path) && matches(name, n.path)) {
                            n.active_notify = rest.self->active_notify_of(n);
                            rest.acc->push_back(std::move(n));
                        }
                    return rest(i + 1);
                });
            }
            return Step<Nodes>::ready(std::move(*acc));
        }
    };
    return Chain{this, std::move(names), acc, std::move(locals)}(0);
}

bool RpcHandler::may_change_device(const cwmp::Body& request) const {
    if (const auto* spv = std::get_if<cwmp::SetParameterValues>(&request))
        return std::any_of(spv->parameters.begin(), spv->parameters.end(),
                           [&](const cwmp::ParameterValue& pv) { return !is_local_path(local_, pv.name); });
    return std::holds_alternative<cwmp::AddObject>(request) || std::holds_alternative<cwmp::DeleteObject>(request) ||
           std::holds_alternative<cwmp::Reboot>(request) || std::holds_alternative<cwmp::FactoryReset>(request) ||
           std::holds_alternative<cwmp::Download>(request) || std::holds_alternative<cwmp::Upload>(request);
}

}  // namespace cpe
