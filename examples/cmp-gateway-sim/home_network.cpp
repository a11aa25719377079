#include "examples/cmp-gateway-sim/home_network.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <optional>

#include "examples/cmp-gateway-sim/sim_util.hpp"

namespace sim {
namespace {

std::string mac_string(std::uint64_t v) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02X:%02X:%02X:%02X:%02X:%02X", unsigned(v >> 40 & 0xFF), unsigned(v >> 32 & 0xFF),
                  unsigned(v >> 24 & 0xFF), unsigned(v >> 16 & 0xFF), unsigned(v >> 8 & 0xFF), unsigned(v & 0xFF));
    return buf;
}

std::string mac_id(std::string_view mac) {
    std::string id = "mac-";
    for (char c : mac)
        if (c != ':') id += static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
    return id;
}

std::string uuid_from(std::uint64_t a, std::uint64_t b) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "uuid:%08x-%04x-4%03x-a%03x-%012llx", unsigned(a >> 32), unsigned(a >> 16 & 0xFFFF),
                  unsigned(a & 0xFFF), unsigned(b >> 48 & 0xFFF), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
    return buf;
}

Service make_service(std::string kind, std::string id_suffix, std::vector<StateVar> vars,
                     std::vector<ActionSpec> actions) {
    Service s;
    s.type = "urn:schemas-upnp-org:service:" + kind + ":1";
    s.id = "urn:upnp-org:serviceId:" + id_suffix;
    s.scpd_url = "/" + kind + ".xml";
    s.control_url = "/upnp/control/" + kind;
    s.event_url = "/upnp/event/" + kind;
    s.vars = std::move(vars);
    s.actions = std::move(actions);
    return s;
}

bool chance(std::mt19937& rng, double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p; }

std::optional<int> to_int(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<bool> to_bool(std::string_view s) {
    if (s == "1" || s == "true") return true;
    if (s == "0" || s == "false") return false;
    return std::nullopt;
}

}  // namespace

StateVar* Service::var(std::string_view name) {
    for (auto& v : vars)
        if (v.name == name) return &v;
    return nullptr;
}

const ActionSpec* Service::action(std::string_view name) const {
    for (const auto& a : actions)
        if (a.name == name) return &a;
    return nullptr;
}

Service* HomeDevice::service(std::string_view id) {
    for (auto& s : services)
        if (s.id == id) return &s;
    return nullptr;
}

HomeNetwork::HomeNetwork(const std::vector<SeedHost>& hosts, std::string_view lan_ip, std::string_view dhcp_min,
                         std::string_view dhcp_max, std::uint64_t salt)
    : salt_(salt) {
    pool_min_ = parse_ipv4(dhcp_min);
    pool_max_ = parse_ipv4(dhcp_max);
    if (!pool_min_ || pool_max_ < pool_min_) {
        std::uint32_t lan = parse_ipv4(lan_ip);
        pool_min_ = (lan & 0xFFFFFF00u) | 2;
        pool_max_ = (lan & 0xFFFFFF00u) | 254;
    }
    next_host_ = pool_min_;
    for (const auto& h : hosts) {
        HomeDevice d;
        // The dump's MACs are real; vary the low bytes so every simulated home differs.
        std::string mac = h.mac;
        if (mac.size() == 17) mac = mac.substr(0, 12) + mac_string(salt_ ^ fnv1a64(h.mac)).substr(12);
        d.mac = mac;
        d.dev_id = mac_id(mac);
        d.device_type = h.type.empty() ? "Computer" : h.type;
        d.friendly_name = h.name;
        d.ip = h.ip;
        d.active = h.active;
        std::uint32_t ip = parse_ipv4(h.ip);
        if (ip >= next_host_ && ip <= pool_max_) next_host_ = ip + 1;
        devices_.push_back(std::move(d));
    }
    add_appliances(salt);
}

