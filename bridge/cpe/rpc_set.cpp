// SetParameterValues: all or nothing across the bridge's own parameters and
// the gateway's. Every item is checked first (so the ACS learns every bad
// parameter in one fault); then the device applies its part (it rolls back
// its own calls on failure); only then do local values and the ParameterKey
// change, so a device failure leaves nothing changed.
#include <memory>
#include <set>

#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cpe/step_util.hpp"
#include "bridge/cpe/value_syntax.hpp"

namespace cpe {
namespace {

struct SetPlan {
    std::vector<cwmp::ParameterValue> device_items;            // canonical values, data-model types
    std::vector<std::pair<std::string, std::string>> locals;  // path, canonical value
    std::vector<cwmp::SetParameterValuesFault> faults;
    std::vector<std::size_t> unresolved;  // indices of items the device must look up dynamically
};

cwmp::SetParameterValuesFault item_fault(const std::string& name, std::uint32_t code, std::string text) {
    return {name, code, text.empty() ? std::string(cwmp::default_fault_string(code)) : std::move(text)};
}

// Checks one device item against its node; adds a fault or the item.
void check_device_item(SetPlan& plan, const cwmp::ParameterValue& pv, const NodeInfo& node) {
    if (node.is_object || node.path != pv.name) return plan.faults.push_back(item_fault(pv.name, 9005, ""));
    if (!node.writable) return plan.faults.push_back(item_fault(pv.name, 9008, ""));
    // A device that names no type means a string (TR-106: string is the default).
    const std::string type = node.type.empty() ? "xsd:string" : node.type;
    if (!type_compatible(pv.type, type))
        return plan.faults.push_back(
            item_fault(pv.name, 9006, "Invalid parameter type: " + pv.type + " given, " + type + " expected"));
    auto v = canonical_value(type, pv.value);
    if (!v) return plan.faults.push_back(item_fault(pv.name, 9007, "Invalid parameter value: not a valid " + type));
    plan.device_items.push_back({pv.name, *v, type});
}

}  // namespace

Step<cwmp::Body> RpcHandler::set_values(const cwmp::SetParameterValues& req) {
    using B = Step<cwmp::Body>;
    if (req.parameter_key.size() > kMaxKey)
        return B::ready(make_fault(9003, "Invalid arguments: ParameterKey longer than 32 characters"));
    std::set<std::string> seen;
    for (auto& pv : req.parameters)
        if (!seen.insert(pv.name).second)
            return B::ready(make_fault(9003, "Invalid arguments: " + pv.name + " appears more than once"));

    auto plan = std::make_shared<SetPlan>();
    for (std::size_t i = 0; i < req.parameters.size(); ++i) {
        const auto& pv = req.parameters[i];
        if (!under_root(pv.name) || pv.name.empty() || pv.name.back() == '.') {
            plan->faults.push_back(item_fault(pv.name, 9005, ""));
        } else if (is_local_path(local_, pv.name)) {
            auto check = check_local_value(local_, state_, pv);
            if (check.fault) plan->faults.push_back(item_fault(pv.name, check.fault, check.fault_string));
            else plan->locals.push_back({pv.name, check.value});
        } else if (auto node = device_.describe(pv.name)) {
            check_device_item(*plan, pv, *node);
        } else {
            plan->unresolved.push_back(i);
        }
    }

    // Items describe() could not place are looked up one by one (rows of
    // dynamic tables); then the plan is complete.
    struct Resolve {
        RpcHandler* self;
        std::shared_ptr<SetPlan> plan;
        std::vector<cwmp::ParameterValue> params;
        Step<Unit> operator()(std::size_t k) const {
            if (k >= plan->unresolved.size()) return Step<Unit>::ready(Unit{});
            const auto& pv = params[plan->unresolved[k]];
            Resolve rest = *this;
            return then_outcome<Unit>(self->device_.get_names(pv.name, false), [rest, k, pv](Outcome<std::vector<NodeInfo>> o) {
                auto* nodes = std::get_if<0>(&o);
                if (!nodes || nodes->size() != 1) rest.plan->faults.push_back(item_fault(pv.name, 9005, ""));
                else check_device_item(*rest.plan, pv, nodes->front());
                return rest(k + 1);
            });
        }
    };
    auto resolved = Resolve{this, plan, req.parameters}(0);

    return then<cwmp::Body>(std::move(resolved), [this, plan, key = req.parameter_key](Unit) -> B {
        if (!plan->faults.empty()) {
            cwmp::Fault f = make_fault(9003);
            f.set_parameter_values_faults = plan->faults;
            return B::ready(std::move(f));
        }
        auto apply_locals = [this, plan, key](Unit) -> B {
            for (auto& [path, value] : plan->locals) {
                const std::string name = path.substr(management_server_path(local_).size());
                if (name == "URL" && value != effective_acs_url(local_, state_)) effects_.acs_url_changed = true;
                if (name.rfind("PeriodicInform", 0) == 0) effects_.periodic_changed = true;
                if (name.rfind("ConnectionRequest", 0) == 0) effects_.cr_credentials_changed = true;
                apply_local_value(local_, state_, path, value);
            }
            state_.parameter_key = key;
            changed_ = true;
            int status = !plan->device_items.empty() && device_.changes_apply_later() ? 1 : 0;
            return B::ready(cwmp::Body(cwmp::SetParameterValuesResponse{status}));
        };
        if (plan->device_items.empty()) return apply_locals(Unit{});
        return then<cwmp::Body>(device_.set_values(plan->device_items), apply_locals);
    });
}

}  // namespace cpe
