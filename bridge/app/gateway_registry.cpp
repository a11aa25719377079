#include "bridge/app/gateway_registry.hpp"

#include <yaml-cpp/yaml.h>

#include "bridge/core/log.hpp"

namespace app {

std::string serialize(const RegisteredGateway& g) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << g.id;
    out << YAML::Key << "url" << YAML::Value << g.url;
    out << YAML::Key << "registered_at" << YAML::Value << g.registered_at;
    out << YAML::Key << "manufacturer" << YAML::Value << g.manufacturer;
    out << YAML::Key << "oui" << YAML::Value << g.oui;
    out << YAML::Key << "product_class" << YAML::Value << g.product_class;
    out << YAML::Key << "serial_number" << YAML::Value << g.serial_number;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

core::Result<RegisteredGateway> parse_registered(std::string_view yaml) {
    try {
        YAML::Node n = YAML::Load(std::string(yaml));
        if (!n.IsMap() || !n["id"] || !n["url"])
            return core::make_error("registry.invalid", "registry entry without id or url");
        RegisteredGateway g;
        auto text = [&](const char* key) { return n[key] ? n[key].as<std::string>() : std::string(); };
        g.id = text("id");
        g.url = text("url");
        g.registered_at = text("registered_at");
        g.manufacturer = text("manufacturer");
        g.oui = text("oui");
        g.product_class = text("product_class");
        g.serial_number = text("serial_number");
        return g;
    } catch (const YAML::Exception& e) {
        return core::make_error("registry.invalid", std::string("registry entry: ") + e.what());
    }
}

core::Result<std::vector<RegisteredGateway>> GatewayRegistry::load_all() {
    auto keys = store_->keys();
    if (!keys) return keys.error();
    std::vector<RegisteredGateway> out;
    for (const auto& key : *keys) {
        auto blob = store_->load(key);
        if (!blob) return blob.error();
        if (!*blob) continue;
        auto g = parse_registered(**blob);
        if (!g || g->id != key) {
            core::log::error("registry", "ignoring unreadable entry '" + key + "'" +
                                             (g ? std::string(": id does not match") : ": " + g.error().message));
            continue;
        }
        out.push_back(std::move(*g));
    }
    return out;
}

}  // namespace app