void HomeNetwork::add_appliances(std::uint64_t salt) {
    struct Appliance {
        const char* type;
        const char* name;
        const char* maker;
        const char* model;
        std::uint64_t oui;
    };
    const Appliance kinds[] = {
        {"urn:schemas-upnp-org:device:DimmableLight:1", "Living room light", "Signify", "Hue White A19", 0x001788},
        {"urn:schemas-upnp-org:device:HVAC_ZoneThermostat:1", "Hall thermostat", "Honeywell", "T6 Pro Z-Wave",
         0x00D02D},
        {"urn:schemas-upnp-org:device:MediaRenderer:1", "Living room TV", "Samsung Electronics", "UE55NU7400",
         0x8C71F8},
    };
    int n = 0;
    for (const auto& k : kinds) {
        HomeDevice d;
        std::uint64_t h = salt * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(++n);
        d.mac = mac_string(k.oui << 24 | (h & 0xFFFFFF));
        d.dev_id = uuid_from(h, h * 0xC2B2AE3D27D4EB4Full);
        d.device_type = k.type;
        d.friendly_name = k.name;
        d.manufacturer = k.maker;
        d.model_name = k.model;
        d.ip = next_ip();
        d.stationary = true;
        d.desc_url = "http://" + d.ip + ":49152/description.xml";
        if (n == 1) {
            d.services.push_back(make_service(
                "SwitchPower", "SwitchPower.1", {{"Target", "0", false}, {"Status", "0", true}},
                {{"SetTarget", {"newTargetValue"}, {}}, {"GetTarget", {}, {"RetTargetValue"}},
                 {"GetStatus", {}, {"ResultStatus"}}}));
            d.services.push_back(make_service(
                "Dimming", "Dimming.1", {{"LoadLevelTarget", "80", false}, {"LoadLevelStatus", "80", true}},
                {{"SetLoadLevelTarget", {"newLoadlevelTarget"}, {}},
                 {"GetLoadLevelStatus", {}, {"retLoadlevelStatus"}}}));
        } else if (n == 2) {
            d.services.push_back(make_service(
                "TemperatureSensor", "TemperatureSensor.1",
                {{"CurrentTemperature", std::to_string(2050 + static_cast<int>(salt % 200)), true},
                 {"Application", "Indoor", false}},
                {{"GetCurrentTemperature", {}, {"CurrentTemp"}}, {"GetApplication", {}, {"CurrentApp"}}}));
        } else {
            d.services.push_back(make_service(
                "RenderingControl", "RenderingControl",
                {{"Volume", "18", true}, {"Mute", "0", true}},
                {{"SetVolume", {"InstanceID", "Channel", "DesiredVolume"}, {}},
                 {"GetVolume", {"InstanceID", "Channel"}, {"CurrentVolume"}},
                 {"SetMute", {"InstanceID", "Channel", "DesiredMute"}, {}},
                 {"GetMute", {"InstanceID", "Channel"}, {"CurrentMute"}}}));
        }
        devices_.push_back(std::move(d));
    }
}

HomeDevice* HomeNetwork::find(std::string_view dev_id) {
    for (auto& d : devices_)
        if (d.dev_id == dev_id) return &d;
    return nullptr;
}

std::string HomeNetwork::next_ip() {
    for (std::uint32_t tries = 0; tries <= pool_max_ - pool_min_; ++tries) {
        std::uint32_t ip = next_host_;
        next_host_ = next_host_ >= pool_max_ ? pool_min_ : next_host_ + 1;
        std::string s = format_ipv4(ip);
        bool used = std::any_of(devices_.begin(), devices_.end(), [&](const HomeDevice& d) { return d.ip == s; });
        if (!used) return s;
    }
    return format_ipv4(pool_max_);
}

void HomeNetwork::set_var(std::size_t dev, Service& svc, std::string_view var, std::string value,
                          std::vector<Change>& out) {
    StateVar* v = svc.var(var);
    if (!v || v->value == value) return;
    v->value = std::move(value);
    out.push_back({Change::Kind::var, dev, svc.id, v->name, v->value});
}

std::size_t HomeNetwork::add_host(std::mt19937& rng) {
    static const char* kNames[][2] = {{"iPhone", "Phone"}, {"Galaxy-S21", "Phone"}, {"DESKTOP", "Computer"},
                                      {"MacBook-Air", "Computer"}, {"Chromecast", "STB"},
                                      {"IPCam", "Camera"}, {"Pixel-7", "Phone"}, {"iPad", "Computer"}};
    auto& k = kNames[std::uniform_int_distribution<std::size_t>(0, std::size(kNames) - 1)(rng)];
    HomeDevice d;
    std::uint64_t oui = std::uniform_int_distribution<std::uint64_t>(0, 0x3FFFFF)(rng) << 2;  // unicast
    d.mac = mac_string(oui << 24 | std::uniform_int_distribution<std::uint64_t>(0, 0xFFFFFF)(rng));
    d.dev_id = mac_id(d.mac);
    d.device_type = k[1];
    d.friendly_name = std::string(k[0]) + "-" + std::to_string(++generated_);
    d.ip = next_ip();
    devices_.push_back(std::move(d));
    return devices_.size() - 1;
}

std::optional<std::size_t> HomeNetwork::leave(std::string_view dev_id) {
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        HomeDevice& d = devices_[i];
        if (!d.active || d.stationary || (!dev_id.empty() && d.dev_id != dev_id)) continue;
        d.active = false;
        return i;
    }
    return std::nullopt;
}

