#include "bridge/acs/discovery.hpp"

#include "bridge/core/log.hpp"

namespace acs {
namespace {

void queue_interval_read(CpeRecord& record, RpcQueue& queue) {
    const std::string name = record.root + "ManagementServer.PeriodicInformInterval";
    if (record.periodic_interval || !record.knows(name)) return;
    queue.enqueue_internal(cwmp::GetParameterValues{{name}}, [&record](RpcResult r) {
        if (!r) return;
        auto* values = std::get_if<cwmp::GetParameterValuesResponse>(&*r);
        if (!values) return;
        for (const auto& p : values->parameters) record.set_periodic_interval(p.value);
    });
}

}  // namespace

void queue_notifications(CpeRecord& record, RpcQueue& queue) {
    std::vector<std::string> names = record.unwatched_matches();
    if (names.empty()) return;
    cwmp::SetParameterAttributes spa;
    for (const auto& n : names) spa.parameters.push_back({n, true, 2, false, {}});
    queue.enqueue_internal(std::move(spa), [&record, names](RpcResult r) {
        if (r && std::holds_alternative<cwmp::SetParameterAttributesResponse>(*r)) {
            record.notification_active.insert(names.begin(), names.end());
            record.notification_error.clear();
        } else if (r && std::holds_alternative<cwmp::Fault>(*r)) {
            // Typically 9009 (notification request rejected): a CPE may refuse
            // active notification on some of them; the upper layer sees it here
            // and polls instead.
            const auto& f = std::get<cwmp::Fault>(*r);
            record.notification_error = std::to_string(f.code) + " " + f.string;
            record.notification_refused.insert(names.begin(), names.end());
            core::log::warn(record.id, "the CPE refused active notification: " + record.notification_error);
        } else if (!r) {
            record.notification_error = r.error().code;
        }
    });
}

void queue_discovery(CpeRecord& record, RpcQueue& queue, const cwmp::Inform& inform) {
    if (record.discovery_queued) return;
    if (!record.needs_discovery(inform)) {
        queue_notifications(record, queue);
        queue_interval_read(record, queue);
        return;
    }
    record.discovery_queued = true;
    cwmp::GetParameterNames gpn{record.root, false};
    queue.enqueue_internal(std::move(gpn), [&record, &queue](RpcResult r) {
        record.discovery_queued = false;
        if (r && std::holds_alternative<cwmp::GetParameterNamesResponse>(*r)) {
            record.on_names(std::get<cwmp::GetParameterNamesResponse>(*r), record.last_inform.value_or(TimePoint{}));
            queue_notifications(record, queue);
            queue_interval_read(record, queue);
        } else {
            core::log::warn(record.id, std::string("data model discovery failed: ") +
                                           (r ? std::string(cwmp::rpc_name(*r)) : r.error().code));
        }
    });
}

}  // namespace acs
