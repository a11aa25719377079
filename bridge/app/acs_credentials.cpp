#include "bridge/app/acs_credentials.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace app {
namespace {

std::string where(std::string_view source, const YAML::Mark& m) {
    return std::string(source) + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

core::Error invalid(std::string_view source, const YAML::Node& n, const std::string& what) {
    return core::make_error("config.invalid", where(source, n.Mark()) + ": " + what);
}

core::Result<http::Credentials> pair(std::string_view source, const YAML::Node& n, bool required) {
    if (!n || n.IsNull()) {
        if (required) return core::make_error("config.invalid", std::string(source) + ": username and password required");
        return http::Credentials{};
    }
    if (!n.IsMap()) return invalid(source, n, "expected a map with username and password");
    for (const auto& kv : n) {
        const auto key = kv.first.as<std::string>();
        if (key != "username" && key != "password" && key != "connection_request")
            return invalid(source, kv.first, "unknown key " + key);
    }
    if (!n["username"] || !n["password"] || !n["username"].IsScalar() || !n["password"].IsScalar())
        return invalid(source, n, "username and password are both required");
    http::Credentials c{n["username"].as<std::string>(), n["password"].as<std::string>()};
    if (c.username.empty() || c.password.empty()) return invalid(source, n, "username and password must not be empty");
    return c;
}

core::Result<acs::CpeCredentials> entry(std::string_view source, const YAML::Node& n) {
    auto own = pair(source, n, true);
    if (!own) return own.error();
    auto cr = pair(source, n["connection_request"], false);
    if (!cr) return cr.error();
    return acs::CpeCredentials{*own, *cr};
}

}  // namespace

core::Result<std::shared_ptr<acs::CredentialTable>> parse_acs_credentials(std::string_view yaml,
                                                                          std::string_view source) {
    auto table = std::make_shared<acs::CredentialTable>();
    try {
        YAML::Node root = YAML::Load(std::string(yaml));
        if (!root || root.IsNull()) return core::make_error("config.invalid", std::string(source) + ": empty");
        if (!root.IsMap()) return invalid(source, root, "expected a map with default and/or cpes");
        for (const auto& kv : root) {
            const auto key = kv.first.as<std::string>();
            if (key != "default" && key != "cpes") return invalid(source, kv.first, "unknown key " + key);
        }
        if (root["default"]) {
            auto d = entry(source, root["default"]);
            if (!d) return d.error();
            if (auto st = table->set_default(*d); !st) return invalid(source, root["default"], st.error().message);
        }
        if (const YAML::Node cpes = root["cpes"]) {
            if (!cpes.IsMap()) return invalid(source, cpes, "expected a map of CPE id: credentials");
            for (const auto& kv : cpes) {
                auto e = entry(source, kv.second);
                if (!e) return e.error();
                if (auto st = table->add(kv.first.as<std::string>(), *e); !st)
                    return invalid(source, kv.second, st.error().message);
            }
        }
    } catch (const YAML::Exception& e) {
        // e.msg describes the syntax; it does not quote values.
        return core::make_error("config.invalid", where(source, e.mark) + ": " + e.msg);
    }
    return table;
}

core::Result<std::shared_ptr<acs::CredentialTable>> load_acs_credentials(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return core::make_error("config.invalid", file.string() + ": cannot be read");
    std::ostringstream s;
    s << in.rdbuf();
    return parse_acs_credentials(s.str(), file.string());
}

}  // namespace app
