#include "bridge/app/reverse_state.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>

namespace app {

namespace {

std::int64_t unix_of(acs::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string reverse_state_key(std::string_view cpe_id) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(cpe_id.data(), cpe_id.size(), md, &len, EVP_sha256(), nullptr);
    std::string out = "cpe-";
    char hex[3];
    for (unsigned i = 0; i < 20 && i < len; ++i) {
        std::snprintf(hex, sizeof hex, "%02x", md[i]);
        out += hex;
    }
    return out;
}

std::string encode_reverse_state(const ReverseCpeState& s) {
    YAML::Emitter out;
    const acs::CpeRecord& r = s.record;
    out << YAML::BeginMap;
    out << YAML::Key << "format" << YAML::Value << 1;
    out << YAML::Key << "id" << YAML::Value << r.id;
    out << YAML::Key << "rg_id" << YAML::Value << s.rg_id;
    out << YAML::Key << "mapping" << YAML::Value << s.mapping;
    out << YAML::Key << "device_id" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "manufacturer" << YAML::Value << r.device_id.manufacturer;
    out << YAML::Key << "oui" << YAML::Value << r.device_id.oui;
    out << YAML::Key << "product_class" << YAML::Value << r.device_id.product_class;
    out << YAML::Key << "serial_number" << YAML::Value << r.device_id.serial_number;
    out << YAML::EndMap;
    out << YAML::Key << "root" << YAML::Value << r.root;
    out << YAML::Key << "cwmp_version" << YAML::Value << std::string(cwmp::to_string(r.version));
    out << YAML::Key << "connection_request_url" << YAML::Value << r.connection_request_url;
    if (r.periodic_interval) out << YAML::Key << "periodic_interval_s" << YAML::Value << r.periodic_interval->count();
    if (r.last_inform) out << YAML::Key << "last_inform" << YAML::Value << unix_of(*r.last_inform);
    const cmp::AgentIdentity& i = s.identity;
    out << YAML::Key << "identity" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "manufacturer" << YAML::Value << i.manufacturer << YAML::Key << "oui" << YAML::Value << i.oui;
    out << YAML::Key << "model_name" << YAML::Value << i.model_name;
    out << YAML::Key << "product_class" << YAML::Value << i.product_class;
    out << YAML::Key << "serial_number" << YAML::Value << i.serial_number;
    out << YAML::Key << "hw_version" << YAML::Value << i.hw_version << YAML::Key << "sw_version" << YAML::Value
        << i.sw_version;
    out << YAML::Key << "ip_addr" << YAML::Value << i.ip_addr << YAML::Key << "ctrl_url" << YAML::Value << i.ctrl_url;
    out << YAML::EndMap;
    out << YAML::Key << "events" << YAML::Value << YAML::Literal << s.events;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

core::Result<ReverseCpeState> decode_reverse_state(std::string_view blob) {
    try {
        YAML::Node n = YAML::Load(std::string(blob));
        if (!n.IsMap() || !n["format"] || n["format"].as<int>() != 1)
            return core::make_error("state.invalid", "reverse CPE state: unknown format");
        ReverseCpeState s;
        acs::CpeRecord& r = s.record;
        r.id = n["id"].as<std::string>();
        s.rg_id = n["rg_id"].as<std::string>();
        if (n["mapping"]) s.mapping = n["mapping"].as<std::string>();
        YAML::Node d = n["device_id"];
        r.device_id = {d["manufacturer"].as<std::string>(), d["oui"].as<std::string>(),
                       d["product_class"].as<std::string>(), d["serial_number"].as<std::string>()};
        r.root = n["root"].as<std::string>();
        if (auto v = cwmp::version_from_string(n["cwmp_version"].as<std::string>())) r.version = *v;
        r.connection_request_url = n["connection_request_url"].as<std::string>();
        if (n["periodic_interval_s"]) r.periodic_interval = std::chrono::seconds(n["periodic_interval_s"].as<long long>());
        if (n["last_inform"]) r.last_inform = acs::TimePoint(std::chrono::seconds(n["last_inform"].as<long long>()));
        YAML::Node i = n["identity"];
        s.identity.manufacturer = i["manufacturer"].as<std::string>();
        s.identity.oui = i["oui"].as<std::string>();
        s.identity.model_name = i["model_name"].as<std::string>();
        s.identity.product_class = i["product_class"].as<std::string>();
        s.identity.serial_number = i["serial_number"].as<std::string>();
        s.identity.hw_version = i["hw_version"].as<std::string>();
        s.identity.sw_version = i["sw_version"].as<std::string>();
        s.identity.ip_addr = i["ip_addr"].as<std::string>();
        s.identity.ctrl_url = i["ctrl_url"].as<std::string>();
        s.events = n["events"] ? n["events"].as<std::string>() : std::string();
        return s;
    } catch (const YAML::Exception& e) {
        return core::make_error("state.invalid", std::string("reverse CPE state: ") + e.what());
    }
}

}  // namespace app
