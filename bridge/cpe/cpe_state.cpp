#include "bridge/cpe/cpe_state.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string_view>

#include "bridge/core/binary_codec.hpp"

namespace cpe {
namespace {

void emit_strings(YAML::Emitter& out, const std::vector<std::string>& v) {
    out << YAML::Flow << YAML::BeginSeq;
    for (auto& s : v) out << s;
    out << YAML::EndSeq;
}

std::vector<std::string> strings(const YAML::Node& n) {
    std::vector<std::string> v;
    for (auto x : n) v.push_back(x.as<std::string>());
    return v;
}

}  // namespace

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
    out << YAML::Key << "last_url" << YAML::Value << s.last_cr_url;
    out << YAML::EndMap;
    out << YAML::Key << "acs_url" << YAML::Value << s.acs_url;
    if (s.acs_username) out << YAML::Key << "acs_username" << YAML::Value << *s.acs_username;
    if (s.acs_password) out << YAML::Key << "acs_password" << YAML::Value << *s.acs_password;
    out << YAML::Key << "periodic_inform" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "enable" << YAML::Value << s.periodic_enable;
    out << YAML::Key << "interval" << YAML::Value << s.periodic_interval;
    out << YAML::Key << "time" << YAML::Value << s.periodic_time;
    out << YAML::EndMap;
    out << YAML::Key << "upgrades_managed" << YAML::Value << s.upgrades_managed;
    if (s.deferred_reboot) out << YAML::Key << "deferred_reboot" << YAML::Value << *s.deferred_reboot;
    out << YAML::Key << "attributes" << YAML::Value << YAML::BeginMap;
    for (auto& [path, a] : s.attributes) {
        out << YAML::Key << path << YAML::Value << YAML::Flow << YAML::BeginMap;
        if (a.notification) out << YAML::Key << "notification" << YAML::Value << *a.notification;
        if (a.access_list) {
            out << YAML::Key << "access_list" << YAML::Value;
            emit_strings(out, *a.access_list);
        }
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
    out << YAML::Key << "scheduled_informs" << YAML::Value << YAML::BeginSeq;
    for (auto& si : s.scheduled_informs)
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "due" << YAML::Value << si.due_unix << YAML::Key
            << "command_key" << YAML::Value << si.command_key << YAML::EndMap;
    out << YAML::EndSeq;
    out << YAML::Key << "transfers" << YAML::Value << YAML::BeginSeq;
    for (auto& t : s.transfers) {
        out << YAML::BeginMap;
        out << YAML::Key << "method" << YAML::Value << t.method;
        out << YAML::Key << "file_type" << YAML::Value << t.file_type;
        out << YAML::Key << "command_key" << YAML::Value << t.result.command_key;
        out << YAML::Key << "accepted" << YAML::Value << t.accepted_unix;
        out << YAML::Key << "completed" << YAML::Value << t.completed;
        if (t.completed) {
            out << YAML::Key << "fault_code" << YAML::Value << t.result.fault.code;
            out << YAML::Key << "fault_string" << YAML::Value << t.result.fault.string;
            out << YAML::Key << "start_time" << YAML::Value << t.result.start_time;
            out << YAML::Key << "complete_time" << YAML::Value << t.result.complete_time;
        }
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "device_state" << YAML::Value << YAML::BeginMap;
    for (auto& [k, v] : s.device_state) out << YAML::Key << k << YAML::Value << v;
    out << YAML::EndMap;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

namespace {

core::Result<CpeState> parse_yaml(std::string_view text) {
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
            s.last_cr_url = cr["last_url"].as<std::string>("");
        }
        s.acs_url = n["acs_url"].as<std::string>("");
        if (n["acs_username"]) s.acs_username = n["acs_username"].as<std::string>();
        if (n["acs_password"]) s.acs_password = n["acs_password"].as<std::string>();
        if (auto p = n["periodic_inform"]) {
            s.periodic_enable = p["enable"].as<bool>(true);
            // yaml-cpp wraps "-5" into an unsigned: read wide and check.
            auto interval = p["interval"].as<std::int64_t>(3600);
            if (interval < 1 || interval > UINT32_MAX)
                return core::make_error("state.invalid", "CPE state: periodic_inform.interval out of range");
            s.periodic_interval = static_cast<std::uint32_t>(interval);
            s.periodic_time = p["time"].as<std::string>(std::string(cwmp::kUnknownTime));
        }
        s.upgrades_managed = n["upgrades_managed"].as<bool>(false);
        if (n["deferred_reboot"]) s.deferred_reboot = n["deferred_reboot"].as<std::string>();
        for (auto a : n["attributes"]) {
            AttributeRule rule;
            if (a.second["notification"]) rule.notification = a.second["notification"].as<int>();
            if (a.second["access_list"]) rule.access_list = strings(a.second["access_list"]);
            s.attributes[a.first.as<std::string>()] = std::move(rule);
        }
        for (auto si : n["scheduled_informs"])
            s.scheduled_informs.push_back({si["due"].as<std::int64_t>(), si["command_key"].as<std::string>("")});
        for (auto t : n["transfers"]) {
            Transfer tr;
            tr.method = t["method"].as<std::string>();
            tr.file_type = t["file_type"].as<std::string>("");
            tr.result.command_key = t["command_key"].as<std::string>("");
            tr.accepted_unix = t["accepted"].as<std::int64_t>(0);
            tr.completed = t["completed"].as<bool>(false);
            if (tr.completed) {
                tr.result.fault.code = t["fault_code"].as<std::uint32_t>(0);
                tr.result.fault.string = t["fault_string"].as<std::string>("");
                tr.result.start_time = t["start_time"].as<std::string>(std::string(cwmp::kUnknownTime));
                tr.result.complete_time = t["complete_time"].as<std::string>(std::string(cwmp::kUnknownTime));
            }
            s.transfers.push_back(std::move(tr));
        }
        for (auto d : n["device_state"]) s.device_state[d.first.as<std::string>()] = d.second.as<std::string>("");
    } catch (const YAML::Exception& e) {
        return core::make_error("state.invalid", "CPE state: " + e.msg);
    }
    return s;
}

// ---- The binary form -------------------------------------------------------
// "\0CPS", a version byte, then every field of CpeState in declaration order
// (core/binary_codec.hpp).
// A new field means a new version; decoders keep reading the old ones.
constexpr std::string_view kMagic{"\0CPS", 4};
constexpr unsigned char kVersion = 1;

using Writer = core::BinaryWriter;
using BinReader = core::BinaryReader;

core::Result<CpeState> decode_binary(std::string_view blob) {
    if (blob.size() < kMagic.size() + 1 || blob.substr(0, kMagic.size()) != kMagic)
        return core::make_error("state.invalid", "CPE state: not the binary state form");
    if (static_cast<unsigned char>(blob[kMagic.size()]) != kVersion)
        return core::make_error("state.invalid", "unknown CPE state format (binary version " +
                                                     std::to_string(static_cast<unsigned char>(blob[kMagic.size()])) +
                                                     ")");
    BinReader r{blob.substr(kMagic.size() + 1)};
    CpeState s;
    s.gateway_id = r.str();
    s.bootstrapped = r.b();
    for (std::size_t n = r.count(); n > 0 && r.ok; --n) {
        cwmp::EventStruct e;
        e.event_code = r.str();
        e.command_key = r.str();
        s.pending_events.push_back(std::move(e));
    }
    s.parameter_key = r.str();
    s.device_id.manufacturer = r.str();
    s.device_id.oui = r.str();
    s.device_id.product_class = r.str();
    s.device_id.serial_number = r.str();
    s.cr_path = r.str();
    s.cr_username = r.str();
    s.cr_password = r.str();
    s.last_cr_url = r.str();
    s.acs_url = r.str();
    s.acs_username = r.opt();
    s.acs_password = r.opt();
    s.periodic_enable = r.b();
    std::uint64_t interval = r.u();
    if (r.ok && (interval < 1 || interval > UINT32_MAX))
        return core::make_error("state.invalid", "CPE state: periodic_inform.interval out of range");
    s.periodic_interval = static_cast<std::uint32_t>(interval);
    s.periodic_time = r.str();
    s.upgrades_managed = r.b();
    s.deferred_reboot = r.opt();
    for (std::size_t n = r.count(); n > 0 && r.ok; --n) {
        std::string path = r.str();
        AttributeRule rule;
        if (r.b()) {
            std::int64_t v = r.i();
            if (v < INT32_MIN || v > INT32_MAX) r.fail();
            rule.notification = static_cast<int>(v);
        }
        if (r.b()) {
            rule.access_list.emplace();
            for (std::size_t m = r.count(); m > 0 && r.ok; --m) rule.access_list->push_back(r.str());
        }
        s.attributes[std::move(path)] = std::move(rule);
    }
    for (std::size_t n = r.count(); n > 0 && r.ok; --n) {
        ScheduledInform si;
        si.due_unix = r.i();
        si.command_key = r.str();
        s.scheduled_informs.push_back(std::move(si));
    }
    for (std::size_t n = r.count(); n > 0 && r.ok; --n) {
        Transfer t;
        t.method = r.str();
        t.file_type = r.str();
        t.accepted_unix = r.i();
        t.completed = r.b();
        t.result.command_key = r.str();
        std::uint64_t code = r.u();
        if (code > UINT32_MAX) r.fail();
        t.result.fault.code = static_cast<std::uint32_t>(code);
        t.result.fault.string = r.str();
        t.result.start_time = r.str();
        t.result.complete_time = r.str();
        s.transfers.push_back(std::move(t));
    }
    for (std::size_t n = r.count(); n > 0 && r.ok; --n) {
        std::string k = r.str();
        s.device_state[std::move(k)] = r.str();
    }
    if (!r.ok) return core::make_error("state.invalid", "CPE state: truncated or corrupt binary state");
    if (!r.in.empty()) return core::make_error("state.invalid", "CPE state: trailing bytes after the binary state");
    return s;
}

}  // namespace

std::string encode_state(const CpeState& s) {
    Writer w;
    w.out.reserve(512);
    w.out.append(kMagic);
    w.out.push_back(static_cast<char>(kVersion));
    w.str(s.gateway_id);
    w.b(s.bootstrapped);
    w.u(s.pending_events.size());
    for (const auto& e : s.pending_events) {
        w.str(e.event_code);
        w.str(e.command_key);
    }
    w.str(s.parameter_key);
    w.str(s.device_id.manufacturer);
    w.str(s.device_id.oui);
    w.str(s.device_id.product_class);
    w.str(s.device_id.serial_number);
    w.str(s.cr_path);
    w.str(s.cr_username);
    w.str(s.cr_password);
    w.str(s.last_cr_url);
    w.str(s.acs_url);
    w.opt(s.acs_username);
    w.opt(s.acs_password);
    w.b(s.periodic_enable);
    w.u(s.periodic_interval);
    w.str(s.periodic_time);
    w.b(s.upgrades_managed);
    w.opt(s.deferred_reboot);
    w.u(s.attributes.size());
    for (const auto& [path, rule] : s.attributes) {
        w.str(path);
        w.b(rule.notification.has_value());
        if (rule.notification) w.i(*rule.notification);
        w.b(rule.access_list.has_value());
        if (rule.access_list) {
            w.u(rule.access_list->size());
            for (const auto& a : *rule.access_list) w.str(a);
        }
    }
    w.u(s.scheduled_informs.size());
    for (const auto& si : s.scheduled_informs) {
        w.i(si.due_unix);
        w.str(si.command_key);
    }
    w.u(s.transfers.size());
    for (const auto& t : s.transfers) {
        w.str(t.method);
        w.str(t.file_type);
        w.i(t.accepted_unix);
        w.b(t.completed);
        w.str(t.result.command_key);
        w.u(t.result.fault.code);
        w.str(t.result.fault.string);
        w.str(t.result.start_time);
        w.str(t.result.complete_time);
    }
    w.u(s.device_state.size());
    for (const auto& [k, v] : s.device_state) {
        w.str(k);
        w.str(v);
    }
    return std::move(w.out);
}

core::Result<CpeState> parse_state(std::string_view text) {
    // YAML text never starts with a NUL byte; the binary form always does.
    if (!text.empty() && text.front() == '\0') return decode_binary(text);
    return parse_yaml(text);
}

bool firmware_upgrade_in_progress(const CpeState& s) {
    for (const auto& t : s.transfers)
        if (!t.completed && t.method == "Download" && t.file_type == "1 Firmware Upgrade Image") return true;
    return false;
}

CpeState factory_state(const CpeState& s, bool periodic_enable, std::uint32_t periodic_interval) {
    CpeState f;
    f.gateway_id = s.gateway_id;
    f.device_id = s.device_id;
    f.cr_path = s.cr_path;
    f.cr_username = s.cr_username;
    f.cr_password = s.cr_password;
    f.last_cr_url = s.last_cr_url;
    f.periodic_enable = periodic_enable;
    f.periodic_interval = periodic_interval;
    return f;
}

}  // namespace cpe
