#pragma once
// One simulated residential gateway with living state, as its CMP agent sees
// it. Pure: no I/O, no timers, no wall clock. The owner advances time
// explicitly (advance_to), feeds HOMS requests to handle(), and drains the
// gateway -> HOMS messages the gateway wants to send from take_outbox().
// Everything random comes from engines seeded from the gateway id, so the same
// id, seed and call sequence give the same gateway, byte for byte.
//
// Conventions the server wiring must follow:
// - Send make_registration() at start; after a reboot the outbox holds the
//   new regRg. Feed the response of every message sent to on_response(): a
//   regRg answer opens the session (authRg, keep-alives, then the held
//   notifications follow in the outbox); resultCode 4 makes the gateway
//   register again, with back-off.
// - Like a real agent, the gateway holds its notifications until it is
//   registered, and loses them (and its subscriptions) when it reboots.
// - While !online() the real gateway is unreachable: drop connections rather
//   than calling handle() (which would answer busy).
// - Test hooks in URLs: an upgrade URL containing "corrupt" fails with 12
//   (upgrade failed), one containing "unreachable" with 11 (transfer failed);
//   "unreachable" also fails backupRgConfig/restoreRgConfig with 11.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"
#include "examples/cmp-gateway-sim/home_network.hpp"

namespace sim {

// Initial state, from a TR-098 parameter dump. Defaults are the values of the
// Huawei BM632w dump in /work/shared/data, so a model works without the file.
struct Seed {
    std::string manufacturer = "Huawei Technologies Co., Ltd.";
    std::string oui = "202BC1";
    std::string model_name = "BM632w";
    std::string product_class = "BM632w";
    std::string serial_prefix = "8KA8WA";  // the dump's serial is replaced per gateway
    std::string hw_version = "40501";
    std::string sw_version = "V100R001IRQC56B017";
    std::uint32_t up_time = 213138;
    // WANDevice.1.WANConnectionDevice.1.WANIPConnection.1
    std::string wan_type = "DHCP", wan_status = "Connected", wan_ip = "172.3.89.139", wan_mask = "255.255.0.0";
    std::string wan_gateway = "172.16.0.1", wan_dns = "5.42.195.218,5.42.195.219", wan_mac = "20:2B:C1:E0:06:65";
    std::uint32_t wan_up_time = 62703;
    std::array<std::uint64_t, 4> wan_counters = {357834487, 971470946, 1387476, 1260279};  // bytes/pkts sent/rcvd
    std::array<std::uint64_t, 4> lan_counters = {55168, 0, 862, 0};
    std::array<std::uint64_t, 4> wlan_counters = {1040264440, 1072479591, 2037903, 5033167};
    // LANDevice.1.LANHostConfigManagement
    std::string lan_ip = "192.168.1.1", lan_mask = "255.255.255.0";
    bool dhcp_enable = true;
    std::string dhcp_min = "192.168.1.2", dhcp_max = "192.168.1.254";
    std::uint32_t lease_time = 86400;
    // Time
    std::array<std::string, 5> ntp = {"clock.fmt.he.net", "clock.nyc.he.net", "clock.sjc.he.net", "clock.via.net", ""};
    std::string time_zone = "GMT+03:00";
    std::string current_time = "2013-08-16T17:14:42Z";
    // LANDevice.1.Hosts.Host.{i}
    std::vector<SeedHost> hosts = {{"192.168.1.2", "40:B0:FA:9C:4A:50", "android-d87bf88d22e66acf", "Computer", true},
                                   {"192.168.1.4", "10:68:3F:77:88:20", "android-d91540e8540e9c7a", "Computer", true},
                                   {"192.168.1.5", "C0:14:3D:C0:CF:93", "Lena-PC", "Computer", true},
                                   {"192.168.1.6", "1C:3E:84:AC:BB:76", "localhost", "Computer", true},
                                   {"192.168.1.7", "C0:9F:42:56:33:DF", "Munas-iphone", "Computer", true},
                                   {"192.168.1.3", "20:10:7A:08:4D:43", "", "Computer", true}};
};

struct ModelOptions {
    double fail_rate = 0.0;  // fraction of handle() calls answered busy or general failure
    std::string ctrl_url;    // regRg.rgCtrlUrl; default http://<WAN address>:7548/cmp
    std::string secret;      // for authRg digests
    // Wall clock at construction; the epoch (default) means the seed's CurrentLocalTime.
    std::chrono::system_clock::time_point wall_start{};
    std::chrono::seconds reboot_duration{45};
    std::chrono::seconds upgrade_duration{90};  // download and flash, after delaySec
    NetworkRates lan;
    double sec_alerts_per_day = 2.0;
};

class GatewayModel {
public:
    using Clock = std::chrono::steady_clock;

