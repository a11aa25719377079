#include "bridge/app/reverse_config.hpp"

#include "bridge/app/config_reader.hpp"

namespace app {
namespace {

using config_detail::Reader;
using config_detail::Want;

std::optional<net::TlsServerConfig> read_server_tls(const Reader& r, const YAML::Node& parent, const std::string& name) {
    auto t = r.section(parent, "tls", name, {"cert_file", "key_file", "client_ca_file"});
    if (!t) return std::nullopt;
    if (!t["cert_file"] || !t["key_file"]) r.fail(t, name + " needs cert_file and key_file");
    net::TlsServerConfig tls;
    tls.cert_file = r.existing(t["cert_file"], name + ".cert_file", Want::file);
    tls.key_file = r.existing(t["key_file"], name + ".key_file", Want::file);
    if (t["client_ca_file"]) tls.client_ca_file = r.existing(t["client_ca_file"], name + ".client_ca_file", Want::file);
    return tls;
}

void read_acs_side(const Reader& r, const YAML::Node& rev, ReverseConfig::Acs& a) {
    auto n = r.section(rev, "acs", "reverse.acs",
                       {"listen", "tls", "credentials_file", "allow_basic", "session_timeout_s",
                        "connection_request_timeout_s", "connection_request_tls", "missed_informs", "max_connections",
                        "max_connections_per_source"});
    if (!n) r.fail(rev, "reverse: missing reverse.acs (listen, credentials_file)");
    if (n["listen"]) a.listen = r.listen(n["listen"], "reverse.acs.listen");
    a.tls = read_server_tls(r, n, "reverse.acs.tls");
    if (!n["credentials_file"])
        r.fail(n, "reverse.acs: missing credentials_file (every CPE session is authenticated; docs/reverse.md)");
    a.credentials_file = r.existing(n["credentials_file"], "reverse.acs.credentials_file", Want::file);
    if (n["allow_basic"]) a.allow_basic = r.boolean(n["allow_basic"], "reverse.acs.allow_basic");
    if (a.allow_basic && !a.tls)
        r.fail(n["allow_basic"], "reverse.acs.allow_basic needs reverse.acs.tls (Basic sends the password itself)");
    if (n["session_timeout_s"]) a.session_timeout = r.seconds(n["session_timeout_s"], "reverse.acs.session_timeout_s", 1, 3600);
    if (n["connection_request_timeout_s"])
        a.connection_request_timeout =
            r.seconds(n["connection_request_timeout_s"], "reverse.acs.connection_request_timeout_s", 0.1, 60);
    if (auto t = n["connection_request_tls"]) {
        YAML::Node holder;
        holder["tls"] = t;  // read_tls reads parent["tls"]; positions stay t's
        config_detail::read_tls(r, holder, "reverse.acs.connection_request_tls", a.connection_request_tls);
    }
    if (n["missed_informs"])
        a.missed_informs = static_cast<int>(r.integer(n["missed_informs"], "reverse.acs.missed_informs", 1, 100, ""));
    if (n["max_connections"])
        a.max_connections = static_cast<std::size_t>(
            r.integer(n["max_connections"], "reverse.acs.max_connections", 1, 1'000'000, " connections"));
    if (n["max_connections_per_source"])
        a.max_connections_per_source = static_cast<std::size_t>(r.integer(
            n["max_connections_per_source"], "reverse.acs.max_connections_per_source", 1, 1'000'000, " connections"));
}

void read_homs(const Reader& r, const YAML::Node& rev, ReverseConfig::Homs& h) {
    auto n = r.section(rev, "homs", "reverse.homs",
                       {"url", "tls", "timeout_s", "secret", "secret_file", "registration_secret",
                        "registration_secret_file", "require_auth", "start_spread_s"});
    if (!n) r.fail(rev, "reverse: missing reverse.homs (url, secret or registration_secret)");
    if (!n["url"]) r.fail(n, "reverse.homs: missing url (the HOMS's CMP endpoint)");
    h.url = r.url(n["url"], "reverse.homs.url");
    config_detail::read_tls(r, n, "reverse.homs.tls", h.tls);
    if (n["timeout_s"]) h.timeout = r.seconds(n["timeout_s"], "reverse.homs.timeout_s", 0.5, 600);
    if (n["require_auth"]) h.require_auth = r.boolean(n["require_auth"], "reverse.homs.require_auth");
    auto shared = r.secret(n, "secret", "reverse.homs.secret");
    auto master = r.secret(n, "registration_secret", "reverse.homs.registration_secret");
    if (shared && master)
        r.fail(master->node, "reverse.homs: secret and registration_secret both given; keep one of them");
    if (shared) h.secret = shared->value;
    if (master) {
        h.registration_secret = master->value;
        if (h.registration_secret.size() < 16)
            r.fail(master->node, "reverse.homs.registration_secret must be at least 16 bytes (32 recommended)");
    }
    if (!shared && !master && h.require_auth)
        r.fail(n, "reverse.homs: the virtual gateways need a CMP secret (secret or registration_secret)");
    if (n["start_spread_s"]) h.start_spread = r.seconds(n["start_spread_s"], "reverse.homs.start_spread_s", 0, 86'400);
}

void read_agent(const Reader& r, const YAML::Node& rev, ReverseConfig::Agent& a) {
    auto n = r.section(rev, "agent", "reverse.agent", {"listen", "url_base", "tls"});
    if (!n) return;
    if (n["listen"]) a.listen = r.listen(n["listen"], "reverse.agent.listen");
    if (auto b = n["url_base"]) {
        a.url_base = r.url(b, "reverse.agent.url_base");
        if (a.url_base.find('?') != std::string::npos)
            r.fail(b, "reverse.agent.url_base: expected a URL without a query (each gateway's path is appended)");
        while (!a.url_base.empty() && a.url_base.back() == '/') a.url_base.pop_back();
    }
    a.tls = read_server_tls(r, n, "reverse.agent.tls");
}

}  // namespace

void read_reverse(const Reader& r, const YAML::Node& doc, ReverseConfig& c) {
    auto rev = r.section(doc, "reverse", "reverse", {"acs", "homs", "agent", "mappings", "call_wait_s"});
    if (!rev) return;
    read_acs_side(r, rev, c.acs);
    read_homs(r, rev, c.homs);
    read_agent(r, rev, c.agent);
    auto m = rev["mappings"];
    if (!m) r.fail(rev, "reverse: missing mappings (data model root -> table, e.g. InternetGatewayDevice: tr098.yaml)");
    // "Device:1" / "Device:2": one table per major version of the Device root (TR-106 / TR-181),
    // chosen by the CPE's DeviceSummary or RootDataModelVersion; "Device" serves either.
    r.only_keys(m, "reverse.mappings", {"InternetGatewayDevice", "Device", "Device:1", "Device:2"});
    for (auto it = m.begin(); it != m.end(); ++it) {
        const std::string root = it->first.Scalar();
        c.mappings[root] = r.existing(it->second, "reverse.mappings." + root, Want::file);
    }
    if (c.mappings.empty()) r.fail(m, "reverse.mappings: expected at least one table");
    if (rev["call_wait_s"]) c.call_wait = r.seconds(rev["call_wait_s"], "reverse.call_wait_s", 0.5, 600);
}

}  // namespace app
