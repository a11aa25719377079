// ReverseEventState as YAML: the subscriptions a HOMS made (their eventIds
// must keep working after a restart) and the last values seen (so that a
// restart does not turn every known host into a join).
#include <yaml-cpp/yaml.h>

#include "bridge/mapping/reverse_call.hpp"

namespace mapping {

std::string ReverseEventState::save() const {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "version" << YAML::Value << 1;
    out << YAML::Key << "next_id" << YAML::Value << next_id;
    out << YAML::Key << "subscriptions" << YAML::Value << YAML::BeginMap;
    for (const auto& [id, sub] : subscriptions) {
        out << YAML::Key << id << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "seq" << YAML::Value << sub.seq;
        // Only the scalar arguments are read back (fields the event messages repeat).
        out << YAML::Key << "args" << YAML::Value << YAML::BeginMap;
        for (const auto& f : sub.args.fields)
            if (!f.is_list()) out << YAML::Key << f.name << YAML::Value << std::get<0>(f.value);
        out << YAML::EndMap << YAML::Key << "vars" << YAML::Value << YAML::BeginMap;
        for (const auto& [path, name] : sub.vars) out << YAML::Key << path << YAML::Value << name;
        out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndMap << YAML::Key << "values" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, v] : values) out << YAML::Key << name << YAML::Value << v;
    out << YAML::EndMap << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

core::Status ReverseEventState::load(std::string_view blob) {
    auto bad = [](std::string m) { return core::make_error("mapping.reverse_state", std::move(m)); };
    ReverseEventState s;
    try {
        YAML::Node doc = YAML::Load(std::string(blob));
        if (!doc.IsMap() || !doc["version"] || doc["version"].as<int>() != 1)
            return bad("reverse state: not a version 1 state");
        s.next_id = doc["next_id"].as<std::uint64_t>(1);
        if (auto subs = doc["subscriptions"]; subs && subs.IsMap())
            for (auto it = subs.begin(); it != subs.end(); ++it) {
                Subscription sub;
                sub.seq = it->second["seq"].as<std::uint32_t>(0);
                if (auto a = it->second["args"]; a && a.IsMap())
                    for (auto i = a.begin(); i != a.end(); ++i) sub.args.set(i->first.as<std::string>(), i->second.as<std::string>(""));
                if (auto v = it->second["vars"]; v && v.IsMap())
                    for (auto i = v.begin(); i != v.end(); ++i) sub.vars[i->first.as<std::string>()] = i->second.as<std::string>("");
                s.subscriptions[it->first.as<std::string>()] = std::move(sub);
            }
        if (auto v = doc["values"]; v && v.IsMap())
            for (auto i = v.begin(); i != v.end(); ++i) s.remember(i->first.as<std::string>(), i->second.as<std::string>(""));
    } catch (const std::exception& e) {
        return bad(std::string("reverse state: ") + e.what());
    }
    *this = std::move(s);
    return core::Ok{};
}

}  // namespace mapping
