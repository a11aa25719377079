#include "bridge/app/config.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

namespace app {
namespace {

struct Reader {
    std::string file;

    core::Error error(const YAML::Node& n, const std::string& what) const {
        auto m = n.Mark();
        return core::make_error("config.invalid", file + ":" + std::to_string(m.line + 1) + ":" +
                                                      std::to_string(m.column + 1) + ": " + what);
    }
    // Unknown keys are errors: a typo must not silently fall back to a default.
    std::optional<core::Error> only_keys(const YAML::Node& n, std::initializer_list<std::string_view> keys) const {
        if (!n.IsMap()) return error(n, "expected a map");
        for (auto it = n.begin(); it != n.end(); ++it) {
            auto k = it->first.as<std::string>();
            bool known = false;
            for (auto kk : keys) known = known || kk == k;
            if (!known) {
                std::string list;
                for (auto kk : keys) list += (list.empty() ? "" : ", ") + std::string(kk);
                return error(it->first, "unknown key '" + k + "' (known: " + list + ")");
            }
        }
        return std::nullopt;
    }
    std::string resolve(const std::string& p) const {
        if (p.empty() || std::filesystem::path(p).is_absolute()) return p;
        return (std::filesystem::path(file).parent_path() / p).lexically_normal().string();
    }
};

std::optional<core::Error> read_tls(const Reader& r, const YAML::Node& n, net::TlsClientConfig& tls) {
    if (!n) return std::nullopt;
    if (auto e = r.only_keys(n, {"verify", "ca_file", "ca_path", "cert_file", "key_file"})) return e;
    if (n["verify"]) tls.verify = n["verify"].as<bool>();
    if (n["ca_file"]) tls.ca_file = r.resolve(n["ca_file"].as<std::string>());
    if (n["ca_path"]) tls.ca_path = r.resolve(n["ca_path"].as<std::string>());
    if (n["cert_file"]) tls.cert_file = r.resolve(n["cert_file"].as<std::string>());
    if (n["key_file"]) tls.key_file = r.resolve(n["key_file"].as<std::string>());
    return std::nullopt;
}

// The listener half of the cmp section: HTTPS, keep-alives, self-registration.
std::optional<core::Error> read_cmp_listener(const Reader& r, const YAML::Node& cmp, CmpConfig& c) {
    if (auto t = cmp["listen_tls"]) {
        if (auto e = r.only_keys(t, {"cert_file", "key_file", "client_ca_file"})) return e;
        if (!t["cert_file"] || !t["key_file"]) return r.error(t, "cmp.listen_tls needs cert_file and key_file");
        net::TlsServerConfig tls;
        tls.cert_file = r.resolve(t["cert_file"].as<std::string>());
        tls.key_file = r.resolve(t["key_file"].as<std::string>());
        if (t["client_ca_file"]) tls.client_ca_file = r.resolve(t["client_ca_file"].as<std::string>());
        c.listen_tls = tls;
    }
    if (cmp["keepalive_s"]) c.keepalive_s = std::max<std::uint32_t>(10, cmp["keepalive_s"].as<std::uint32_t>());
    if (cmp["accept_registrations"]) c.accept_registrations = cmp["accept_registrations"].as<bool>();
    if (cmp["registration_secret"]) c.registration_secret = cmp["registration_secret"].as<std::string>();
    if (cmp["secrets_file"]) c.secrets_file = r.resolve(cmp["secrets_file"].as<std::string>());
    if (cmp["max_registered"]) c.max_registered = cmp["max_registered"].as<unsigned>();
    // A short master makes every derived gateway secret guessable.
    if (!c.registration_secret.empty() && c.registration_secret.size() < 16)
        return r.error(cmp["registration_secret"], "cmp.registration_secret must be at least 16 bytes (32 recommended)");
    if (c.accept_registrations && c.registration_secret.empty() && c.secrets_file.empty())
        return r.error(cmp["accept_registrations"],
                       "cmp.accept_registrations needs cmp.registration_secret or cmp.secrets_file: "
                       "a gateway that registers itself must still prove a secret");
    return std::nullopt;
}

std::chrono::milliseconds seconds_of(const YAML::Node& n) {
    return std::chrono::milliseconds(static_cast<long long>(n.as<double>() * 1000));
}

}  // namespace

core::Result<Config> load_config(const std::string& path) {
    Reader r{path};
    YAML::Node doc;
    try {
        doc = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        return core::make_error("config.io", path + ": cannot read configuration file");
    } catch (const YAML::Exception& e) {
        return core::make_error("config.invalid", path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                      std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    Config c;
    c.file = path;
    try {
        if (auto e = r.only_keys(doc, {"acs", "connection_request", "cmp", "state_dir", "periodic_inform", "defaults",
                                       "gateways"}))
            return *e;
        auto acs = doc["acs"];
        if (!acs) return r.error(doc, "missing 'acs' section (url, username, password)");
        if (auto e = r.only_keys(acs, {"url", "username", "password", "cwmp_version", "tls", "timeout_s"})) return *e;
        if (!acs["url"]) return r.error(acs, "missing acs.url");
        c.acs.url = acs["url"].as<std::string>();
        if (acs["username"]) c.acs.username = acs["username"].as<std::string>();
        if (acs["password"]) c.acs.password = acs["password"].as<std::string>();
        if (auto v = acs["cwmp_version"]) {
            auto ver = cwmp::version_from_string(v.as<std::string>());
            if (!ver) return r.error(v, "cwmp_version must be cwmp-1-0, cwmp-1-1 or cwmp-1-2");
            c.acs.cwmp_version = *ver;
        }
        if (auto e = read_tls(r, acs["tls"], c.acs.tls)) return *e;
        if (acs["timeout_s"]) c.acs.timeout = seconds_of(acs["timeout_s"]);

        if (auto cr = doc["connection_request"]) {
            if (auto e = r.only_keys(cr, {"listen", "url_base", "max_per_minute"})) return *e;
            if (cr["listen"]) c.connection_request.listen = cr["listen"].as<std::string>();
            if (cr["url_base"]) c.connection_request.url_base = cr["url_base"].as<std::string>();
            if (cr["max_per_minute"]) c.connection_request.max_per_minute = cr["max_per_minute"].as<unsigned>();
        }
        if (auto cmp = doc["cmp"]) {
            if (auto e = r.only_keys(cmp, {"listen", "require_auth", "timeout_s", "concurrency", "tls", "listen_tls",
                                           "keepalive_s", "accept_registrations", "registration_secret",
                                           "secrets_file", "max_registered"}))
                return *e;
            if (cmp["listen"]) c.cmp.listen = cmp["listen"].as<std::string>();
            if (cmp["require_auth"]) c.cmp.require_auth = cmp["require_auth"].as<bool>();
            if (cmp["timeout_s"]) c.cmp.timeout = seconds_of(cmp["timeout_s"]);
            if (cmp["concurrency"]) c.cmp.concurrency = std::max(1u, cmp["concurrency"].as<unsigned>());
            if (auto e = read_tls(r, cmp["tls"], c.cmp.tls)) return *e;
            if (auto e = read_cmp_listener(r, cmp, c.cmp)) return *e;
        }
        if (!doc["state_dir"]) return r.error(doc, "missing 'state_dir' (where virtual CPE state is persisted)");
        c.state_dir = r.resolve(doc["state_dir"].as<std::string>());
        if (auto pi = doc["periodic_inform"]) {
            if (auto e = r.only_keys(pi, {"enable", "interval_s"})) return *e;
            if (pi["enable"]) c.periodic_inform.enable = pi["enable"].as<bool>();
            if (pi["interval_s"]) c.periodic_inform.interval_s = std::max(1u, pi["interval_s"].as<std::uint32_t>());
        }
        if (auto d = doc["defaults"]) {
            if (auto e = r.only_keys(d, {"mapping", "secret"})) return *e;
            if (d["mapping"]) c.default_mapping = r.resolve(d["mapping"].as<std::string>());
            if (d["secret"]) c.default_secret = d["secret"].as<std::string>();
        }
        std::set<std::string> ids;
        if (auto gws = doc["gateways"]) {
            if (!gws.IsSequence()) return r.error(gws, "'gateways' must be a list");
            for (auto g : gws) {
                if (auto e = r.only_keys(g, {"id", "url", "mapping", "secret", "legacy_seed"})) return *e;
                GatewayConfig gc;
                if (!g["id"] || !g["url"]) return r.error(g, "a gateway needs 'id' and 'url'");
                gc.id = g["id"].as<std::string>();
                gc.url = g["url"].as<std::string>();
                gc.mapping = g["mapping"] ? r.resolve(g["mapping"].as<std::string>()) : c.default_mapping;
                gc.secret = g["secret"] ? g["secret"].as<std::string>() : c.default_secret;
                if (gc.mapping.empty()) return r.error(g, "gateway '" + gc.id + "' has no mapping (and no defaults.mapping)");
                if (!ids.insert(gc.id).second) return r.error(g["id"], "duplicate gateway id '" + gc.id + "'");
                if (c.cmp.require_auth && gc.secret.empty())
                    return r.error(g, "gateway '" + gc.id + "' has no CMP secret while cmp.require_auth is on");
                if (g["legacy_seed"]) gc.legacy_seed = g["legacy_seed"].as<bool>();
                if (gc.legacy_seed && gc.secret.empty())
                    return r.error(g["legacy_seed"], "gateway '" + gc.id + "': legacy_seed needs a CMP secret");
                c.gateways.push_back(std::move(gc));
            }
        }
        if (c.cmp.accept_registrations && c.default_mapping.empty())
            return r.error(doc["cmp"]["accept_registrations"],
                           "cmp.accept_registrations needs defaults.mapping (self-registered gateways use it)");
    } catch (const YAML::Exception& e) {
        return core::make_error("config.invalid", path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                      std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    return c;
}

}  // namespace app