    GatewayModel(std::string gateway_id, Clock::time_point start, ModelOptions options = {}, Seed seed = {});

    // Reads a TR-098 dump: the CSV (Parameter,Object,Writable,Value,Value type)
    // or the JSON ({"name": [writable, value, type]}) format of genieacs-sim.
    static core::Result<Seed> load_seed(const std::string& path);

    const std::string& id() const { return id_; }
    // Advances the simulation in whole seconds up to now; earlier times are ignored.
    void advance_to(Clock::time_point now);
    std::int64_t sim_seconds() const { return now_s_; }
    std::chrono::system_clock::time_point wall_now() const;

    cmp::Response handle(const cmp::Request& req);
    cmp::Request make_registration();
    void on_response(const cmp::Response& resp);
    std::vector<cmp::Request> take_outbox();
    bool registered() const { return !session_id_.empty(); }

    bool online() const { return !forced_offline_ && !down_until_; }
    // Fault injection.
    void set_offline(bool offline) { forced_offline_ = offline; }
    void set_fail_rate(double rate) { options_.fail_rate = rate; }

    // Deterministic triggers for tests and demos (the simulator's /control
    // endpoint): what otherwise happens by chance, now.
    std::string force_join();  // a new host joins; its devId
    // An active mobile host leaves (that one, or any when empty); its devId, nullopt if none.
    std::optional<std::string> force_leave(std::string_view dev_id = {});
    void reboot_now();  // deregRg, unreachable for reboot_duration, then regRg
    // "sec" (notifyRgSecAlert) or "cpu"/"mem"/"disk" (notifyRgRscAlert); false for another kind.
    bool raise_alert(std::string_view kind);
    void keepalive_now();  // a keepAliveRg now (when registered)

    // Read-only views for tests and the simulator's status page.
    const std::string& serial_number() const { return serial_; }
    const std::string& sw_version() const { return sw_version_; }
    std::uint32_t up_time() const { return static_cast<std::uint32_t>(now_s_ - boot_s_); }
    const HomeNetwork& home() const { return home_; }
    HomeNetwork& home() { return home_; }

private:
    struct Wan {
        std::string type, status, ip, mask, gateway, dns, mac;
        std::int64_t up_since = 0;
    };
    struct Lan {
        std::string ip, mask, dhcp_min, dhcp_max;
        bool dhcp_enable = true;
        std::uint32_t lease_time = 86400;
    };
    struct TimeCfg {
        std::array<std::string, 5> ntp;
        std::string zone;
    };
    struct Config {  // what backup/restore and factory reset cover
        Wan wan;
        Lan lan;
        TimeCfg time;
    };
    struct Counters {
        double bytes_sent = 0, bytes_rcvd = 0, pkts_sent = 0, pkts_rcvd = 0;
    };
    struct Proc {
        std::uint32_t pid;
        std::string cmd;
        std::uint32_t size_kb;
        double weight;
        double cpu_ms = 0;
    };
    struct Disk {
        std::string name, fs;
        std::uint32_t total_mb;
        double used_mb;
    };
    struct Upgrade {
        std::string version;
        std::int64_t start_s, done_s;
        int outcome;  // result code the attempt will end with
        std::string start_time;
    };
    struct Subscription {
        std::string id, dev_id, service_id;
        std::vector<std::string> vars;  // empty: every evented variable
        std::int64_t expires_s = 0;     // 0: until released
        std::uint32_t seq = 0;
    };
    enum class Down { none, reboot, reset };

