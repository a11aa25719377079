// GatewayModel handlers of the gateway-level HOMS -> gateway functions:
// identity, resources, network, time, operations, log and configuration.
#include <algorithm>
#include <cmath>

#include "examples/cmp-gateway-sim/gateway_model.hpp"
#include "examples/cmp-gateway-sim/sim_util.hpp"

namespace sim {
namespace {

using cmp::Record;
using cmp::Request;
using cmp::Response;
namespace rc = cmp::result_code;

std::string u64(double v) { return std::to_string(static_cast<std::uint64_t>(std::max(0.0, v))); }

bool valid_mask(std::uint32_t m) { return m != 0 && ((~m + 1) & ~m) == 0; }

bool supported_url(std::string_view url) {
    for (std::string_view scheme : {"http://", "https://", "ftp://", "tftp://"})
        if (url.rfind(scheme, 0) == 0 && url.size() > scheme.size()) return true;
    return false;
}

// "GMT+03:00", "UTC-5", "GMT" or a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3",
// whose sign is inverted); the offset east of UTC in seconds.
std::optional<int> parse_zone(std::string_view z) {
    if (z.empty() || z.size() > 64) return std::nullopt;
    bool posix = true;
    if (z.rfind("GMT", 0) == 0 || z.rfind("UTC", 0) == 0) {
        posix = false;
        z.remove_prefix(3);
        if (z.empty()) return 0;
    } else {
        std::size_t n = 0;
        while (n < z.size() && ((z[n] >= 'A' && z[n] <= 'Z') || (z[n] >= 'a' && z[n] <= 'z'))) ++n;
        if (n < 3) return std::nullopt;
        z.remove_prefix(n);
    }
    int sign = 1;
    if (!z.empty() && (z[0] == '+' || z[0] == '-')) {
        sign = z[0] == '-' ? -1 : 1;
        z.remove_prefix(1);
    }
    int h = 0, m = 0;
    auto [p, ec] = std::from_chars(z.data(), z.data() + z.size(), h);
    if (ec != std::errc() || h > 14) return std::nullopt;
    z.remove_prefix(static_cast<std::size_t>(p - z.data()));
    if (!z.empty() && z[0] == ':') {
        auto [q, ec2] = std::from_chars(z.data() + 1, z.data() + z.size(), m);
        if (ec2 != std::errc() || m > 59) return std::nullopt;
        z.remove_prefix(static_cast<std::size_t>(q - z.data()));
    }
    if (!posix && !z.empty()) return std::nullopt;
    if (posix && !z.empty() && z[0] != ',' && !(z[0] >= 'A' && z[0] <= 'Z')) return std::nullopt;
    int offset = sign * (h * 3600 + m * 60);
    return posix ? -offset : offset;
}

std::string local_time(std::int64_t utc, int offset) {
    std::string t = cmp::format_date_time(utc + offset);
    t.pop_back();  // 'Z'
    char buf[16];
    int a = std::abs(offset);
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    return t + buf;
}

bool valid_host(std::string_view h) {
    if (h.size() > 64) return false;
    for (char c : h)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == ':'))
            return false;
    return true;
}

}  // namespace

Response GatewayModel::get_rg_info(const Request& req) {
    Response r = cmp::make_response(req);
    r.fields.set("manufacturer", seed_.manufacturer).set("oui", seed_.oui).set("modelName", seed_.model_name);
    r.fields.set("productClass", seed_.product_class).set("serialNumber", serial_);
    r.fields.set("hwVersion", seed_.hw_version).set("swVersion", sw_version_);
    r.fields.set("upTime", std::to_string(up_time()));
    return r;
}

Response GatewayModel::get_cpu(const Request& req) {
    Response r = cmp::make_response(req);
    r.fields.set("cpuUsage", std::to_string(static_cast<int>(std::lround(cpu_))));
    std::vector<Record> procs;
    for (const auto& p : procs_) {
        Record rec;
        rec.set("pid", std::to_string(p.pid)).set("cmd", p.cmd).set("size", std::to_string(p.size_kb));
        rec.set("cpuTime", u64(p.cpu_ms)).set("state", p.weight * cpu_ > 40 ? "R" : "S");
        procs.push_back(std::move(rec));
    }
    r.fields.add_list("proc", std::move(procs));
    return r;
}

