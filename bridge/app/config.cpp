#include "bridge/app/config.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "bridge/app/config_reader.hpp"
#include "bridge/http/url.hpp"
#include "bridge/net/http_server.hpp"
#include "bridge/state/lease.hpp"
#include "bridge/state/pg_conn.hpp"
#include "bridge/state/store.hpp"

namespace app {
namespace {

namespace fs = std::filesystem;
using config_detail::Reader;
using config_detail::Refused;
using config_detail::shown;
using config_detail::Want;
using config_detail::read_tls;

void read_acs(const Reader& r, const YAML::Node& doc, AcsConfig& a, bool required) {
    auto acs = r.section(doc, "acs", "acs",
                         {"url", "username", "password", "password_file", "cwmp_version", "tls", "timeout_s",
                          "max_concurrent_sessions"});
    if (!acs && !required) return;  // reverse mode only
    if (!acs) r.fail(doc, "missing 'acs' section (url, username, password)");
    if (!acs["url"]) r.fail(acs, "missing acs.url");
    a.url = r.url(acs["url"], "acs.url");
    if (acs["username"]) a.username = r.string(acs["username"], "acs.username");
    if (auto p = r.secret(acs, "password", "acs.password")) a.password = p->value;
    if (auto v = acs["cwmp_version"]) {
        // Only the versions the codec writes: cwmp::version_from_string would read 1-3 and 1-4 as 1-2.
        std::string s = r.string(v, "acs.cwmp_version"), allowed;
        bool found = false;
        for (auto ver : {cwmp::Version::v1_0, cwmp::Version::v1_1, cwmp::Version::v1_2}) {
            allowed += (allowed.empty() ? "" : ", ") + std::string(cwmp::to_string(ver));
            if (s != cwmp::to_string(ver)) continue;
            a.cwmp_version = ver;
            found = true;
        }
        if (!found) r.fail(v, "acs.cwmp_version: " + shown(s) + " is not supported (allowed: " + allowed + ")");
    }
    read_tls(r, acs, "acs.tls", a.tls);
    if (acs["timeout_s"]) a.timeout = r.seconds(acs["timeout_s"], "acs.timeout_s", 0.5, 600);
    if (acs["max_concurrent_sessions"])
        a.max_concurrent_sessions = static_cast<std::size_t>(
            r.integer(acs["max_concurrent_sessions"], "acs.max_concurrent_sessions", 0, 1'000'000, " sessions"));
}

void read_limits(const Reader& r, const YAML::Node& section, const std::string& where, ListenerLimits& l) {
    if (section["max_connections"])
        l.max_connections = static_cast<std::size_t>(
            r.integer(section["max_connections"], where + ".max_connections", 1, 1'000'000, " connections"));
    if (section["max_connections_per_source"])
        l.max_connections_per_source = static_cast<std::size_t>(r.integer(
            section["max_connections_per_source"], where + ".max_connections_per_source", 1, 1'000'000, " connections"));
    if (l.max_connections_per_source > l.max_connections)
        r.fail(section["max_connections_per_source"] ? section["max_connections_per_source"] : section,
               where + ".max_connections_per_source: expected at most " + where + ".max_connections (" +
                   std::to_string(l.max_connections) + ")");
}

void read_connection_request(const Reader& r, const YAML::Node& doc, ConnectionRequestConfig& c) {
    auto cr = r.section(doc, "connection_request", "connection_request",
                        {"listen", "url_base", "max_per_minute", "max_connections", "max_connections_per_source"});
    if (!cr) return;
    if (cr["listen"]) c.listen = r.listen(cr["listen"], "connection_request.listen");
    if (auto b = cr["url_base"]) {
        c.url_base = r.url(b, "connection_request.url_base");
        // Each CPE's path is appended to it: a query would end up in the middle.
        if (c.url_base.find('?') != std::string::npos)
            r.fail(b, "connection_request.url_base: expected a URL without a query (each CPE's path is appended)");
    }
    if (cr["max_per_minute"])
        c.max_per_minute = static_cast<unsigned>(
            r.integer(cr["max_per_minute"], "connection_request.max_per_minute", 1, 6000, " per minute"));
    read_limits(r, cr, "connection_request", c.limits);
}

// The listener half of the cmp section: HTTPS, keep-alives, self-registration.
void read_cmp_listener(const Reader& r, const YAML::Node& cmp, CmpConfig& c) {
    if (auto t = r.section(cmp, "listen_tls", "cmp.listen_tls", {"cert_file", "key_file", "client_ca_file"})) {
        if (!t["cert_file"] || !t["key_file"]) r.fail(t, "cmp.listen_tls needs cert_file and key_file");
        net::TlsServerConfig tls;
        tls.cert_file = r.existing(t["cert_file"], "cmp.listen_tls.cert_file", Want::file);
        tls.key_file = r.existing(t["key_file"], "cmp.listen_tls.key_file", Want::file);
        if (t["client_ca_file"])
            tls.client_ca_file = r.existing(t["client_ca_file"], "cmp.listen_tls.client_ca_file", Want::file);
        c.listen_tls = tls;
    }
    // Below 10 s a gateway would spend its life sending keep-alives.
    if (cmp["keepalive_s"])
        c.keepalive_s = static_cast<std::uint32_t>(r.integer(cmp["keepalive_s"], "cmp.keepalive_s", 10, 86400, " seconds"));
    if (cmp["accept_registrations"]) c.accept_registrations = r.boolean(cmp["accept_registrations"], "cmp.accept_registrations");
    auto master = r.secret(cmp, "registration_secret", "cmp.registration_secret");
    if (master) c.registration_secret = master->value;
    if (cmp["secrets_file"]) c.secrets_file = r.existing(cmp["secrets_file"], "cmp.secrets_file", Want::file);
    if (cmp["max_registered"])
        c.max_registered = static_cast<unsigned>(r.integer(cmp["max_registered"], "cmp.max_registered", 1, 1'000'000, ""));
    // A short master makes every derived gateway secret guessable.
    if (master && c.registration_secret.size() < 16)
        r.fail(master->node, "cmp.registration_secret must be at least 16 bytes (32 recommended)");
}

void read_cmp(const Reader& r, const YAML::Node& doc, CmpConfig& c) {
    auto cmp = r.section(doc, "cmp", "cmp",
                         {"listen", "require_auth", "timeout_s", "concurrency", "tls", "listen_tls", "keepalive_s",
                          "accept_registrations", "registration_secret", "registration_secret_file", "secrets_file",
                          "max_registered", "reuse_answers_ms",
                          "max_connections", "max_connections_per_source"});
    if (!cmp) return;
    if (cmp["listen"]) c.listen = r.listen(cmp["listen"], "cmp.listen");
    if (cmp["require_auth"]) c.require_auth = r.boolean(cmp["require_auth"], "cmp.require_auth");
    if (cmp["timeout_s"]) c.timeout = r.seconds(cmp["timeout_s"], "cmp.timeout_s", 0.5, 600);
    if (cmp["concurrency"]) c.concurrency = static_cast<unsigned>(r.integer(cmp["concurrency"], "cmp.concurrency", 1, 64, ""));
    // Longer than a minute would mean values a person would call stale.
    if (cmp["reuse_answers_ms"])
        c.reuse_answers = std::chrono::milliseconds(r.integer(cmp["reuse_answers_ms"], "cmp.reuse_answers_ms", 0, 60'000, " ms"));
    read_tls(r, cmp, "cmp.tls", c.tls);
    read_cmp_listener(r, cmp, c);
    read_limits(r, cmp, "cmp", c.limits);
}

// admin: the operator's listener. Without credentials it may listen on a
// loopback address only: anyone reaching it could drop gateways.
void read_admin(const Reader& r, const YAML::Node& doc, AdminConfig& a) {
    auto n = r.section(doc, "admin", "admin",
                       {"listen", "username", "password", "password_file", "token", "token_file", "tls"});
    if (!n) return;
    if (!n["listen"]) r.fail(n, "admin: missing admin.listen (IP:port of the admin listener)");
    a.listen = r.listen(n["listen"], "admin.listen");
    if (n["username"]) a.username = r.string(n["username"], "admin.username");
    auto password = r.secret(n, "password", "admin.password");
    if (password) a.password = password->value;
    if (a.username.empty() != a.password.empty())
        r.fail(password ? password->node : n["username"], "admin: username and password go together (HTTP Basic)");
    if (auto t = r.secret(n, "token", "admin.token")) {
        a.token = t->value;
        if (a.token.size() < 16) r.fail(t->node, "admin.token must be at least 16 bytes (32 random bytes recommended)");
    }
    if (auto t = r.section(n, "tls", "admin.tls", {"cert_file", "key_file"})) {
        if (!t["cert_file"] || !t["key_file"]) r.fail(t, "admin.tls needs cert_file and key_file");
        net::TlsServerConfig tls;
        tls.cert_file = r.existing(t["cert_file"], "admin.tls.cert_file", Want::file);
        tls.key_file = r.existing(t["key_file"], "admin.tls.key_file", Want::file);
        a.tls = tls;
    }
    const std::string host = net::split_host_port(a.listen)->first;
    if (!a.needs_auth() && !boost::asio::ip::make_address(host).is_loopback())
        r.fail(n["listen"], "admin.listen: " + host + " is not a loopback address: set admin.username/password or "
                                                     "admin.token (anyone reaching the listener could drop gateways)");
}

void read_gateways(const Reader& r, const YAML::Node& doc, Config& c) {
    auto gws = doc["gateways"];
    if (!gws || gws.IsNull()) return;
    if (!gws.IsSequence()) r.fail(gws, "gateways: expected a list of gateways");
    std::set<std::string> ids;
    for (std::size_t i = 0; i < gws.size(); ++i) {
        const YAML::Node g = gws[i];
        const std::string name = "gateways[" + std::to_string(i) + "]";
        r.only_keys(g, name, {"id", "url", "mapping", "secret", "secret_file", "legacy_seed"});
        if (!g["id"] || !g["url"]) r.fail(g, name + ": a gateway needs 'id' and 'url'");
        GatewayConfig gc;
        gc.id = r.string(g["id"], name + ".id");
        // The id names the gateway's state file: the state store's rule, checked before anything is written.
        if (auto st = state::validate_key(gc.id); !st)
            r.fail(g["id"], name + ".id: " + shown(gc.id) + " is not a valid gateway id (expected 1-128 of A-Z a-z 0-9 . _ -, "
                                                       "not '.' or '..')");
        if (!ids.insert(gc.id).second) r.fail(g["id"], "duplicate gateway id '" + gc.id + "'");
        gc.url = r.url(g["url"], name + ".url");
        gc.mapping = g["mapping"] ? r.existing(g["mapping"], name + ".mapping", Want::file) : c.default_mapping;
        auto own = r.secret(g, "secret", name + ".secret");
        gc.secret = own ? own->value : c.default_secret;
        if (gc.mapping.empty()) r.fail(g, "gateway '" + gc.id + "' has no mapping (and no defaults.mapping)");
        if (c.cmp.require_auth && gc.secret.empty())
            r.fail(g, "gateway '" + gc.id + "' has no CMP secret while cmp.require_auth is on");
        if (g["legacy_seed"]) gc.legacy_seed = r.boolean(g["legacy_seed"], name + ".legacy_seed");
        if (gc.legacy_seed && gc.secret.empty())
            r.fail(g["legacy_seed"], "gateway '" + gc.id + "': legacy_seed needs a CMP secret");
        c.gateways.push_back(std::move(gc));
    }
}

// state: { backend, dsn | dsn_file, node_id, lease_ttl_s, commit_timeout_s };
// the older top-level state_backend: keeps working for sqlite and files.
void read_state(const Reader& r, const YAML::Node& doc, Config& c) {
    auto legacy = doc["state_backend"];
    auto n = r.section(doc, "state", "state",
                       {"backend", "dsn", "dsn_file", "node_id", "lease_ttl_s", "commit_timeout_s", "advertise_host"});
    if (legacy && n) r.fail(legacy, "state_backend: state.backend is given too; keep state.backend (state_backend is its older form)");
    if (legacy) {
        const std::string v = r.string(legacy, "state_backend");
        if (v == "sqlite") c.state_backend = StateBackend::sqlite;
        else if (v == "files") c.state_backend = StateBackend::files;
        else if (v == "postgresql") r.fail(legacy, "state_backend: postgresql needs its connection: write state: { backend: postgresql, dsn: ... }");
        else r.fail(legacy, "state_backend: " + shown(v) + " is not a state backend (allowed: sqlite, files)");
    }
    if (!n) return;
    if (auto b = n["backend"]) {
        const std::string v = r.string(b, "state.backend");
        if (v == "sqlite") c.state_backend = StateBackend::sqlite;
        else if (v == "files") c.state_backend = StateBackend::files;
        else if (v == "postgresql") c.state_backend = StateBackend::postgresql;
        else r.fail(b, "state.backend: " + shown(v) + " is not a state backend (allowed: sqlite, files, postgresql)");
    }
    auto dsn = r.secret(n, "dsn", "state.dsn");  // both dsn and dsn_file: refused there
    if (c.state_backend != StateBackend::postgresql) {
        for (const char* k : {"dsn", "dsn_file", "node_id", "lease_ttl_s", "commit_timeout_s", "advertise_host"})
            if (n[k]) r.fail(n[k], std::string("state.") + k + ": only used with state.backend: postgresql");
        return;
    }
    auto& pg = c.state_postgres;
    if (!dsn) r.fail(n["backend"], "state.backend: postgresql needs state.dsn or state.dsn_file (the connection string)");
    // Shown redacted: the DSN may hold the password.
    if (state::pg::describe(dsn->value) == "(unparsable DSN)")
        r.fail(dsn->node, "state.dsn: not a PostgreSQL connection string (key=value pairs or a postgresql:// URI): " +
                              state::pg::redact(dsn->value));
    pg.dsn = dsn->value;
    if (n["node_id"]) {
        pg.node_id = r.string(n["node_id"], "state.node_id");
        if (!state::validate_node(pg.node_id))
            r.fail(n["node_id"], "state.node_id: " + shown(pg.node_id) + " is not a valid node id (1-128 of A-Z a-z 0-9 . _ -)");
    } else {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        pg.node_id = host;
        if (!state::validate_node(pg.node_id))
            r.fail(n, "state.node_id: the host name " + shown(pg.node_id) + " is not a valid node id: set state.node_id");
    }
    if (n["lease_ttl_s"])
        pg.lease_ttl = std::chrono::seconds(r.integer(n["lease_ttl_s"], "state.lease_ttl_s", 5, 600, " seconds"));
    if (n["advertise_host"]) {
        pg.advertise_host = r.string(n["advertise_host"], "state.advertise_host");
        if (pg.advertise_host.empty() || pg.advertise_host.find_first_of("/ \t@?#") != std::string::npos)
            r.fail(n["advertise_host"], "state.advertise_host: " + shown(pg.advertise_host) + " is not a host name or address");
    }
    if (n["commit_timeout_s"]) pg.commit_timeout = r.seconds(n["commit_timeout_s"], "state.commit_timeout_s", 1, 3600);
}

void read_document(const Reader& r, const YAML::Node& doc, Config& c) {
    if (doc.IsNull()) r.fail(doc, "the configuration file is empty (see docs/configuration.md)");
    r.only_keys(doc, "the configuration", {"acs", "connection_request", "cmp", "state_dir", "state_backend", "state",
                                           "periodic_inform", "defaults", "gateways", "admin", "reverse"});
    if (doc["reverse"]) read_reverse(r, doc, c.reverse.emplace());
    // The forward direction needs its ACS; a reverse-only bridge has none.
    read_acs(r, doc, c.acs, !c.reverse || doc["gateways"] || doc["cmp"]);
    read_connection_request(r, doc, c.connection_request);
    read_cmp(r, doc, c.cmp);
    if (!doc["state_dir"]) r.fail(doc, "missing 'state_dir' (where virtual CPE state is persisted)");
    c.state_dir = r.resolve(r.string(doc["state_dir"], "state_dir"));
    if (c.state_dir.empty()) r.fail(doc["state_dir"], "state_dir: expected a path, got an empty string");
    // Created at start when absent; a file of that name can never become the folder.
    std::error_code ec;
    if (fs::exists(c.state_dir, ec) && !fs::is_directory(c.state_dir, ec))
        r.fail(doc["state_dir"], "state_dir: " + c.state_dir + " exists and is not a directory");
    read_state(r, doc, c);
    // With several bridges the secrets may be in the shared table alone (bridge.secrets, `secrets set`).
    if (c.cmp.accept_registrations && c.cmp.registration_secret.empty() && c.cmp.secrets_file.empty() &&
        c.state_backend != StateBackend::postgresql)
        r.fail(doc["cmp"]["accept_registrations"],
               "cmp.accept_registrations needs cmp.registration_secret or cmp.secrets_file: "
               "a gateway that registers itself must still prove a secret");
    if (auto pi = r.section(doc, "periodic_inform", "periodic_inform", {"enable", "interval_s", "start_spread_s"})) {
        if (pi["start_spread_s"])
            c.periodic_inform.start_spread_s = static_cast<std::uint32_t>(
                r.integer(pi["start_spread_s"], "periodic_inform.start_spread_s", 0, 86'400, " seconds"));
        if (pi["enable"]) c.periodic_inform.enable = r.boolean(pi["enable"], "periodic_inform.enable");
        if (pi["interval_s"])
            c.periodic_inform.interval_s = static_cast<std::uint32_t>(
                r.integer(pi["interval_s"], "periodic_inform.interval_s", 1, 31'536'000, " seconds"));
    }
    if (auto d = r.section(doc, "defaults", "defaults", {"mapping", "secret", "secret_file"})) {
        if (d["mapping"]) c.default_mapping = r.existing(d["mapping"], "defaults.mapping", Want::file);
        if (auto s = r.secret(d, "secret", "defaults.secret")) c.default_secret = s->value;
    }
    read_gateways(r, doc, c);
    read_admin(r, doc, c.admin);
    if (c.cmp.accept_registrations && c.default_mapping.empty())
        r.fail(doc["cmp"]["accept_registrations"],
               "cmp.accept_registrations needs defaults.mapping (self-registered gateways use it)");
}

}  // namespace

core::Result<Config> load_config(const std::string& path) {
    // A folder or an unreadable file must be an error message, not an exception out of the stream.
    std::error_code ec;
    auto st = fs::status(path, ec);
    if (!fs::exists(st)) return core::make_error("config.io", path + ": no such configuration file");
    if (fs::is_directory(st))
        return core::make_error("config.io", path + ": is a directory; -c names the configuration file (bridge.yaml)");
    if (::access(path.c_str(), R_OK) != 0)
        return core::make_error("config.io", path + ": cannot read configuration file: " + std::strerror(errno));
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad()) return core::make_error("config.io", path + ": cannot read configuration file");

    Reader r{path};
    Config c;
    c.file = path;
    try {
        read_document(r, YAML::Load(text.str()), c);
    } catch (const Refused& e) {
        return e.error;
    } catch (const YAML::Exception& e) {
        return core::make_error("config.invalid", path + ":" + std::to_string(std::max(e.mark.line, 0) + 1) + ":" +
                                                      std::to_string(std::max(e.mark.column, 0) + 1) + ": " + e.msg);
    }
    return c;
}

}  // namespace app
