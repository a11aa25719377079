#pragma once
// The LAN behind one simulated gateway: hosts that come and go, and a few
// UPnP devices (a dimmable light, a thermostat, a TV) with services whose
// state variables change on their own or by ctrlHomeDev. Pure and driven by
// the caller's random engine, one simulated second per tick().
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sim {

struct StateVar {
    std::string name;
    std::string value;
    bool evented = true;
};

struct ActionSpec {
    std::string name;
    std::vector<std::string> in;   // argument names, in order
    std::vector<std::string> out;  // result names
};

struct Service {
    std::string type;  // urn:schemas-upnp-org:service:SwitchPower:1
    std::string id;    // urn:upnp-org:serviceId:SwitchPower.1
    std::string scpd_url, control_url, event_url;
    std::vector<StateVar> vars;
    std::vector<ActionSpec> actions;

    StateVar* var(std::string_view name);
    const ActionSpec* action(std::string_view name) const;
};

struct HomeDevice {
    std::string dev_id;  // stable across joins: "uuid:..." for UPnP devices, "mac-..." for hosts
    std::string device_type;
    std::string friendly_name, manufacturer, model_name;
    std::string ip, mac;
    bool active = true;
    bool stationary = false;  // never leaves (the UPnP appliances)
    std::string desc_url;     // empty: not a UPnP device
    std::vector<Service> services;

    Service* service(std::string_view id);
};

// A host of the TR-098 dump (LANDevice.1.Hosts.Host.{i}).
struct SeedHost {
    std::string ip, mac, name, type;
    bool active = true;
};

// What changed during a tick or an action.
struct Change {
    enum class Kind { join, leave, var } kind;
    std::size_t device = 0;
    std::string service_id, var, value;
};

struct NetworkRates {
    double joins_per_hour = 3.0;          // arrivals (returning or new hosts)
    double leaves_per_hour_each = 0.4;    // per active mobile host
    unsigned max_devices = 24;
};

class HomeNetwork {
public:
    // salt: per-gateway value so that two gateways' homes differ.
    HomeNetwork(const std::vector<SeedHost>& hosts, std::string_view lan_ip, std::string_view dhcp_min,
                std::string_view dhcp_max, std::uint64_t salt);

    std::vector<HomeDevice>& devices() { return devices_; }
    const std::vector<HomeDevice>& devices() const { return devices_; }
    HomeDevice* find(std::string_view dev_id);
    std::size_t index_of(const HomeDevice& d) const { return static_cast<std::size_t>(&d - devices_.data()); }

    // One simulated second.
    std::vector<Change> tick(std::mt19937& rng, const NetworkRates& rates);
    // A new host joins now (the caller reports the join); its index.
    std::size_t add_host(std::mt19937& rng);
    // An active mobile host (that one, or the first when dev_id is empty) leaves now.
    std::optional<std::size_t> leave(std::string_view dev_id);

    // Invokes a UPnP action. Returns the out arguments; on error the text of
    // the failure (unknown action, bad arguments) with ok = false.
    struct Outcome {
        bool ok = true;
        std::string error;
        std::vector<std::pair<std::string, std::string>> out;
    };
    Outcome invoke(HomeDevice& dev, Service& svc, std::string_view action,
                   const std::vector<std::pair<std::string, std::string>>& args, std::vector<Change>& changes);

private:
    void add_appliances(std::uint64_t salt);
    std::string next_ip();
    void set_var(std::size_t dev, Service& svc, std::string_view var, std::string value, std::vector<Change>& out);

    std::vector<HomeDevice> devices_;
    std::uint32_t pool_min_ = 0, pool_max_ = 0, next_host_ = 0;
    std::uint64_t salt_ = 0;
    unsigned generated_ = 0;
};

}  // namespace sim