Response GatewayModel::get_mem(const Request& req) {
    Response r = cmp::make_response(req);
    r.fields.set("memTotal", std::to_string(mem_total_kb_)).set("memFree", u64(mem_free_kb_));
    return r;
}

Response GatewayModel::get_disk(const Request& req) {
    const std::string wanted = req.args.get("diskId");
    std::vector<Record> disks;
    for (const auto& d : disks_) {
        if (!wanted.empty() && d.name != wanted) continue;
        auto used = static_cast<std::uint32_t>(std::lround(d.used_mb));
        Record rec;
        rec.set("name", d.name).set("totalMB", std::to_string(d.total_mb)).set("usedMB", std::to_string(used));
        rec.set("freeMB", std::to_string(d.total_mb - used)).set("fsType", d.fs).set("status", "mounted");
        disks.push_back(std::move(rec));
    }
    if (disks.empty()) return fail(req, rc::resource_unavailable, "no disk named " + wanted);
    Response r = cmp::make_response(req);
    r.fields.add_list("disk", std::move(disks));
    return r;
}

Response GatewayModel::get_net(const Request& req) {
    const Wan& w = config_.wan;
    Record wan;
    wan.set("type", w.type).set("status", w.status).set("ipAddr", w.ip).set("mask", w.mask);
    wan.set("gateway", w.gateway).set("dns", w.dns).set("mac", w.mac);
    wan.set("upTime", std::to_string(w.status == "Connected" ? now_s_ - w.up_since : 0));
    const Lan& l = config_.lan;
    Record lan;
    lan.set("ipAddr", l.ip).set("mask", l.mask).set("dhcpEnable", l.dhcp_enable ? "true" : "false");
    lan.set("dhcpMin", l.dhcp_min).set("dhcpMax", l.dhcp_max).set("leaseTime", std::to_string(l.lease_time));
    Response r = cmp::make_response(req);
    r.fields.add_list("wan", {wan}).add_list("lan", {lan});
    return r;
}