    using Handler = cmp::Response (GatewayModel::*)(const cmp::Request&);
    static const std::map<std::string, Handler, std::less<>>& handlers();

    // Lifecycle (gateway_model.cpp).
    void tick();
    void boot();
    void go_down(Down kind, const std::string& reason);
    void log(const std::string& facility, const std::string& text);
    cmp::Request outgoing(std::string function);
    void push(cmp::Request req) { outbox_.push_back(std::move(req)); }
    void emit(cmp::Request req);  // a notification: sent when registered, else held
    void publish(const std::vector<Change>& changes);
    std::string now_text() const;

    // Handlers (model_handlers.cpp, home_handlers.cpp).
    cmp::Response get_rg_info(const cmp::Request&);
    cmp::Response get_cpu(const cmp::Request&);
    cmp::Response get_mem(const cmp::Request&);
    cmp::Response get_disk(const cmp::Request&);
    cmp::Response get_net(const cmp::Request&);
    cmp::Response set_net(const cmp::Request&);
    cmp::Response get_traffic(const cmp::Request&);
    cmp::Response get_time(const cmp::Request&);
    cmp::Response set_time(const cmp::Request&);
    cmp::Response reboot(const cmp::Request&);
    cmp::Response reset(const cmp::Request&);
    cmp::Response upgrade(const cmp::Request&);
    cmp::Response get_log(const cmp::Request&);
    cmp::Response backup(const cmp::Request&);
    cmp::Response restore(const cmp::Request&);
    cmp::Response dev_list(const cmp::Request&);
    cmp::Response dev_desc(const cmp::Request&);
    cmp::Response dev_ctrl(const cmp::Request&);
    cmp::Response dev_state(const cmp::Request&);
    cmp::Response dev_subscribe(const cmp::Request&);
    cmp::Response dev_unsubscribe(const cmp::Request&);
    // Resolves devId/serviceId of a home-device request, or the error response.
    std::variant<std::pair<HomeDevice*, Service*>, cmp::Response> resolve(const cmp::Request& req);

    std::string id_;
    ModelOptions options_;
    Seed seed_;
    Clock::time_point start_;
    std::int64_t now_s_ = 0;    // simulated seconds since construction
    std::int64_t wall_start_ = 0;  // Unix seconds at now_s_ == 0
    std::mt19937 world_;        // everything that happens by itself
    std::mt19937 faults_;       // fail_rate draws, separate so faults do not change the world
    std::uint64_t salt_;

    // Identity.
    std::string serial_, sw_version_;
    std::int64_t boot_s_ = 0;
    // State.
    Config config_, factory_;
    std::map<std::string, Config, std::less<>> backups_;
    Counters wan_ctr_, lan_ctr_, wlan_ctr_;
    double cpu_ = 12, mem_free_kb_ = 0;
    std::uint32_t mem_total_kb_ = 131072;
    std::vector<Proc> procs_;
    std::vector<Disk> disks_;
    std::deque<std::string> log_;
    HomeNetwork home_;
    std::vector<Subscription> subs_;
    std::uint64_t next_sub_ = 1, next_tx_ = 1, next_alert_ = 1;
    bool cpu_alert_ = false, mem_alert_ = false, disk_alert_ = false;
    // Lifecycle.
    bool forced_offline_ = false;
    std::optional<std::int64_t> down_until_;
    std::optional<std::pair<std::int64_t, Down>> down_at_;  // scheduled reboot or reset
    std::string down_reason_;
    std::optional<Upgrade> upgrade_;
    std::vector<cmp::Request> after_boot_;  // sent once registered again (upgrade results)
    std::vector<cmp::Request> held_;        // notifications waiting for registration
    std::string session_id_;
    std::uint32_t keepalive_s_ = 0;
    std::int64_t next_keepalive_s_ = 0;
    std::optional<std::int64_t> register_at_;  // retry of a refused registration
    std::int64_t register_backoff_ = 0;
    std::vector<cmp::Request> outbox_;
};

}  // namespace sim
