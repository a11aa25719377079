// GatewayModel: construction, the simulated clock, lifecycle (reboot, reset,
// upgrade, registration) and the gateway -> HOMS outbox. The HOMS -> gateway
// handlers live in model_handlers.cpp and home_handlers.cpp.
#include "examples/cmp-gateway-sim/gateway_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "examples/cmp-gateway-sim/sim_util.hpp"

namespace sim {
namespace {

std::mt19937 engine(std::uint64_t seed) {
    std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
    return std::mt19937(seq);
}

double uniform(std::mt19937& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
double normal(std::mt19937& rng, double sd) { return std::normal_distribution<double>(0.0, sd)(rng); }

constexpr std::size_t kLogLines = 300;
constexpr std::size_t kHeldMax = 256;

}  // namespace

GatewayModel::GatewayModel(std::string gateway_id, Clock::time_point start, ModelOptions options, Seed seed)
    : id_(std::move(gateway_id)),
      options_(std::move(options)),
      seed_(std::move(seed)),
      start_(start),
      world_(engine(fnv1a64(id_))),
      faults_(engine(fnv1a64(id_ + "#faults"))),
      salt_(fnv1a64(id_)),
      home_(seed_.hosts, seed_.lan_ip, seed_.dhcp_min, seed_.dhcp_max, salt_) {
    wall_start_ = options_.wall_start == std::chrono::system_clock::time_point{}
                      ? cmp::parse_date_time(seed_.current_time).value_or(1376673282)
                      : std::chrono::duration_cast<std::chrono::seconds>(options_.wall_start.time_since_epoch()).count();

    // Identity: ids such as GW-0001 keep their number, so serials, addresses and
    // MACs are distinct for every gateway of a series.
    std::size_t k = id_.size();
    while (k > 0 && id_[k - 1] >= '0' && id_[k - 1] <= '9' && id_.size() - k < 18) --k;
    const std::uint64_t prefix_hash = fnv1a64(std::string_view(id_).substr(0, k));
    const std::uint64_t number = k < id_.size() ? std::stoull(id_.substr(k)) : salt_;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%03llu%07llu", static_cast<unsigned long long>(prefix_hash % 1000),
                  static_cast<unsigned long long>(number % 10000000));
    serial_ = seed_.serial_prefix + buf;
    sw_version_ = seed_.sw_version;
    boot_s_ = -static_cast<std::int64_t>(seed_.up_time);

    std::uint32_t base = parse_ipv4(seed_.wan_ip) & 0xFFFF0000u;
    if (!base) base = parse_ipv4("172.3.0.0");
    std::uint32_t wan_ip = base | static_cast<std::uint32_t>((number / 254) % 256) << 8 |
                           static_cast<std::uint32_t>(1 + number % 254);
    std::uint32_t low = static_cast<std::uint32_t>(((number * 0x9E3779B1ull) ^ prefix_hash) & 0xFFFFFF);
    std::snprintf(buf, sizeof buf, "%.2s:%.2s:%.2s:%02X:%02X:%02X", seed_.oui.c_str(),
                  seed_.oui.size() >= 4 ? seed_.oui.c_str() + 2 : "00", seed_.oui.size() >= 6 ? seed_.oui.c_str() + 4 : "00",
                  low >> 16, (low >> 8) & 0xFF, low & 0xFF);

    Config& c = config_;
    c.wan = {seed_.wan_type, seed_.wan_status, format_ipv4(wan_ip), seed_.wan_mask, seed_.wan_gateway,
             seed_.wan_dns, buf, -static_cast<std::int64_t>(seed_.wan_up_time)};
    c.lan = {seed_.lan_ip, seed_.lan_mask, seed_.dhcp_min, seed_.dhcp_max, seed_.dhcp_enable, seed_.lease_time};
    c.time = {seed_.ntp, seed_.time_zone};
    factory_ = config_;
    if (options_.ctrl_url.empty()) options_.ctrl_url = "http://" + c.wan.ip + ":7548/cmp";