std::vector<Change> HomeNetwork::tick(std::mt19937& rng, const NetworkRates& rates) {
    std::vector<Change> out;
    // Departures: each mobile host independently.
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        HomeDevice& d = devices_[i];
        if (d.active && !d.stationary && chance(rng, rates.leaves_per_hour_each / 3600.0)) {
            d.active = false;
            out.push_back({Change::Kind::leave, i, {}, {}, {}});
        }
    }
    // Arrivals: a known host comes back, or a new one appears.
    if (chance(rng, rates.joins_per_hour / 3600.0)) {
        std::vector<std::size_t> away;
        for (std::size_t i = 0; i < devices_.size(); ++i)
            if (!devices_[i].active) away.push_back(i);
        bool fresh = devices_.size() < rates.max_devices && (away.empty() || chance(rng, 0.3));
        if (fresh) {
            out.push_back({Change::Kind::join, add_host(rng), {}, {}, {}});
        } else if (!away.empty()) {
            std::size_t i = away[std::uniform_int_distribution<std::size_t>(0, away.size() - 1)(rng)];
            devices_[i].active = true;
            out.push_back({Change::Kind::join, i, {}, {}, {}});
        }
    }
    // Appliances live their own life.
    for (std::size_t i = 0; i < devices_.size(); ++i) {
        for (auto& svc : devices_[i].services) {
            if (StateVar* t = svc.var("CurrentTemperature"); t && chance(rng, 1.0 / 90)) {
                int v = to_int(t->value).value_or(2100) + std::uniform_int_distribution<int>(-25, 25)(rng);
                set_var(i, svc, "CurrentTemperature", std::to_string(std::clamp(v, 1500, 2800)), out);
            }
            if (svc.var("Status") && chance(rng, 1.0 / 3600)) {  // someone pressed the wall switch
                std::string flipped = svc.var("Status")->value == "1" ? "0" : "1";
                set_var(i, svc, "Target", flipped, out);
                set_var(i, svc, "Status", flipped, out);
            }
            if (StateVar* vol = svc.var("Volume"); vol && chance(rng, 1.0 / 1800)) {
                int v = to_int(vol->value).value_or(18) + std::uniform_int_distribution<int>(-5, 5)(rng);
                set_var(i, svc, "Volume", std::to_string(std::clamp(v, 0, 100)), out);
            }
        }
    }
    return out;
}

HomeNetwork::Outcome HomeNetwork::invoke(HomeDevice& dev, Service& svc, std::string_view action,
                                         const std::vector<std::pair<std::string, std::string>>& args,
                                         std::vector<Change>& changes) {
    Outcome r;
    const ActionSpec* spec = svc.action(action);
    if (!spec) return {false, "Invalid Action: " + std::string(action) + " is not an action of " + svc.id, {}};
    auto arg = [&](std::string_view name) -> const std::string* {
        for (const auto& [n, v] : args)
            if (n == name) return &v;
        return nullptr;
    };
    for (const auto& name : spec->in)
        if (!arg(name)) return {false, "Invalid Args: " + std::string(action) + " needs " + name, {}};
    for (const auto& [n, v] : args)
        if (std::find(spec->in.begin(), spec->in.end(), n) == spec->in.end())
            return {false, "Invalid Args: " + std::string(action) + " has no argument " + n, {}};
    const std::size_t idx = index_of(dev);
    auto get = [&](std::string_view var) { return svc.var(var) ? svc.var(var)->value : std::string(); };
    if (action == "SetTarget") {
        auto b = to_bool(*arg("newTargetValue"));
        if (!b) return {false, "Invalid Args: newTargetValue must be 0 or 1", {}};
        set_var(idx, svc, "Target", *b ? "1" : "0", changes);
        set_var(idx, svc, "Status", *b ? "1" : "0", changes);
    } else if (action == "SetLoadLevelTarget") {
        auto v = to_int(*arg("newLoadlevelTarget"));
        if (!v || *v < 0 || *v > 100) return {false, "Invalid Args: newLoadlevelTarget must be 0..100", {}};
        set_var(idx, svc, "LoadLevelTarget", std::to_string(*v), changes);
        set_var(idx, svc, "LoadLevelStatus", std::to_string(*v), changes);
    } else if (action == "SetVolume" || action == "SetMute") {
        if (*arg("InstanceID") != "0" || *arg("Channel") != "Master")
            return {false, "Invalid Args: only InstanceID 0, Channel Master", {}};
        if (action == "SetVolume") {
            auto v = to_int(*arg("DesiredVolume"));
            if (!v || *v < 0 || *v > 100) return {false, "Invalid Args: DesiredVolume must be 0..100", {}};
            set_var(idx, svc, "Volume", std::to_string(*v), changes);
        } else {
            auto b = to_bool(*arg("DesiredMute"));
            if (!b) return {false, "Invalid Args: DesiredMute must be 0 or 1", {}};
            set_var(idx, svc, "Mute", *b ? "1" : "0", changes);
        }
    } else if (action == "GetVolume" || action == "GetMute") {
        if (*arg("InstanceID") != "0" || *arg("Channel") != "Master")
            return {false, "Invalid Args: only InstanceID 0, Channel Master", {}};
    }
    // Getters: each out argument reads the variable it is named after.
    static const std::pair<const char*, const char*> kReads[] = {
        {"RetTargetValue", "Target"},         {"ResultStatus", "Status"},    {"retLoadlevelStatus", "LoadLevelStatus"},
        {"CurrentTemp", "CurrentTemperature"}, {"CurrentApp", "Application"}, {"CurrentVolume", "Volume"},
        {"CurrentMute", "Mute"}};
    for (const auto& out : spec->out)
        for (const auto& [o, var] : kReads)
            if (out == o) r.out.emplace_back(out, get(var));
    return r;
}

}  // namespace sim
