#include "bridge/app/admin_status.hpp"

#include <cstdio>

#include "bridge/core/clock.hpp"
#include "bridge/core/log.hpp"
#include "bridge/http/message.hpp"

namespace app {
namespace {

std::string q(std::string_view s) { return "\"" + core::log::json_escape(s) + "\""; }

std::string time_or_null(const std::optional<Clock::time_point>& t) { return t ? q(core::format_utc(*t)) : "null"; }

std::string text_or_null(const std::string& s) { return s.empty() ? "null" : q(s); }

std::string list(const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + q(v[i]);
    return s + "]";
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
}

std::string state_of(const GatewayView& g) { return g.status.online ? "online" : "offline"; }

std::string when(const std::optional<Clock::time_point>& t, Clock::time_point now) {
    if (!t) return "never";
    return "<time datetime=\"" + core::format_utc(*t) + "\" title=\"" + core::format_utc(*t) + "\">" +
           relative(*t, now) + "</time>";
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') out += ' ';
        else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else out += s[i];
    }
    return out;
}

// The look of both pages: a plain table, state as a coloured badge.
constexpr std::string_view kStyle = R"(<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.2em 0 .3em}
.summary{margin:.3em 0 1em;color:#444}
.controls{margin-bottom:.8em}
input,select,button{font:inherit;padding:.25em .4em}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}
.state{display:inline-block;padding:.05em .5em;border-radius:.7em;font-size:.9em;color:#fff}
.online{background:#2e7d32}.offline{background:#c62828}.session{background:#1565c0}
.fault{color:#b71c1c}.muted{color:#777}
dl{display:grid;grid-template-columns:max-content auto;gap:.3em 1.2em}dt{font-weight:600}dd{margin:0}
</style>)";

}  // namespace

std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::pair<std::string, std::map<std::string, std::string>> split_target(std::string_view target) {
    std::map<std::string, std::string> params;
    const auto qm = target.find('?');
    std::string path(target.substr(0, qm));
    if (qm == std::string_view::npos) return {path, params};
    std::string_view rest = target.substr(qm + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        if (!pair.empty())
            params[percent_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
    }
    return {path, params};
}

std::string relative(Clock::time_point t, Clock::time_point now) {
    const auto d = std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
    const auto a = d < 0 ? -d : d;
    if (a == 0) return "now";
    std::string amount = a < 120 ? std::to_string(a) + " s"
                         : a < 7200 ? std::to_string(a / 60) + " min"
                         : a < 172800 ? std::to_string(a / 3600) + " h"
                                      : std::to_string(a / 86400) + " d";
    return d < 0 ? "in " + amount : amount + " ago";
}

bool matches(const GatewayView& g, const StatusFilter& f) {
    if (!f.state.empty() && f.state != state_of(g)) return false;
    if (f.q.empty()) return true;
    const std::string needle = http::to_lower(f.q);
    return http::to_lower(g.status.id).find(needle) != std::string::npos ||
           http::to_lower(g.status.device_id.serial_number).find(needle) != std::string::npos;
}

std::string gateway_json(const GatewayView& g) {
    const CpeStatus& s = g.status;
    std::string o = "{";
    o += "\"id\":" + q(s.id);
    o += ",\"state\":" + q(state_of(g));
    o += ",\"self_registered\":" + std::string(g.self_registered ? "true" : "false");
    o += ",\"bootstrapped\":" + std::string(s.bootstrapped ? "true" : "false");
    o += ",\"in_session\":" + std::string(s.in_session ? "true" : "false");
    o += ",\"device\":{\"manufacturer\":" + q(s.device_id.manufacturer) + ",\"oui\":" + q(s.device_id.oui) +
         ",\"product_class\":" + q(s.device_id.product_class) + ",\"serial_number\":" + q(s.device_id.serial_number) + "}";
    o += ",\"last_inform\":" + time_or_null(s.last_inform);
    o += ",\"last_inform_events\":" + list(s.last_inform_events);
    o += ",\"pending_events\":" + list(s.pending_events);
    o += ",\"last_fault\":" + text_or_null(s.last_fault);
    o += ",\"last_fault_at\":" + time_or_null(s.last_fault_at);
    o += ",\"last_outcome\":" + text_or_null(s.last_outcome);
    o += ",\"last_error\":" + text_or_null(s.last_error);
    o += ",\"last_session_end\":" + time_or_null(s.last_session_end);
    o += ",\"retry_count\":" + std::to_string(s.retry_count);
    o += ",\"next_wake\":" + time_or_null(s.next_wake);
    return o + "}";
}

std::string cluster_json(const ClusterView& c) {
    std::string nodes;
    for (const auto& n : c.nodes) {
        char age[32] = "null";
        if (n.heartbeat_age_ms >= 0) std::snprintf(age, sizeof age, "%.1f", static_cast<double>(n.heartbeat_age_ms) / 1000);
        nodes += std::string(nodes.empty() ? "" : ",") + "{\"node\":" + q(n.node) + ",\"cmp_url\":" + text_or_null(n.cmp_url) +
                 ",\"cr_url\":" + text_or_null(n.cr_url) + ",\"heartbeat_age_s\":" + age +
                 ",\"alive\":" + (n.alive ? "true" : "false") + ",\"leases\":" + std::to_string(n.leases) +
                 ",\"self\":" + (n.node == c.self ? "true" : "false") + "}";
    }
    return "{\"node\":" + q(c.self) + ",\"as_of\":" + q(core::format_utc(c.as_of)) +
           ",\"lease_ttl_s\":" + std::to_string(c.lease_ttl.count() / 1000) + ",\"gateways\":" + std::to_string(c.gateways) +
           ",\"owned\":" + std::to_string(c.owned) + ",\"nodes\":[" + nodes + "]}";
}

std::string status_json(const std::vector<GatewayView>& all, const StatusFilter& f, Clock::time_point now,
                        const ClusterView* cluster) {
    std::size_t online = 0, matched = 0;
    std::string rows;
    for (const auto& g : all) {
        online += g.status.online ? 1 : 0;
        if (!matches(g, f)) continue;
        rows += (matched++ ? "," : "") + gateway_json(g);
    }
    return "{\"generated\":" + q(core::format_utc(now)) + ",\"total\":" + std::to_string(all.size()) +
           ",\"online\":" + std::to_string(online) + ",\"offline\":" + std::to_string(all.size() - online) +
           ",\"matched\":" + std::to_string(matched) + (cluster ? ",\"cluster\":" + cluster_json(*cluster) : "") +
           ",\"gateways\":[" + rows + "]}\n";
}

namespace {

// The nodes and their leases above the gateway table (several bridges only).
std::string cluster_html(const ClusterView& c, Clock::time_point now) {
    std::string rows;
    for (const auto& n : c.nodes) {
        const std::string state = n.alive ? "online" : "offline";
        std::string age = "<span class=\"muted\">left</span>";
        if (n.heartbeat_age_ms >= 0) age = relative(now - std::chrono::milliseconds(n.heartbeat_age_ms), now);
        rows += "<tr data-node=\"" + html_escape(n.node) + "\"><td>" + html_escape(n.node) +
                (n.node == c.self ? " <span class=\"muted\">(this node)</span>" : "") + "</td><td><span class=\"state " +
                state + "\">" + (n.alive ? "alive" : "not alive") + "</span></td><td>" + age + "</td><td>" +
                std::to_string(n.leases) + "</td><td>" + html_escape(n.cmp_url) + "</td><td>" + html_escape(n.cr_url) +
                "</td></tr>\n";
    }
    return "<h2>Cluster</h2>\n<p class=\"summary\">" + std::to_string(c.nodes.size()) + " nodes; " +
           std::to_string(c.owned) + " of " + std::to_string(c.gateways) + " gateways leased (lease TTL " +
           std::to_string(c.lease_ttl.count() / 1000) + " s). As of the lease keeper's last round, " +
           relative(c.as_of, now) + ". The gateways below are this node's.</p>\n"
           "<table id=\"nodes\"><thead><tr><th>Node</th><th>State</th><th>Heartbeat</th><th>Leases</th>"
           "<th>CMP URL</th><th>Connection Request URL</th></tr></thead><tbody>\n" + rows +
           "</tbody></table>\n<h2>Gateways</h2>\n";
}

}  // namespace

std::string status_html(const std::vector<GatewayView>& all, Clock::time_point now, std::string_view nonce,
                        const ClusterView* cluster) {
    std::size_t online = 0, sessions = 0, pending = 0, faulty = 0;
    std::string rows;
    for (const auto& g : all) {
        const CpeStatus& s = g.status;
        online += s.online ? 1 : 0;
        sessions += s.in_session ? 1 : 0;
        pending += s.pending_events.empty() ? 0 : 1;
        const std::string problem = !s.last_error.empty() ? s.last_error : s.last_fault;
        faulty += problem.empty() ? 0 : 1;
        const std::string id = html_escape(s.id);
        rows += "<tr data-id=\"" + id + "\" data-state=\"" + state_of(g) + "\" data-search=\"" +
                html_escape(http::to_lower(s.id + " " + s.device_id.serial_number)) + "\">";
        rows += "<td><a href=\"/status/" + id + "\">" + id + "</a>" +
                (g.self_registered ? " <span class=\"muted\">(self-registered)</span>" : "") + "</td>";
        rows += "<td><span class=\"state " + state_of(g) + "\">" + state_of(g) + "</span>" +
                (s.in_session ? " <span class=\"state session\">in session</span>" : "") + "</td>";
        rows += "<td>" + when(s.last_inform, now) + "</td>";
        rows += "<td>" + (s.pending_events.empty() ? "<span class=\"muted\">none</span>" : html_escape(join(s.pending_events))) + "</td>";
        rows += "<td class=\"fault\">" + html_escape(problem) + "</td>";
        rows += "<td>" + std::to_string(s.retry_count) + "</td></tr>\n";
    }
    std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>cmp-cwmp-bridge: gateways</title>" + std::string(kStyle) + "</head><body>\n";
    page += "<h1>cmp-cwmp-bridge: gateways</h1>\n<p class=\"summary\" id=\"summary\">" + std::to_string(all.size()) +
            " gateways: <b>" + std::to_string(online) + " online</b>, <b>" + std::to_string(all.size() - online) +
            " offline</b>, " + std::to_string(sessions) + " in session, " + std::to_string(pending) +
            " with pending events, " + std::to_string(faulty) + " with a fault or error. As of " +
            core::format_utc(now) + " (<a href=\"/status.json\">JSON</a>, <a href=\"/metrics\">metrics</a>)</p>\n";
    if (cluster) page += cluster_html(*cluster, now);
    page += "<div class=\"controls\"><input id=\"q\" type=\"search\" placeholder=\"search id or serial\" autofocus> "
            "<select id=\"state\"><option value=\"\">all states</option><option>online</option>"
            "<option>offline</option></select> <span id=\"shown\" class=\"muted\"></span></div>\n";
    page += "<table id=\"gateways\"><thead><tr><th>Gateway</th><th>State</th><th>Last Inform</th>"
            "<th>Pending events</th><th>Last fault or error</th><th>Retries</th></tr></thead><tbody>\n" + rows +
            "<tr id=\"none\" hidden><td colspan=\"6\" class=\"muted\">no gateway matches</td></tr>\n</tbody></table>\n";
    // Filters the rows in place: the search box and the state, initially from
    // ?q= and ?state=, which it keeps in the address so a reload or a shared
    // link shows the same selection.
    page += "<script nonce=\"" + std::string(nonce) + "\">\n" + R"((function () {
  const params = new URLSearchParams(location.search);
  const q = document.getElementById('q'), state = document.getElementById('state');
  q.value = params.get('q') || '';
  state.value = params.get('state') || '';
  function apply() {
    const needle = q.value.trim().toLowerCase(), want = state.value;
    const rows = document.querySelectorAll('#gateways tbody tr[data-id]');
    let shown = 0;
    rows.forEach(function (r) {
      const ok = (!needle || r.dataset.search.includes(needle)) && (!want || r.dataset.state === want);
      r.hidden = !ok;
      if (ok) shown++;
    });
    document.getElementById('none').hidden = shown !== 0;
    document.getElementById('shown').textContent = 'showing ' + shown + ' of ' + rows.length;
    const p = new URLSearchParams();
    if (q.value) p.set('q', q.value);
    if (want) p.set('state', want);
    history.replaceState(null, '', location.pathname + (p.toString() ? '?' + p : ''));
  }
  q.addEventListener('input', apply);
  state.addEventListener('change', apply);
  apply();
})();
</script></body></html>
)";
    return page;
}