    auto counters = [](const std::array<std::uint64_t, 4>& a) {
        return Counters{double(a[0]), double(a[1]), double(a[2]), double(a[3])};
    };
    wan_ctr_ = counters(seed_.wan_counters);
    lan_ctr_ = counters(seed_.lan_counters);
    wlan_ctr_ = counters(seed_.wlan_counters);
    mem_free_kb_ = mem_total_kb_ * uniform(world_, 0.35, 0.55);
    cpu_ = uniform(world_, 5, 20);
    procs_ = {{1, "init", 412, 0.2},       {187, "syslogd", 288, 0.3},  {192, "klogd", 264, 0.1},
              {230, "wimaxd", 3120, 3.0},  {251, "dnsmasq", 892, 0.8},  {263, "dropbear", 540, 0.2},
              {278, "httpd", 1460, 0.6},   {290, "cmpagent", 2210, 1.2}, {305, "upnpd", 1024, 0.7},
              {318, "igmpproxy", 380, 0.3}, {331, "hostapd", 1780, 1.5}, {344, "ntpd", 420, 0.1}};
    for (auto& p : procs_) p.cpu_ms = seed_.up_time * 10.0 * p.weight;
    disks_ = {{"flash0", "jffs2", 64, uniform(world_, 18, 26)},
              {"usb1", "vfat", 29806, uniform(world_, 4000, 16000)}};
    log("kern.notice", "kernel: Linux version 2.6.36 (" + seed_.model_name + ") boot complete");
    log("daemon.info", "cmpagent: started, serial " + serial_ + ", firmware " + sw_version_);
}

std::chrono::system_clock::time_point GatewayModel::wall_now() const {
    return std::chrono::system_clock::time_point(std::chrono::seconds(wall_start_ + now_s_));
}

std::string GatewayModel::now_text() const { return cmp::format_date_time(wall_start_ + now_s_); }

void GatewayModel::advance_to(Clock::time_point now) {
    const auto target = std::chrono::duration_cast<std::chrono::seconds>(now - start_).count();
    while (now_s_ < target) tick();
}

void GatewayModel::log(const std::string& facility, const std::string& text) {
    log_.push_back(now_text() + " " + facility + " " + text);
    if (log_.size() > kLogLines) log_.pop_front();
}

cmp::Request GatewayModel::outgoing(std::string function) {
    cmp::Request r;
    r.header = {id_, id_ + "-" + std::to_string(next_tx_++), now_text()};
    r.function = std::move(function);
    return r;
}

void GatewayModel::emit(cmp::Request req) {
    if (registered()) {
        push(std::move(req));
        return;
    }
    held_.push_back(std::move(req));
    if (held_.size() > kHeldMax) held_.erase(held_.begin());
}

std::vector<cmp::Request> GatewayModel::take_outbox() {
    std::vector<cmp::Request> out;
    out.swap(outbox_);
    return out;
}

cmp::Request GatewayModel::make_registration() {
    cmp::Request r = outgoing("regRg");
    r.args.set("rgId", id_).set("manufacturer", seed_.manufacturer).set("oui", seed_.oui);
    r.args.set("modelName", seed_.model_name).set("productClass", seed_.product_class);
    r.args.set("serialNumber", serial_).set("hwVersion", seed_.hw_version).set("swVersion", sw_version_);
    r.args.set("rgIpAddr", config_.wan.ip).set("rgCtrlUrl", options_.ctrl_url);
    return r;
}

void GatewayModel::on_response(const cmp::Response& resp) {
    if (resp.function == "regRg" && resp.ok()) {
        session_id_ = resp.fields.get("sessionId");
        std::uint32_t intv = 300;
        if (const std::string* s = resp.fields.scalar("keepAliveIntv")) {
            try {
                intv = static_cast<std::uint32_t>(std::stoul(*s));
            } catch (const std::exception&) {
            }
        }
        keepalive_s_ = std::max<std::uint32_t>(intv, 10);
        next_keepalive_s_ = now_s_ + keepalive_s_;
        register_at_.reset();
        register_backoff_ = 0;
        cmp::Request auth = outgoing("authRg");
        auth.args.set("rgId", id_).set("sessionId", session_id_);
        auth.args.set("authDigest", cmp::auth_digest(options_.secret, resp.fields.get("nonce"), id_, session_id_));
        push(std::move(auth));
        // Held notifications go out now, stamped with the time they are sent.
        for (auto* queue : {&after_boot_, &held_}) {
            for (auto& m : *queue) {
                m.header.time_stamp = now_text();
                push(std::move(m));
            }
            queue->clear();
        }
        log("daemon.info", "cmpagent: registered, session " + session_id_);
        return;
    }
    if (resp.function == "regRg" || resp.result_code == cmp::result_code::unauthorized) {
        // Refused registration or lost session: register again, backing off 10 s .. 10 min.
        session_id_.clear();
        register_backoff_ = std::clamp<std::int64_t>(register_backoff_ * 2, 10, 600);
        register_at_ = now_s_ + register_backoff_;
        log("daemon.warn", "cmpagent: " + resp.function + " refused (" + std::to_string(resp.result_code) +
                               "), registering again in " + std::to_string(register_backoff_) + " s");
    }
}

void GatewayModel::go_down(Down kind, const std::string& reason) {
    if (registered()) {
        cmp::Request bye = outgoing("deregRg");
        bye.args.set("rgId", id_).set("reason", reason);
        push(std::move(bye));
    }
    session_id_.clear();
    subs_.clear();
    held_.clear();
    register_at_.reset();
    if (kind == Down::reset) {
        config_ = factory_;
        log("user.notice", "cmpagent: factory reset");
    }
    log("kern.notice", "system is going down (" + reason + ")");
    down_until_ = now_s_ + options_.reboot_duration.count();
}

void GatewayModel::boot() {
    down_until_.reset();
    boot_s_ = now_s_;
    config_.wan.status = "Connected";
    config_.wan.up_since = now_s_;
    wan_ctr_ = lan_ctr_ = wlan_ctr_ = Counters{};
    for (auto& p : procs_) p.cpu_ms = 0;
    cpu_ = 75;  // services starting
    cpu_alert_ = mem_alert_ = disk_alert_ = false;
    log("kern.notice", "kernel: Linux version 2.6.36 (" + seed_.model_name + ") boot complete");
    log("daemon.info", "cmpagent: started, firmware " + sw_version_);
    push(make_registration());
}

void GatewayModel::publish(const std::vector<Change>& changes) {
    for (const Change& c : changes) {
        const HomeDevice& d = home_.devices()[c.device];
        if (c.kind == Change::Kind::join) {
            cmp::Request n = outgoing("notifyHomeDevJoin");
            n.args.set("devId", d.dev_id).set("deviceType", d.device_type);
            if (!d.desc_url.empty()) n.args.set("descUrl", d.desc_url);
            emit(std::move(n));
            log("daemon.info", "dnsmasq-dhcp: DHCPACK(br0) " + d.ip + " " + d.mac + " " + d.friendly_name);
        } else if (c.kind == Change::Kind::leave) {
            cmp::Request n = outgoing("notifyHomeDevLeave");
            n.args.set("devId", d.dev_id);
            emit(std::move(n));
            std::erase_if(subs_, [&](const Subscription& s) { return s.dev_id == d.dev_id; });
            log("daemon.info", "hostapd: wlan0: STA " + d.mac + " disassociated");
        }
    }
    // One event per subscription per batch, with every matching variable.
    for (Subscription& s : subs_) {
        std::vector<cmp::Record> vars;
        for (const Change& c : changes) {
            if (c.kind != Change::Kind::var || home_.devices()[c.device].dev_id != s.dev_id || c.service_id != s.service_id)
                continue;
            bool wanted = s.vars.empty() ? true : std::find(s.vars.begin(), s.vars.end(), c.var) != s.vars.end();
            Service* svc = home_.devices()[c.device].service(c.service_id);
            if (!wanted || !svc || !svc->var(c.var) || !svc->var(c.var)->evented) continue;
            cmp::Record v;
            v.set("name", c.var).set("value", c.value);
            vars.push_back(std::move(v));
        }
        if (vars.empty()) continue;
        cmp::Request n = outgoing("notifyHomeDevEvent");
        n.args.set("eventId", s.id).set("devId", s.dev_id).add_list("var", std::move(vars));
        n.args.set("seq", std::to_string(++s.seq));
        emit(std::move(n));
    }
}

void GatewayModel::tick() {
    ++now_s_;
    if (down_until_) {
        if (now_s_ >= *down_until_) boot();
        return;
    }
    if (down_at_ && now_s_ >= down_at_->first) {
        Down kind = down_at_->second;
        down_at_.reset();
        go_down(kind, down_reason_);
        return;
    }
    if (upgrade_ && now_s_ == upgrade_->start_s) log("daemon.info", "upgrade: downloading " + upgrade_->version);
    if (upgrade_ && now_s_ >= upgrade_->done_s) {
        Upgrade u = std::move(*upgrade_);
        upgrade_.reset();
        cmp::Request n = outgoing("notifyRgUpgradeResult");
        n.args.set("fwVersion", u.outcome == 0 ? u.version : sw_version_);
        n.args.set("resultCode", std::to_string(u.outcome)).set("startTime", u.start_time).set("completeTime", now_text());
        if (u.outcome == 0) {
            sw_version_ = u.version;
            log("daemon.notice", "upgrade: image " + u.version + " written, rebooting");
            after_boot_.push_back(std::move(n));
            go_down(Down::reboot, "upgrade");
            return;
        }
        log("daemon.err", "upgrade: failed with " + std::string(cmp::result_code_name(u.outcome)));
        emit(std::move(n));
    }
    if (register_at_ && now_s_ >= *register_at_ && !forced_offline_) {
        register_at_.reset();
        push(make_registration());
    }

    // Living values: mean-reverting random walks, busier right after boot.
    const double base = now_s_ - boot_s_ < 90 ? 70 : 12;
    cpu_ = std::clamp(cpu_ + normal(world_, 2.5) + 0.08 * (base - cpu_), 1.0, 100.0);
    const double target_free = mem_total_kb_ * 0.45;
    mem_free_kb_ = std::clamp(mem_free_kb_ + normal(world_, 200) + 0.01 * (target_free - mem_free_kb_),
                              mem_total_kb_ * 0.05, mem_total_kb_ * 0.8);
    double weights = 0;
    for (const auto& p : procs_) weights += p.weight;
    for (auto& p : procs_) p.cpu_ms += cpu_ * 10.0 * p.weight / weights;
    std::size_t active = 0;
    for (const auto& d : home_.devices()) active += d.active;
    if (config_.wan.status == "Connecting" && now_s_ >= config_.wan.up_since) config_.wan.status = "Connected";
    if (config_.wan.status == "Connected") {
        double down = std::max(0.0, 30000 + normal(world_, 15000)) * (0.3 + active / 6.0);
        double up = down * uniform(world_, 0.1, 0.3);
        // Downstream traffic leaves the gateway on the LAN side (70 % over Wi-Fi), and vice versa.
        auto add = [](Counters& c, double sent, double rcvd) {
            c.bytes_sent += sent;
            c.bytes_rcvd += rcvd;
            c.pkts_sent += std::ceil(sent / 1200);
            c.pkts_rcvd += std::ceil(rcvd / 400);
        };
        add(wan_ctr_, up, down);
        add(wlan_ctr_, down * 0.7, up * 0.7);
        add(lan_ctr_, down * 0.3, up * 0.3);
    }
    Disk& flash = disks_[0];
    flash.used_mb += 0.00002;  // logs and statistics
    if (flash.used_mb > flash.total_mb * 0.97) flash.used_mb = flash.total_mb * 0.35;  // logrotate
    if (uniform(world_, 0, 1) < 1.0 / 600) disks_[1].used_mb = std::min(disks_[1].used_mb + uniform(world_, 1, 200),
                                                                      disks_[1].total_mb - 100.0);

    publish(home_.tick(world_, options_.lan));
    std::erase_if(subs_, [&](const Subscription& s) { return s.expires_s && now_s_ >= s.expires_s; });

    // Threshold alerts, with hysteresis so a value hovering at the line does not flood HOMS.
    auto alert = [&](const char* type, double value, double threshold, bool& raised) {
        if (!raised && value >= threshold) {
            raised = true;
            cmp::Request n = outgoing("notifyRgRscAlert");
            n.args.set("rscType", type).set("value", std::to_string(static_cast<int>(value)));
            n.args.set("threshold", std::to_string(static_cast<int>(threshold))).set("time", now_text());
            emit(std::move(n));
            log("daemon.warn", std::string("monitor: ") + type + " usage " + std::to_string(int(value)) + "%");
        } else if (raised && value < threshold - 10) {
            raised = false;
        }
    };
    alert("cpu", cpu_, 90, cpu_alert_);
    alert("mem", 100.0 - mem_free_kb_ * 100.0 / mem_total_kb_, 90, mem_alert_);
    alert("disk", flash.used_mb * 100.0 / flash.total_mb, 95, disk_alert_);
    if (uniform(world_, 0, 1) < options_.sec_alerts_per_day / 86400.0) {
        bool login = uniform(world_, 0, 1) < 0.7;
        std::string source = std::to_string(int(uniform(world_, 11, 223))) + "." + std::to_string(int(uniform(world_, 0, 255))) +
                             "." + std::to_string(int(uniform(world_, 0, 255))) + "." + std::to_string(int(uniform(world_, 1, 254)));
        cmp::Request n = outgoing("notifyRgSecAlert");
        n.args.set("alertId", id_ + "-sec-" + std::to_string(next_alert_++));
        n.args.set("alertType", login ? "loginFailure" : "portScan").set("severity", login ? "minor" : "major");
        n.args.set("source", source).set("time", now_text());
        n.args.set("text", login ? "3 failed telnet logins from " + source : "TCP port scan from " + source);
        log("auth.warn", n.args.get("text"));
        emit(std::move(n));
    }
    if (registered() && now_s_ >= next_keepalive_s_) {
        next_keepalive_s_ = now_s_ + keepalive_s_;
        cmp::Request k = outgoing("keepAliveRg");
        k.args.set("rgId", id_).set("sessionId", session_id_).set("upTime", std::to_string(up_time()));
        push(std::move(k));
    }
}

std::string GatewayModel::force_join() {
    std::size_t i = home_.add_host(world_);
    publish({Change{Change::Kind::join, i, {}, {}, {}}});
    return home_.devices()[i].dev_id;
}

std::optional<std::string> GatewayModel::force_leave(std::string_view dev_id) {
    auto i = home_.leave(dev_id);
    if (!i) return std::nullopt;
    publish({Change{Change::Kind::leave, *i, {}, {}, {}}});
    return home_.devices()[*i].dev_id;
}

void GatewayModel::reboot_now() {
    if (!online()) return;
    down_at_.reset();
    go_down(Down::reboot, "reboot");
}

bool GatewayModel::raise_alert(std::string_view kind) {
    if (kind == "sec") {
        cmp::Request n = outgoing("notifyRgSecAlert");
        n.args.set("alertId", id_ + "-sec-" + std::to_string(next_alert_++));
        n.args.set("alertType", "loginFailure").set("severity", "minor").set("source", "198.51.100.23");
        n.args.set("time", now_text()).set("text", "3 failed telnet logins from 198.51.100.23");
        log("auth.warn", n.args.get("text"));
        emit(std::move(n));
        return true;
    }
    if (kind != "cpu" && kind != "mem" && kind != "disk") return false;
    cmp::Request n = outgoing("notifyRgRscAlert");
    n.args.set("rscType", std::string(kind)).set("value", "97").set("threshold", "90").set("time", now_text());
    log("daemon.warn", "monitor: " + std::string(kind) + " usage 97%");
    emit(std::move(n));
    return true;
}

void GatewayModel::keepalive_now() {
    if (!registered()) return;
    next_keepalive_s_ = now_s_ + keepalive_s_;
    cmp::Request k = outgoing("keepAliveRg");
    k.args.set("rgId", id_).set("sessionId", session_id_).set("upTime", std::to_string(up_time()));
    push(std::move(k));
}

cmp::Response GatewayModel::handle(const cmp::Request& req) {
    auto answer = [&](int code, std::string msg) {
        cmp::Response r = cmp::make_response(req, code, std::move(msg));
        r.header.rg_id = id_;
        r.header.time_stamp = now_text();
        return r;
    };
    if (!online()) return answer(cmp::result_code::busy, "gateway offline");
    if (options_.fail_rate > 0 && uniform(faults_, 0, 1) < options_.fail_rate) {
        bool busy = faults_() & 1;
        return answer(busy ? cmp::result_code::busy : cmp::result_code::general_failure,
                      busy ? "agent busy, retry later" : "internal error (injected)");
    }
    if (req.header.rg_id != id_) return answer(cmp::result_code::unauthorized, "this is " + id_);
    const auto& cat = cmp::Catalogue::builtin();
    const cmp::FunctionSpec* spec = cat.find(req.function);
    if (!spec || spec->direction != cmp::Direction::to_gateway)
        return answer(cmp::result_code::unknown_function, "unknown function " + req.function);
    if (auto st = cat.validate(req); !st) return answer(cmp::result_code_for(st.error()), st.error().message);
    auto it = handlers().find(req.function);
    if (it == handlers().end()) return answer(cmp::result_code::not_supported, req.function + " not supported");
    cmp::Response r = (this->*(it->second))(req);
    r.function = req.function;
    r.header = {id_, req.header.transaction_id, now_text()};
    return r;
}

const std::map<std::string, GatewayModel::Handler, std::less<>>& GatewayModel::handlers() {
    static const std::map<std::string, Handler, std::less<>> table = {
        {"getRgInfo", &GatewayModel::get_rg_info},     {"getRgCpuRsc", &GatewayModel::get_cpu},
        {"getRgMemRsc", &GatewayModel::get_mem},       {"getRgDiskRsc", &GatewayModel::get_disk},
        {"getRgNetInfo", &GatewayModel::get_net},      {"setRgNetInfo", &GatewayModel::set_net},
        {"getRgTrafficInfo", &GatewayModel::get_traffic}, {"getRgTime", &GatewayModel::get_time},
        {"setRgTime", &GatewayModel::set_time},        {"rebootRg", &GatewayModel::reboot},
        {"resetRg", &GatewayModel::reset},             {"upgradeRgFirmware", &GatewayModel::upgrade},
        {"getRgLog", &GatewayModel::get_log},          {"backupRgConfig", &GatewayModel::backup},
        {"restoreRgConfig", &GatewayModel::restore},   {"getHomeDevList", &GatewayModel::dev_list},
        {"getHomeDevDescUrl", &GatewayModel::dev_desc}, {"ctrlHomeDev", &GatewayModel::dev_ctrl},
        {"getHomeDevState", &GatewayModel::dev_state}, {"applyHomeDevEvent", &GatewayModel::dev_subscribe},
        {"releaseHomeDevEvent", &GatewayModel::dev_unsubscribe}};
    return table;
}

}  // namespace sim
