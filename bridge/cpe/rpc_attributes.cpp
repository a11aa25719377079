// Get/SetParameterAttributes. Attributes are the bridge's (stored per CPE as
// rules on paths, attributes.hpp); the gateway only hears about notification
// changes so it can subscribe to the events behind them.
#include <memory>

#include "bridge/cpe/attributes.hpp"
#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cpe/step_util.hpp"

namespace cpe {
namespace {

// TR-069 defines one AccessList value; anything else is not an argument the
// CPE can act on.
constexpr std::string_view kSubscriber = "Subscriber";

}  // namespace

Step<cwmp::Body> RpcHandler::get_attributes(const cwmp::GetParameterAttributes& req) {
    using B = Step<cwmp::Body>;
    if (req.names.empty()) return B::ready(make_fault(9003, "Invalid arguments: ParameterNames is empty"));
    std::vector<std::string> names;
    for (auto& n : req.names) names.push_back(n.empty() ? local_.root : n);
    return then<cwmp::Body>(parameters_under(std::move(names)), [this](std::vector<NodeInfo> params) {
        cwmp::GetParameterAttributesResponse r;
        for (auto& p : params)
            r.parameters.push_back({p.path, effective_notification(state_.attributes, p.path, p.active_notify),
                                    effective_access_list(state_.attributes, p.path)});
        return B::ready(cwmp::Body(std::move(r)));
    });
}

Step<cwmp::Body> RpcHandler::set_attributes(const cwmp::SetParameterAttributes& req) {
    using B = Step<cwmp::Body>;
    auto items = std::make_shared<std::vector<cwmp::SetParameterAttributesStruct>>(req.parameters);
    for (auto& item : *items) {
        if (item.name.empty()) item.name = local_.root;
        if (item.notification_change && item.notification > 2)
            return B::ready(make_fault(9009, "Notification request rejected: lightweight notification (" +
                                                 std::to_string(item.notification) + ") is not supported"));
        if (item.access_list_change)
            for (auto& entry : item.access_list)
                if (entry != kSubscriber)
                    return B::ready(make_fault(9003, "Invalid arguments: unknown AccessList entry '" + entry + "'"));
    }
    // Validate every item against the parameters it covers before anything changes.
    struct Check {
        RpcHandler* self;
        std::shared_ptr<std::vector<cwmp::SetParameterAttributesStruct>> items;
        Step<Unit> operator()(std::size_t i) const {
            if (i >= items->size()) return Step<Unit>::ready(Unit{});
            Check rest = *this;
            const auto& item = (*items)[i];
            return then<Unit>(self->parameters_under({item.name}), [rest, i, item](std::vector<NodeInfo> params) {
                if (params.empty())
                    return Step<Unit>::ready(make_fault(9005, "Invalid parameter name: " + item.name));
                bool partial = item.name.back() == '.';
                for (auto& p : params) {
                    if (!item.notification_change) break;
                    if (item.notification == 2 && p.active_notify == ActiveNotify::can_deny)
                        return Step<Unit>::ready(make_fault(9009, "Notification request rejected: active notification "
                                                                  "is not available for " + p.path));
                    // A partial path leaves force-enabled parameters at 2;
                    // naming one directly to turn it down is refused.
                    if (!partial && item.notification != 2 && p.active_notify == ActiveNotify::force_enabled)
                        return Step<Unit>::ready(make_fault(9009, "Notification request rejected: " + p.path +
                                                                  " always has active notification"));
                }
                return rest(i + 1);
            });
        }
    };
    // Then tell the gateway, item by item. A refusal (9009) aborts the whole
    // request: the items already told are told their previous value back
    // (best effort), so the gateway's subscriptions match the stored rules.
    struct Notify {
        RpcHandler* self;
        std::shared_ptr<std::vector<cwmp::SetParameterAttributesStruct>> items;
        std::shared_ptr<std::vector<std::pair<std::string, int>>> told;  // name, previous notification
        Step<Unit> operator()(std::size_t i) const {
            for (; i < items->size(); ++i) {
                const auto& item = (*items)[i];
                if (!item.notification_change || is_local_path(self->local_, item.name)) continue;
                Notify rest = *this;
                int previous = self->notification_of(item.name);
                return then_outcome<Unit>(
                    self->device_.notification_changed(item.name, item.notification),
                    [rest, i, previous, name = item.name](Outcome<Unit> o) {
                        if (auto* f = std::get_if<cwmp::Fault>(&o)) return rest.undo(0, *f);
                        rest.told->push_back({name, previous});
                        return rest(i + 1);
                    });
            }
            return Step<Unit>::ready(Unit{});
        }
        Step<Unit> undo(std::size_t k, cwmp::Fault fault) const {
            if (k >= told->size()) return Step<Unit>::ready(std::move(fault));
            Notify rest = *this;
            auto& [name, previous] = (*told)[k];
            return then_outcome<Unit>(self->device_.notification_changed(name, previous),
                                      [rest, k, fault](Outcome<Unit>) { return rest.undo(k + 1, fault); });
        }
    };
    auto checked = Check{this, items}(0);
    auto notified = then<Unit>(std::move(checked), [this, items](Unit) { return Notify{this, items, std::make_shared<std::vector<std::pair<std::string, int>>>()}(0); });
    return then<cwmp::Body>(std::move(notified), [this, items](Unit) {
        for (auto& item : *items) apply_attribute(state_.attributes, item);
        changed_ = true;
        return B::ready(cwmp::Body(cwmp::SetParameterAttributesResponse{}));
    });
}

}  // namespace cpe
