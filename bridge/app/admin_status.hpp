#pragma once
// What the admin listener shows (docs/operations.md, "Monitoring and the
// admin listener"): the gateways' status as JSON and as one self-contained
// HTML page (no CDN, no external file: the listener may sit on a network
// without Internet access). Pure functions of the CPEs' status snapshots,
// so the shapes are unit-tested without sockets.
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/app/cluster_view.hpp"
#include "bridge/app/virtual_cpe.hpp"

namespace app {

struct GatewayView {
    CpeStatus status;
    bool self_registered = false;  // may be dropped (POST /actions/<id>/drop)
};

// ?q= (a substring of the id or the serial number, case-insensitive) and
// ?state=online|offline; empty: everything.
struct StatusFilter {
    std::string q;
    std::string state;
};
bool matches(const GatewayView& g, const StatusFilter& f);

using Clock = std::chrono::system_clock;

// {"generated":..., "total":N, "online":N, "offline":N, "matched":N, "gateways":[gateway_json...]}
// and, with several bridges, "cluster": cluster_json (the gateways are this node's).
std::string status_json(const std::vector<GatewayView>& all, const StatusFilter& f, Clock::time_point now,
                        const ClusterView* cluster = nullptr);
// {"node":..., "as_of":..., "lease_ttl_s":N, "gateways":N, "owned":N,
//  "nodes":[{"node","cmp_url","cr_url","heartbeat_age_s","alive","leases","self"}...]}
std::string cluster_json(const ClusterView& c);
std::string gateway_json(const GatewayView& g);

// The status page: every gateway in a table; the page's own script filters
// the rows by the search box (initially ?q= and ?state=) without a request.
// `nonce` allows the inline script under the Content-Security-Policy.
std::string status_html(const std::vector<GatewayView>& all, Clock::time_point now, std::string_view nonce,
                        const ClusterView* cluster = nullptr);
// One gateway: every field, the actions, links to its JSON and back.
std::string gateway_html(const GatewayView& g, Clock::time_point now, std::string_view nonce);

std::string html_escape(std::string_view s);
// "path?a=1&b=x%20y" -> path and {a: 1, b: "x y"} ('+' is a space, as forms send it).
std::pair<std::string, std::map<std::string, std::string>> split_target(std::string_view target);
// "12 s ago", "in 3 min", "5 h ago": how an operator reads a time at a glance.
std::string relative(Clock::time_point t, Clock::time_point now);

}  // namespace app