Response GatewayModel::set_net(const Request& req) {
    Config next = config_;
    const auto* wans = req.args.list("wan");
    const auto* lans = req.args.list("lan");
    if ((wans && wans->size() > 1) || (lans && lans->size() > 1))
        return fail(req, rc::invalid_argument, "this gateway has one WAN connection and one LAN");
    auto address = [&](const Record& rec, const char* field, std::string& out, bool mask) -> std::string {
        const std::string* v = rec.scalar(field);
        if (!v) return {};
        std::uint32_t a = parse_ipv4(*v);
        if (!a || (mask && !valid_mask(a))) return std::string(field) + ": '" + *v + "' is not a valid " +
                                                    (mask ? "subnet mask" : "IPv4 address");
        out = *v;
        return {};
    };
    bool wan_changed = false;
    if (wans && !wans->empty()) {
        const Record& w = (*wans)[0];
        if (const std::string* t = w.scalar("type")) {
            if (*t != "DHCP" && *t != "Static" && *t != "PPPoE")
                return fail(req, rc::invalid_argument, "wan[0].type must be DHCP, Static or PPPoE");
            next.wan.type = *t;
        }
        // Read-only values may be echoed from getRgNetInfo but not changed; upTime is ignored.
        for (auto [field, current] : {std::pair{"status", config_.wan.status}, std::pair{"mac", config_.wan.mac}})
            if (const std::string* v = w.scalar(field); v && *v != current)
                return fail(req, rc::invalid_argument, std::string("wan[0].") + field + " is read-only");
        for (auto [field, out, mask] : {std::tuple{"ipAddr", &next.wan.ip, false},
                                        std::tuple{"mask", &next.wan.mask, true},
                                        std::tuple{"gateway", &next.wan.gateway, false}})
            if (auto e = address(w, field, *out, mask); !e.empty()) return fail(req, rc::invalid_argument, "wan[0]." + e);
        if (const std::string* dns = w.scalar("dns")) {
            std::size_t count = 0, pos = 0;
            while (!dns->empty() && pos != std::string::npos) {
                std::size_t comma = dns->find(',', pos);
                std::string one = dns->substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
                one.erase(std::remove(one.begin(), one.end(), ' '), one.end());
                if (!parse_ipv4(one) || ++count > 3)
                    return fail(req, rc::invalid_argument, "wan[0].dns: up to 3 comma-separated IPv4 addresses");
                pos = comma == std::string::npos ? comma : comma + 1;
            }
            next.wan.dns = *dns;
        }
        wan_changed = next.wan.type != config_.wan.type || next.wan.ip != config_.wan.ip ||
                      next.wan.mask != config_.wan.mask || next.wan.gateway != config_.wan.gateway;
    }
    if (lans && !lans->empty()) {
        const Record& l = (*lans)[0];
        for (auto [field, out, mask] : {std::tuple{"ipAddr", &next.lan.ip, false}, std::tuple{"mask", &next.lan.mask, true},
                                        std::tuple{"dhcpMin", &next.lan.dhcp_min, false},
                                        std::tuple{"dhcpMax", &next.lan.dhcp_max, false}})
            if (auto e = address(l, field, *out, mask); !e.empty()) return fail(req, rc::invalid_argument, "lan[0]." + e);
        if (const std::string* v = l.scalar("dhcpEnable")) next.lan.dhcp_enable = *v == "true" || *v == "1";
        if (const std::string* v = l.scalar("leaseTime")) {
            unsigned long t = std::stoul(*v);  // catalogue-validated unsignedInt
            if (t < 60) return fail(req, rc::invalid_argument, "lan[0].leaseTime must be at least 60 s");
            next.lan.lease_time = static_cast<std::uint32_t>(t);
        }
        const std::uint32_t ip = parse_ipv4(next.lan.ip), mask = parse_ipv4(next.lan.mask);
        const std::uint32_t lo = parse_ipv4(next.lan.dhcp_min), hi = parse_ipv4(next.lan.dhcp_max);
        if ((lo & mask) != (ip & mask) || (hi & mask) != (ip & mask) || lo > hi)
            return fail(req, rc::invalid_argument, "lan[0]: the DHCP pool must lie in the LAN subnet, min <= max");
        if (ip >= lo && ip <= hi) return fail(req, rc::invalid_argument, "lan[0]: the gateway address is in the pool");
    }
    if (wan_changed) {
        next.wan.status = "Connecting";
        next.wan.up_since = now_s_ + 3;  // reconnects with the new settings
    }
    config_ = std::move(next);
    log("user.notice", "cmpagent: network configuration changed");
    return cmp::make_response(req);
}

