// GatewayModel::load_seed: maps the TR-098 values a CMP agent would report
// (DeviceInfo, first WAN IP connection, LAN host configuration, Time, Hosts)
// from a genieacs-sim dump into the model's initial state.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>

#include "examples/cmp-gateway-sim/gateway_model.hpp"

namespace sim {
namespace {

using Params = std::map<std::string, std::string, std::less<>>;

core::Error seed_error(std::string code, std::string msg) { return core::make_error(std::move(code), std::move(msg)); }

// RFC 4180 fields of one record; nullopt on an unterminated quote.
std::optional<std::vector<std::string>> csv_fields(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                out.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                out.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else if (c != '\r') {
            out.back() += c;
        }
    }
    if (quoted) return std::nullopt;
    return out;
}

core::Result<Params> read_csv(std::istream& in, const std::string& path) {
    Params p;
    std::string line;
    std::getline(in, line);
    if (line.rfind("Parameter,", 0) != 0)
        return seed_error("sim.seed_malformed", path + ": not a genieacs-sim CSV (header 'Parameter,...')");
    int n = 1;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        auto f = csv_fields(line);
        if (!f || f->size() < 4)
            return seed_error("sim.seed_malformed", path + ":" + std::to_string(n) + ": malformed CSV row");
        if ((*f)[1] == "true") continue;  // an object, not a parameter
        p[(*f)[0]] = (*f)[3];
    }
    return p;
}

core::Result<Params> read_json(const std::string& path) {
    Params p;
    try {
        // YAML 1.2 reads this JSON as is; yaml-cpp is already a dependency.
        YAML::Node root = YAML::LoadFile(path);
        if (!root.IsMap()) return seed_error("sim.seed_malformed", path + ": not a JSON object");
        for (const auto& kv : root) {
            const YAML::Node key = kv.first, v = kv.second;  // copies: the iterator's pair is a temporary
            if (v.IsSequence() && v.size() >= 2) p[key.as<std::string>()] = v[1].as<std::string>();
        }
    } catch (const YAML::Exception& e) {
        return seed_error("sim.seed_malformed", path + ": " + e.what());
    }
    return p;
}

template <class T>
void set_number(const Params& p, const std::string& key, T& out) {
    auto it = p.find(key);
    if (it == p.end()) return;
    T v{};
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec == std::errc() && ptr == it->second.data() + it->second.size()) out = v;
}

void set_text(const Params& p, const std::string& key, std::string& out, bool allow_empty = false) {
    auto it = p.find(key);
    if (it != p.end() && (allow_empty || !it->second.empty())) out = it->second;
}

// Text leaves under one object, each into its Seed member: the dump's names
// differ per object, the rule (present and non-empty wins) does not.
struct TextLeaf {
    const char* leaf;
    std::string Seed::*field;
};

void set_texts(const Params& p, const std::string& object, std::initializer_list<TextLeaf> leaves, Seed& s) {
    for (const auto& l : leaves) set_text(p, object + l.leaf, s.*l.field);
}

bool truthy(std::string_view v) { return v == "true" || v == "1"; }

// The first instance path under prefix that has the given leaf, e.g. the WAN IP connection.
std::string first_instance(const Params& p, std::string_view prefix, std::string_view leaf) {
    for (auto it = p.lower_bound(prefix); it != p.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        std::string_view k = it->first;
        if (k.size() > leaf.size() && k.ends_with(leaf)) return std::string(k.substr(0, k.size() - leaf.size()));
    }
    return {};
}