std::string gateway_html(const GatewayView& g, Clock::time_point now, std::string_view nonce) {
    const CpeStatus& s = g.status;
    const std::string id = html_escape(s.id);
    auto row = [](std::string_view name, const std::string& value_html) {
        return "<dt>" + std::string(name) + "</dt><dd>" + value_html + "</dd>\n";
    };
    auto text = [](const std::string& v) { return v.empty() ? std::string("<span class=\"muted\">none</span>") : html_escape(v); };
    std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + id +
                       ": cmp-cwmp-bridge</title>" + std::string(kStyle) + "</head><body>\n";
    page += "<p><a href=\"/status\">&larr; all gateways</a></p>\n<h1>" + id + " <span class=\"state " + state_of(g) +
            "\">" + state_of(g) + "</span>" + (s.in_session ? " <span class=\"state session\">in session</span>" : "") +
            "</h1>\n<dl id=\"detail\">\n";
    page += row("Device", html_escape(s.device_id.manufacturer + " " + s.device_id.product_class + ", OUI " +
                                      s.device_id.oui + ", serial " + s.device_id.serial_number));
    page += row("Registered", g.self_registered ? "by itself (may be dropped)" : "in the configuration file");
    page += row("Bootstrapped", s.bootstrapped ? "yes" : "not yet");
    page += row("Last Inform", when(s.last_inform, now) + (s.last_inform_events.empty() ? "" : " [" + html_escape(join(s.last_inform_events)) + "]"));
    page += row("Pending events", text(join(s.pending_events)));
    page += row("Last session", s.last_outcome.empty() ? "none yet" : html_escape(s.last_outcome) + ", " + when(s.last_session_end, now));
    page += row("Last error", "<span class=\"fault\">" + text(s.last_error) + "</span>");
    page += row("Last fault to the ACS", "<span class=\"fault\">" + text(s.last_fault) + "</span>" +
                                             (s.last_fault_at ? " " + when(s.last_fault_at, now) : ""));
    page += row("Failed sessions in a row", std::to_string(s.retry_count));
    page += row("Next wake-up", when(s.next_wake, now));
    page += "</dl>\n<p><button id=\"inform\">Inform now</button> ";
    if (g.self_registered) page += "<button id=\"drop\">Drop this gateway</button> ";
    page += "<span id=\"result\"></span></p>\n<p><a href=\"/status/" + id + ".json\">JSON</a></p>\n";
    page += "<script nonce=\"" + std::string(nonce) + "\">\n" + R"((function () {
  const id = document.querySelector('h1').firstChild.textContent.trim();
  function act(action, question) {
    if (question && !confirm(question)) return;
    fetch('/actions/' + encodeURIComponent(id) + '/' + action, {method: 'POST'})
      .then(function (r) { return r.text().then(function (t) { document.getElementById('result').textContent = r.status + ' ' + t; }); })
      .catch(function (e) { document.getElementById('result').textContent = String(e); });
  }
  document.getElementById('inform').addEventListener('click', function () { act('inform'); });
  const drop = document.getElementById('drop');
  if (drop) drop.addEventListener('click', function () {
    act('drop', 'Drop ' + id + '? Its CPE, its registration and its state are removed.');
  });
})();
</script></body></html>
)";
    return page;
}

}  // namespace app
