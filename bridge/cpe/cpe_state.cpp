#include "bridge/cpe/cpe_state.hpp"

#include <yaml-cpp/yaml.h>

namespace cpe {

std::string serialize(const CpeState& s) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "format" << YAML::Value << 1;
    out << YAML::Key << "gateway_id" << YAML::Value << s.gateway_id;
    out << YAML::Key << "bootstrapped" << YAML::Value << s.bootstrapped;
    out << YAML::Key << "pending_events" << YAML::Value << YAML::BeginSeq;
    for (auto& e : s.pending_events)
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "code" << YAML::Value << e.event_code << YAML::Key
            << "command_key" << YAML::Value << e.command_key << YAML::EndMap;
    out << YAML::EndSeq;
    out << YAML::Key << "parameter_key" << YAML::Value << s.parameter_key;
    out << YAML::Key << "device_id" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "manufacturer" << YAML::Value << s.device_id.manufacturer;
    out << YAML::Key << "oui" << YAML::Value << s.device_id.oui;
    out << YAML::Key << "product_class" << YAML::Value << s.device_id.product_class;
    out << YAML::Key << "serial_number" << YAML::Value << s.device_id.serial_number;
    out << YAML::EndMap;
    out << YAML::Key << "connection_request" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "path" << YAML::Value << s.cr_path;
    out << YAML::Key << "username" << YAML::Value << s.cr_username;
    out << YAML::Key << "password" << YAML::Value << s.cr_password;
    out << YAML::EndMap;
    out << YAML::Key << "acs_url" << YAML::Value << s.acs_url;
    out << YAML::Key << "periodic_inform" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "enable" << YAML::Value << s.periodic_enable;
    out << YAML::Key << "interval" << YAML::Value << s.periodic_interval;
    out << YAML::Key << "time" << YAML::Value << s.periodic_time;
    out << YAML::EndMap;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

core::Result<CpeState> parse_state(std::string_view text) {
    CpeState s;
    try {
        YAML::Node n = YAML::Load(std::string(text));
        if (!n.IsMap()) return core::make_error("state.invalid", "CPE state is not a YAML map");
        if (n["format"].as<int>(0) != 1) return core::make_error("state.invalid", "unknown CPE state format");
        s.gateway_id = n["gateway_id"].as<std::string>("");
        s.bootstrapped = n["bootstrapped"].as<bool>(false);
        for (auto e : n["pending_events"])
            s.pending_events.push_back({e["code"].as<std::string>(), e["command_key"].as<std::string>("")});
        s.parameter_key = n["parameter_key"].as<std::string>("");
        if (auto d = n["device_id"]) {
            s.device_id.manufacturer = d["manufacturer"].as<std::string>("");
            s.device_id.oui = d["oui"].as<std::string>("");
            s.device_id.product_class = d["product_class"].as<std::string>("");
            s.device_id.serial_number = d["serial_number"].as<std::string>("");
        }
        if (auto cr = n["connection_request"]) {
            s.cr_path = cr["path"].as<std::string>("");
            s.cr_username = cr["username"].as<std::string>("");
            s.cr_password = cr["password"].as<std::string>("");
        }
        s.acs_url = n["acs_url"].as<std::string>("");
        if (auto p = n["periodic_inform"]) {
            s.periodic_enable = p["enable"].as<bool>(true);
            s.periodic_interval = p["interval"].as<std::uint32_t>(3600);
            s.periodic_time = p["time"].as<std::string>(std::string(cwmp::kUnknownTime));
        }
    } catch (const YAML::Exception& e) {
        return core::make_error("state.invalid", "CPE state: " + e.msg);
    }
    return s;
}

}  // namespace cpe