void apply_params(const Params& p, Seed& s) {
    const std::string di = "InternetGatewayDevice.DeviceInfo.";
    set_texts(p, di,
              {{"Manufacturer", &Seed::manufacturer},
               {"ManufacturerOUI", &Seed::oui},
               {"ModelName", &Seed::model_name},
               {"ProductClass", &Seed::product_class},
               {"HardwareVersion", &Seed::hw_version},
               {"SoftwareVersion", &Seed::sw_version}},
              s);
    set_number(p, di + "UpTime", s.up_time);
    if (auto it = p.find(di + "SerialNumber"); it != p.end() && it->second.size() >= 10)
        s.serial_prefix = it->second.substr(0, 6);

    std::string wan = first_instance(p, "InternetGatewayDevice.WANDevice.", ".ExternalIPAddress");
    if (!wan.empty() && wan.find("WANIPConnection") != std::string::npos) {
        set_texts(p, wan,
                  {{".AddressingType", &Seed::wan_type},
                   {".ConnectionStatus", &Seed::wan_status},
                   {".ExternalIPAddress", &Seed::wan_ip},
                   {".SubnetMask", &Seed::wan_mask},
                   {".DefaultGateway", &Seed::wan_gateway},
                   {".DNSServers", &Seed::wan_dns},
                   {".MACAddress", &Seed::wan_mac}},
                  s);
        set_number(p, wan + ".Uptime", s.wan_up_time);
        const char* stats[] = {"BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived"};
        for (int i = 0; i < 4; ++i) set_number(p, wan + ".Stats.Ethernet" + stats[i], s.wan_counters[i]);
    }

    const std::string lan = "InternetGatewayDevice.LANDevice.1.";
    const std::string hcm = lan + "LANHostConfigManagement.";
    set_texts(p, hcm,
              {{"IPInterface.1.IPInterfaceIPAddress", &Seed::lan_ip},
               {"IPInterface.1.IPInterfaceSubnetMask", &Seed::lan_mask},
               {"SubnetMask", &Seed::lan_mask},
               {"MinAddress", &Seed::dhcp_min},
               {"MaxAddress", &Seed::dhcp_max}},
              s);
    if (auto it = p.find(hcm + "DHCPServerEnable"); it != p.end()) s.dhcp_enable = truthy(it->second);
    set_number(p, hcm + "DHCPLeaseTime", s.lease_time);
    const char* lan_stats[] = {"BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived"};
    for (int i = 0; i < 4; ++i) {
        std::uint64_t sum = 0;
        bool any = false;
        for (int port = 1; port <= 8; ++port) {
            std::uint64_t v = 0;
            std::string key = lan + "LANEthernetInterfaceConfig." + std::to_string(port) + ".Stats." + lan_stats[i];
            if (!p.count(key)) continue;
            set_number(p, key, v);
            sum += v;
            any = true;
        }
        if (any) s.lan_counters[i] = sum;
        set_number(p, lan + "WLANConfiguration.1.Total" + lan_stats[i], s.wlan_counters[i]);
    }

    for (int i = 0; i < 5; ++i)
        set_text(p, "InternetGatewayDevice.Time.NTPServer" + std::to_string(i + 1), s.ntp[i], true);
    set_texts(p, "InternetGatewayDevice.Time.",
              {{"LocalTimeZone", &Seed::time_zone},
               {"LocalTimeZoneName", &Seed::time_zone},
               {"CurrentLocalTime", &Seed::current_time}},
              s);

    // Hosts: collect Host.{i}.* by instance number.
    const std::string hosts = lan + "Hosts.Host.";
    std::map<int, SeedHost> by_index;
    for (auto it = p.lower_bound(hosts); it != p.end() && it->first.rfind(hosts, 0) == 0; ++it) {
        std::string_view rest = std::string_view(it->first).substr(hosts.size());
        int index = 0;
        auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
        if (ec != std::errc() || ptr == rest.data() + rest.size() || *ptr != '.') continue;
        std::string_view leaf = rest.substr(static_cast<std::size_t>(ptr - rest.data()) + 1);
        SeedHost& h = by_index[index];
        if (leaf == "IPAddress") h.ip = it->second;
        else if (leaf == "MACAddress") h.mac = it->second;
        else if (leaf == "HostName") h.name = it->second;
        else if (leaf == "Active") h.active = truthy(it->second);
        else if (leaf.rfind("X_", 0) == 0 && leaf.ends_with("_DeviceType")) h.type = it->second;
    }
    if (!by_index.empty()) {
        s.hosts.clear();
        for (auto& [i, h] : by_index)
            if (!h.mac.empty() && !h.ip.empty()) s.hosts.push_back(std::move(h));
    }
}

}  // namespace

core::Result<Seed> GatewayModel::load_seed(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return seed_error("sim.seed_unreadable", "cannot open TR-098 dump " + path);
    core::Result<Params> params = core::make_error("", "");
    if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0) {
        params = read_csv(in, path);
    } else {
        in.close();
        params = read_json(path);
    }
    if (!params) return params.error();
    if (!params->count("InternetGatewayDevice.DeviceInfo.Manufacturer"))
        return seed_error("sim.seed_not_tr098", path + ": no InternetGatewayDevice.DeviceInfo.Manufacturer");
    Seed s;
    apply_params(*params, s);
    return s;
}

}  // namespace sim