Response GatewayModel::get_traffic(const Request& req) {
    std::string name = req.args.get("ifName", "WAN");
    std::transform(name.begin(), name.end(), name.begin(), [](char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
    const Counters* c = name == "WAN" ? &wan_ctr_ : name == "LAN" ? &lan_ctr_ : name == "WLAN" ? &wlan_ctr_ : nullptr;
    if (!c) return fail(req, rc::invalid_argument, "ifName must be WAN, LAN or WLAN");
    Response r = cmp::make_response(req);
    r.fields.set("bytesSent", u64(c->bytes_sent)).set("bytesRcvd", u64(c->bytes_rcvd));
    r.fields.set("pktsSent", u64(c->pkts_sent)).set("pktsRcvd", u64(c->pkts_rcvd));
    return r;
}

Response GatewayModel::get_time(const Request& req) {
    Response r = cmp::make_response(req);
    for (int i = 0; i < 5; ++i) r.fields.set("ntpServer" + std::to_string(i + 1), config_.time.ntp[i]);
    r.fields.set("localTimeZone", config_.time.zone);
    r.fields.set("currentLocalTime", local_time(wall_start_ + now_s_, parse_zone(config_.time.zone).value_or(0)));
    return r;
}

Response GatewayModel::set_time(const Request& req) {
    TimeCfg next = config_.time;
    for (int i = 0; i < 5; ++i) {
        const std::string field = "ntpServer" + std::to_string(i + 1);
        if (const std::string* v = req.args.scalar(field)) {
            if (!valid_host(*v)) return fail(req, rc::invalid_argument, field + ": not a host name or address");
            next.ntp[i] = *v;
        }
    }
    if (const std::string* z = req.args.scalar("localTimeZone")) {
        if (!parse_zone(*z)) return fail(req, rc::invalid_argument, "localTimeZone: '" + *z + "' is not understood");
        next.zone = *z;
    }
    config_.time = std::move(next);
    log("user.notice", "cmpagent: time configuration changed");
    return cmp::make_response(req);
}

Response GatewayModel::reboot(const Request& req) {
    if (upgrade_) return fail(req, rc::busy, "firmware upgrade in progress");
    std::int64_t at = now_s_ + std::stoll(req.args.get("delaySec", "0"));
    if (!down_at_ || at < down_at_->first) down_at_ = {at, Down::reboot};
    down_reason_ = "reboot";
    log("user.notice", "cmpagent: reboot requested");
    return cmp::make_response(req);
}

Response GatewayModel::reset(const Request& req) {
    if (upgrade_) return fail(req, rc::busy, "firmware upgrade in progress");
    down_at_ = {now_s_, Down::reset};
    down_reason_ = "reset";
    log("user.notice", "cmpagent: factory reset requested");
    return cmp::make_response(req);
}

Response GatewayModel::upgrade(const Request& req) {
    if (upgrade_ || down_at_) return fail(req, rc::busy, "an upgrade or reboot is already scheduled");
    const std::string url = req.args.get("fwUrl");
    if (!supported_url(url)) return fail(req, rc::invalid_argument, "fwUrl: unsupported URL scheme");
    std::string version = req.args.get("fwVersion");
    if (version.empty()) {
        // TR-069 Download names no version (mappings pass TargetFileName, often
        // empty): like many agents, take it from the image's file name.
        std::string name = url.substr(0, url.find_first_of("?#"));
        name = name.substr(name.find_last_of('/') + 1);
        version = name.substr(0, name.rfind('.'));
    }
    if (version.empty()) return fail(req, rc::invalid_argument, "fwVersion is empty and the URL names no file");
    Upgrade u;
    u.version = version;
    u.start_s = now_s_ + std::stoll(req.args.get("delaySec", "0"));
    u.done_s = u.start_s + options_.upgrade_duration.count();
    u.outcome = url.find("unreachable") != std::string::npos ? rc::transfer_failed
                : url.find("corrupt") != std::string::npos   ? rc::upgrade_failed
                                                             : rc::success;
    u.start_time = cmp::format_date_time(wall_start_ + u.start_s);
    upgrade_ = std::move(u);
    log("user.notice", "cmpagent: firmware upgrade to " + version + " scheduled");  // never the password
    return cmp::make_response(req);
}

Response GatewayModel::get_log(const Request& req) {
    std::string text;
    for (const auto& line : log_) text.append(line).append("\n");
    Response r = cmp::make_response(req);
    r.fields.set("logText", std::move(text));
    return r;
}

Response GatewayModel::backup(const Request& req) {
    const std::string url = req.args.get("url");
    if (!supported_url(url)) return fail(req, rc::invalid_argument, "url: unsupported URL scheme");
    if (url.find("unreachable") != std::string::npos) return fail(req, rc::transfer_failed, "upload failed");
    backups_[url] = config_;
    log("user.notice", "cmpagent: configuration uploaded to " + url);
    return cmp::make_response(req);
}

Response GatewayModel::restore(const Request& req) {
    if (upgrade_) return fail(req, rc::busy, "firmware upgrade in progress");
    const std::string url = req.args.get("url");
    if (!supported_url(url)) return fail(req, rc::invalid_argument, "url: unsupported URL scheme");
    auto it = backups_.find(url);
    if (it == backups_.end() || url.find("unreachable") != std::string::npos)
        return fail(req, rc::transfer_failed, "no configuration file at " + url);
    config_ = it->second;
    down_at_ = {now_s_, Down::reboot};
    down_reason_ = "restore";
    log("user.notice", "cmpagent: configuration restored from " + url + ", rebooting");
    return cmp::make_response(req);
}

}  // namespace sim
