#pragma once
// The bridge's metrics (docs/operations.md, "Monitoring and the admin
// listener" lists them with their labels): one process-wide registry, as
// Prometheus clients usually have, so that the hooks in VirtualCpe need no
// plumbing. Families whose label sets are known in advance are resolved
// here once; the others (RPC names, CMP functions, result codes) once per
// new label set.
#include <chrono>
#include <string>

#include "bridge/core/metrics.hpp"

namespace app {

struct BridgeMetrics {
    core::metrics::Registry registry;

    // ---- counted as things happen (VirtualCpe) ----
    core::metrics::Family<core::metrics::Counter>& sessions;            // outcome
    core::metrics::Family<core::metrics::Histogram>& session_duration;  // outcome
    core::metrics::Family<core::metrics::Counter>& session_retries;     // (none)
    core::metrics::Family<core::metrics::Counter>& acs_rpcs;            // rpc, fault
    core::metrics::Family<core::metrics::Counter>& cmp_calls;           // function, result
    core::metrics::Family<core::metrics::Histogram>& cmp_latency;       // function
    core::metrics::Family<core::metrics::Histogram>& store_commit;      // kind
    core::metrics::Family<core::metrics::Histogram>& acs_exchange;      // outcome: ok, error
    core::metrics::Family<core::metrics::Counter>& admin_actions;       // action, result
    core::metrics::Family<core::metrics::Gauge>& sessions_waiting;      // (none): set by SessionSlots

    // ---- set from the CPEs' status at each scrape (AdminServer) ----
    core::metrics::Family<core::metrics::Gauge>& gateways;        // state: online, offline
    core::metrics::Family<core::metrics::Gauge>& in_session;      // (none)
    core::metrics::Family<core::metrics::Gauge>& retrying;        // (none)
    core::metrics::Family<core::metrics::Gauge>& pending_events;  // event
    core::metrics::Family<core::metrics::Gauge>& listener_connections;  // listener
    core::metrics::Family<core::metrics::Counter>& listener_refused;    // listener, reason
    core::metrics::Family<core::metrics::Gauge>& process_rss;           // (none)
    core::metrics::Family<core::metrics::Gauge>& process_fds;           // (none)

    BridgeMetrics();
};

BridgeMetrics& metrics();

// One CMP call as VirtualCpe's call log sees it: `result` is the resultCode,
// or the transport error's code.
void observe_cmp_call(const std::string& function, const std::string& result, std::chrono::milliseconds elapsed);
// One store write, from handing the state to the store to its durable commit.
void observe_commit(const char* kind, std::chrono::steady_clock::time_point asked);

}  // namespace app
