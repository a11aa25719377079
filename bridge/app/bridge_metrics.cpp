#include "bridge/app/bridge_metrics.hpp"

namespace app {

using core::metrics::latency_buckets;

BridgeMetrics::BridgeMetrics()
    : sessions(registry.counter("bridge_cwmp_sessions_total",
                                "CWMP sessions by outcome: done, failed (reached the ACS, then failed), "
                                "no_inform (the gateway could not supply the Inform)",
                                {"outcome"})),
      session_duration(registry.histogram("bridge_cwmp_session_duration_seconds",
                                          "Duration of CWMP sessions, from building the Inform to the end",
                                          {"outcome"}, latency_buckets())),
      session_retries(registry.counter("bridge_cwmp_session_retries_total",
                                       "Sessions started as a retry of a failed one (TR-069 3.2.1.1)")),
      acs_rpcs(registry.counter("bridge_cwmp_rpcs_total",
                                "ACS requests answered, by RPC and fault code (empty: answered without a fault)",
                                {"rpc", "fault"})),
      cmp_calls(registry.counter("bridge_cmp_calls_total",
                                 "CMP calls to gateways by function and result (the resultCode, or the transport "
                                 "error code such as net.connect)",
                                 {"function", "result"})),
      cmp_latency(registry.histogram("bridge_cmp_call_duration_seconds", "CMP call latency by function",
                                     {"function"}, latency_buckets())),
      store_commit(registry.histogram("bridge_state_commit_duration_seconds",
                                      "From handing a CPE's state to the store to its durable commit; kind: "
                                      "background (nothing waits) or durable (a session waits for it)",
                                      {"kind"}, latency_buckets())),
      acs_exchange(registry.histogram("bridge_acs_exchange_duration_seconds",
                                      "One HTTP exchange with the ACS (a CPE message and the ACS's answer), by "
                                      "outcome: ok (an answer came) or error (transport failure)",
                                      {"outcome"}, latency_buckets())),
      admin_actions(registry.counter("bridge_admin_actions_total", "Operator actions on the admin listener",
                                     {"action", "result"})),
      sessions_waiting(registry.gauge("bridge_sessions_waiting",
                                      "CPEs due for a session that wait for a free slot "
                                      "(acs.max_concurrent_sessions); their events are kept")),
      gateways(registry.gauge("bridge_gateways", "Virtual CPEs by gateway reachability", {"state"})),
      in_session(registry.gauge("bridge_sessions_in_progress", "CWMP sessions running now")),
      retrying(registry.gauge("bridge_gateways_retrying", "CPEs whose last session failed and waits for its retry")),
      pending_events(registry.gauge("bridge_pending_events",
                                    "Inform events waiting to be delivered, by event code", {"event"})),
      listener_connections(registry.gauge("bridge_listener_connections",
                                          "Connections open now, by listener (cr, cmp, admin)", {"listener"})),
      listener_refused(registry.counter("bridge_listener_refused_total",
                                        "Connections or requests a listener refused before reading a body, by "
                                        "reason: listener_limit, source_limit, before_body (credentials or "
                                        "size from the header), budget (body bytes of all connections)",
                                        {"listener", "reason"})),
      process_rss(registry.gauge("process_resident_memory_bytes", "Resident memory of the bridge process")),
      process_fds(registry.gauge("process_open_fds", "File descriptors the bridge process holds open")) {
    // Known label sets appear at 0 from the first scrape, so rate() and
    // alerts work before the first occurrence.
    for (const char* o : {"done", "failed", "no_inform"}) {
        sessions.with({o});
        session_duration.with({o});
    }
    session_retries.with(std::vector<std::string>{});
    for (const char* k : {"background", "durable"}) store_commit.with({k});
    for (const char* o : {"ok", "error"}) acs_exchange.with({o});
    for (const char* s : {"online", "offline"}) gateways.with({s});
    in_session.with(std::vector<std::string>{});
    sessions_waiting.with(std::vector<std::string>{});
    retrying.with(std::vector<std::string>{});
    process_rss.with(std::vector<std::string>{});
    process_fds.with(std::vector<std::string>{});
}

BridgeMetrics& metrics() {
    static BridgeMetrics m;
    return m;
}

void observe_cmp_call(const std::string& function, const std::string& result, std::chrono::milliseconds elapsed) {
    auto& m = metrics();
    m.cmp_calls.with({function, result}).inc();
    m.cmp_latency.with({function}).observe(std::chrono::duration<double>(elapsed).count());
}

void observe_commit(const char* kind, std::chrono::steady_clock::time_point asked) {
    metrics().store_commit.with({kind}).observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());
}

}  // namespace app
