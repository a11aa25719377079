#include "bridge/cmp/catalogue.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>

namespace cmp {

std::string_view to_string(Direction d) {
    return d == Direction::to_gateway ? "HOMS -> gateway" : "gateway -> HOMS";
}

std::string_view to_string(Type t) {
    switch (t) {
        case Type::String: return "string";
        case Type::Int: return "int";
        case Type::UnsignedInt: return "unsignedInt";
        case Type::UnsignedLong: return "unsignedLong";
        case Type::Boolean: return "boolean";
        case Type::DateTime: return "dateTime";
        case Type::List: return "list";
    }
    return "?";
}

const FieldSpec* find_field(const std::vector<FieldSpec>& specs, std::string_view name) {
    for (const auto& s : specs)
        if (s.name == name) return &s;
    return nullptr;
}

const FieldSpec* FunctionSpec::request_field(std::string_view n) const { return find_field(request, n); }
const FieldSpec* FunctionSpec::response_field(std::string_view n) const { return find_field(response, n); }

namespace {

std::string_view trim_ws(std::string_view s) {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
    const bool plus = !s.empty() && s.front() == '+';  // xsd allows one leading sign
    if (plus) s.remove_prefix(1);
    if (s.empty() || s.front() == '+' || (plus && s.front() == '-')) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool valid_lexical(Type type, std::string_view value) {
    switch (type) {
        case Type::String:
            // Characters XML 1.0 cannot carry at all; the encoder would have to alter them.
            for (char c : value) {
                auto u = static_cast<unsigned char>(c);
                if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') return false;
            }
            return true;
        case Type::Int: {
            std::int32_t v;
            return parse_number(trim_ws(value), v);
        }
        case Type::UnsignedInt: {
            std::uint32_t v;
            return parse_number(trim_ws(value), v);
        }
        case Type::UnsignedLong: {
            std::uint64_t v;
            return parse_number(trim_ws(value), v);
        }
        case Type::Boolean: {
            auto v = trim_ws(value);
            return v == "true" || v == "false" || v == "1" || v == "0";
        }
        case Type::DateTime: return parse_date_time(trim_ws(value)).has_value();
        case Type::List: return false;
    }
    return false;
}

namespace {

core::Error err(std::string code, std::string msg) { return core::make_error(std::move(code), std::move(msg)); }

core::Status check_record(const std::vector<FieldSpec>& specs, const Record& rec, const std::string& path,
                          bool enforce_required) {
    std::set<std::string_view> seen;
    for (const Field& f : rec.fields) {
        std::string where = path + "." + f.name;
        if (!seen.insert(f.name).second) return err("cmp.duplicate_field", where + ": field appears twice");
        const FieldSpec* spec = find_field(specs, f.name);
        if (!spec) return err("cmp.unknown_field", where + ": unknown field");
        if (spec->type == Type::List) {
            const auto* items = std::get_if<std::vector<Record>>(&f.value);
            if (!items) return err("cmp.bad_type", where + ": expected a list, got a scalar");
            for (std::size_t i = 0; i < items->size(); ++i) {
                auto st = check_record(spec->item_fields, (*items)[i], where + "[" + std::to_string(i) + "]",
                                       true);
                if (!st) return st;
            }
            continue;
        }
        const auto* text = std::get_if<std::string>(&f.value);
        if (!text) return err("cmp.bad_type", where + ": expected " + std::string(to_string(spec->type)) +
                                                  ", got a list");
        if (!valid_lexical(spec->type, *text)) {
            std::string shown = spec->sensitive ? std::string("(hidden)") : "'" + text->substr(0, 64) + "'";
            if (spec->type == Type::String)
                return err("cmp.bad_type", where + ": contains a character XML cannot carry");
            return err("cmp.bad_type", where + ": " + shown + " is not a valid " +
                                           std::string(to_string(spec->type)));
        }
    }
    if (enforce_required) {
        for (const FieldSpec& s : specs)
            if (s.required && !rec.has(s.name))
                return err("cmp.missing_field", path + "." + s.name + ": required field is missing");
    }
    return core::Ok{};
}

void check_specs(const std::vector<FieldSpec>& specs, const std::string& where) {
    std::set<std::string_view> names;
    for (const auto& s : specs) {
        if (!is_valid_name(s.name)) throw std::invalid_argument(where + ": invalid field name '" + s.name + "'");
        if (!names.insert(s.name).second) throw std::invalid_argument(where + ": duplicate field " + s.name);
        if ((s.type == Type::List) != !s.item_fields.empty())
            throw std::invalid_argument(where + "." + s.name + ": only lists have item fields");
        check_specs(s.item_fields, where + "." + s.name);
    }
}

}  // namespace

Catalogue::Catalogue(std::vector<FunctionSpec> functions) : functions_(std::move(functions)) {
    std::set<std::string_view> names;
    for (const auto& f : functions_) {
        if (!is_valid_name(f.name)) throw std::invalid_argument("invalid CMP function name '" + f.name + "'");
        if (!names.insert(f.name).second) throw std::invalid_argument("duplicate CMP function " + f.name);
        check_specs(f.request, f.name);
        check_specs(f.response, f.name + "Response");
        for (std::string_view reserved : {"resultCode", "resultMsg"})
            if (f.response_field(reserved))
                throw std::invalid_argument(f.name + "Response: " + std::string(reserved) + " is reserved");
    }
}

const FunctionSpec* Catalogue::find(std::string_view name) const {
    for (const auto& f : functions_)
        if (f.name == name) return &f;
    return nullptr;
}

core::Status Catalogue::validate(const Request& req) const {
    const FunctionSpec* spec = find(req.function);
    if (!spec) return err("cmp.unknown_function", "unknown CMP function '" + req.function.substr(0, 64) + "'");
    if (req.header.rg_id.empty()) return err("cmp.bad_header", req.function + ": header rgId is empty");
    if (req.header.transaction_id.empty())
        return err("cmp.bad_header", req.function + ": header transactionId is empty");
    if (!parse_date_time(req.header.time_stamp))
        return err("cmp.bad_header", req.function + ": header timeStamp '" + req.header.time_stamp.substr(0, 40) +
                                         "' is not an xsd:dateTime");
    auto st = check_record(spec->request, req.args, req.function, true);
    if (!st) return st;
    if (const std::string* body_id = req.args.scalar("rgId"); body_id && *body_id != req.header.rg_id)
        return err("cmp.rg_id_mismatch", req.function + ".rgId: '" + body_id->substr(0, 64) +
                                             "' differs from the header rgId '" + req.header.rg_id + "'");
    return core::Ok{};
}

core::Status Catalogue::validate(const Response& resp) const {
    const FunctionSpec* spec = find(resp.function);
    if (!spec) return err("cmp.unknown_function", "unknown CMP function '" + resp.function.substr(0, 64) + "'");
    if (!resp.header.time_stamp.empty() && !parse_date_time(resp.header.time_stamp))
        return err("cmp.bad_header", resp.function + "Response: header timeStamp '" +
                                         resp.header.time_stamp.substr(0, 40) + "' is not an xsd:dateTime");
    return check_record(spec->response, resp.fields, resp.function + "Response", resp.ok());
}

}  // namespace cmp

// ---- the builtin profile -----------------------------------------------------
namespace cmp {
namespace {

constexpr bool req = true;
constexpr bool opt = false;

FieldSpec str(std::string n, bool r, std::string doc) { return {std::move(n), Type::String, r, {}, {}, false, std::move(doc)}; }
FieldSpec secret(std::string n, bool r, std::string doc) { return {std::move(n), Type::String, r, {}, {}, true, std::move(doc)}; }
FieldSpec i32(std::string n, bool r, std::string doc) { return {std::move(n), Type::Int, r, {}, {}, false, std::move(doc)}; }
FieldSpec u32(std::string n, bool r, std::string unit, std::string doc) {
    return {std::move(n), Type::UnsignedInt, r, {}, std::move(unit), false, std::move(doc)};
}
FieldSpec u64(std::string n, bool r, std::string unit, std::string doc) {
    return {std::move(n), Type::UnsignedLong, r, {}, std::move(unit), false, std::move(doc)};
}
FieldSpec boolean(std::string n, bool r, std::string doc) { return {std::move(n), Type::Boolean, r, {}, {}, false, std::move(doc)}; }
FieldSpec when(std::string n, bool r, std::string doc) { return {std::move(n), Type::DateTime, r, {}, {}, false, std::move(doc)}; }
FieldSpec list(std::string n, bool r, std::vector<FieldSpec> items, std::string doc) {
    return {std::move(n), Type::List, r, std::move(items), {}, false, std::move(doc)};
}
// setRgNetInfo reuses the getRgNetInfo items with every field optional (partial update).
std::vector<FieldSpec> all_optional(std::vector<FieldSpec> v) {
    for (auto& f : v) f.required = false;
    return v;
}

FunctionSpec fn(std::string name, Direction d, std::vector<FieldSpec> rq, std::vector<FieldSpec> rs, std::string doc) {
    FunctionSpec f;
    f.name = std::move(name);
    f.direction = d;
    f.idempotent = f.name.rfind("get", 0) == 0;
    f.request = std::move(rq);
    f.response = std::move(rs);
    f.doc = std::move(doc);
    return f;
}

std::vector<FieldSpec> rg_identity() {
    return {str("manufacturer", req, "Manufacturer name (TR-098 DeviceInfo.Manufacturer)"),
            str("oui", req, "Manufacturer OUI, 6 upper-case hex digits"),
            str("modelName", req, "Model name"),
            str("productClass", req, "Product class"),
            str("serialNumber", req, "Serial number, unique per manufacturer OUI and product class"),
            str("hwVersion", req, "Hardware version"),
            str("swVersion", req, "Running firmware version")};
}

std::vector<FieldSpec> wan_item() {
    return {str("type", req, "Addressing: DHCP, Static or PPPoE"),
            str("status", req, "Connected, Connecting or Disconnected (read-only)"),
            str("ipAddr", req, "IPv4 address, dotted quad"),
            str("mask", req, "Subnet mask, dotted quad"),
            str("gateway", req, "Default gateway, dotted quad"),
            str("dns", req, "DNS servers, comma-separated dotted quads"),
            str("mac", req, "MAC address, aa:bb:cc:dd:ee:ff (read-only)"),
            u32("upTime", req, "s", "Time since the connection came up (read-only)")};
}

std::vector<FieldSpec> lan_item() {
    return {str("ipAddr", req, "Gateway LAN address, dotted quad"),
            str("mask", req, "LAN subnet mask, dotted quad"),
            boolean("dhcpEnable", req, "DHCP server enabled"),
            str("dhcpMin", req, "First address of the DHCP pool"),
            str("dhcpMax", req, "Last address of the DHCP pool"),
            u32("leaseTime", req, "s", "DHCP lease time")};
}

std::vector<FieldSpec> name_value(std::string what) {
    return {str("name", req, what + " name"), str("value", req, what + " value, as text")};
}

std::vector<FieldSpec> var_names() {
    return {list("varName", opt, {str("name", req, "State variable name")},
                 "State variables; absent means all evented variables of the service")};
}

std::vector<FunctionSpec> builtin_functions() {
    const auto G = Direction::from_gateway;
    const auto H = Direction::to_gateway;
    std::vector<FunctionSpec> v;
    // Gateway -> HOMS.
    {
        std::vector<FieldSpec> rq = {str("rgId", req, "Gateway identifier; equals the header rgId")};
        for (auto& f : rg_identity()) rq.push_back(std::move(f));
        rq.push_back(str("rgIpAddr", req, "Gateway WAN address as seen by the gateway"));
        rq.push_back(str("rgCtrlUrl", req, "URL where the gateway accepts HOMS -> gateway requests"));
        v.push_back(fn("regRg", G, std::move(rq),
                       {str("sessionId", req, "Opaque session identifier for authRg and keepAliveRg"),
                        str("nonce", req, "Fresh challenge for authRg: at least 128 random bits, hex"),
                        u32("keepAliveIntv", req, "s", "Interval between keepAliveRg messages")},
                       "Registers the gateway after every boot; opens a session to be proven by authRg."));
    }
    v.push_back(fn("authRg", G,
                   {str("rgId", req, "Gateway identifier"), str("sessionId", req, "From the regRg response"),
                    str("authDigest", req, "base64(HMAC-SHA256(secret, nonce LF rgId LF sessionId))")},
                   {}, "Proves possession of the gateway's shared secret for the session opened by regRg."));
    v.push_back(fn("keepAliveRg", G,
                   {str("rgId", req, "Gateway identifier"), str("sessionId", req, "Current session"),
                    u32("upTime", req, "s", "Time since the gateway booted")},
                   {}, "Liveness, every keepAliveIntv seconds."));
    v.push_back(fn("deregRg", G,
                   {str("rgId", req, "Gateway identifier"),
                    str("reason", opt, "shutdown, reboot, reset, upgrade or free text")},
                   {}, "Closes the session before an orderly shutdown."));
    v.push_back(fn("notifyHomeDevEvent", G,
                   {str("eventId", req, "Subscription identifier from applyHomeDevEvent"),
                    str("devId", req, "Home device identifier"),
                    list("var", req, name_value("State variable"), "Changed state variables"),
                    u32("seq", req, "", "0 for the initial event of a subscription, then +1 per event")},
                   {}, "A subscribed state variable of a home device changed."));
    v.push_back(fn("notifyHomeDevJoin", G,
                   {str("devId", req, "Home device identifier"),
                    str("deviceType", req, "UPnP device type URN or host class (Computer, Phone, ...)"),
                    str("descUrl", opt, "UPnP description URL; absent for non-UPnP hosts")},
                   {}, "A home device appeared on the LAN."));
    v.push_back(fn("notifyHomeDevLeave", G, {str("devId", req, "Home device identifier")}, {},
                   "A home device left the LAN."));
    v.push_back(fn("notifyRgUpgradeResult", G,
                   {str("fwVersion", req, "Firmware version running after the attempt"),
                    i32("resultCode", req, "0 on success, else a result code (11 transfer, 12 upgrade failed)"),
                    when("startTime", req, "When the download started"),
                    when("completeTime", req, "When the upgrade finished or failed")},
                   {}, "Closes a firmware upgrade started by upgradeRgFirmware."));
    v.push_back(fn("notifyRgSecAlert", G,
                   {str("alertId", req, "Unique per gateway"),
                    str("alertType", req, "loginFailure, portScan, dosAttack, configChange, ..."),
                    str("severity", req, "critical, major, minor, warning or info"),
                    str("source", req, "Originating address or subsystem"),
                    when("time", req, "When the condition was detected"),
                    str("text", opt, "Human-readable description")},
                   {}, "A security-relevant condition on the gateway."));
    v.push_back(fn("notifyRgRscAlert", G,
                   {str("rscType", req, "cpu, mem or disk"), u32("value", req, "%", "Current usage"),
                    u32("threshold", req, "%", "Threshold that was crossed"),
                    when("time", req, "When the threshold was crossed")},
                   {}, "A resource usage threshold was crossed upwards."));
    // HOMS -> gateway.
    {
        auto rs = rg_identity();
        rs.push_back(u32("upTime", req, "s", "Time since the gateway booted"));
        v.push_back(fn("getRgInfo", H, {}, std::move(rs), "Identity and firmware of the gateway."));
    }
    v.push_back(fn("getRgCpuRsc", H, {},
                   {u32("cpuUsage", req, "%", "CPU usage averaged over the last few seconds"),
                    list("proc", opt,
                         {u32("pid", req, "", "Process id"), str("cmd", req, "Command name"),
                          u32("size", req, "KB", "Resident memory"),
                          u64("cpuTime", req, "ms", "CPU time consumed since start"),
                          str("state", req, "R, S, D, Z or T as in ps")},
                         "Processes")},
                   "CPU usage and processes."));
    v.push_back(fn("getRgMemRsc", H, {},
                   {u32("memTotal", req, "KB", "Physical memory"), u32("memFree", req, "KB", "Free memory")},
                   "Memory usage."));
    v.push_back(fn("getRgDiskRsc", H, {str("diskId", opt, "Only the disk of this name")},
                   {list("disk", req,
                         {str("name", req, "Disk name"), u32("totalMB", req, "MB", "Capacity"),
                          u32("usedMB", req, "MB", "Used space"), u32("freeMB", req, "MB", "Free space"),
                          str("fsType", req, "File system (ext4, vfat, jffs2, ...)"),
                          str("status", req, "mounted, unmounted or error")},
                         "Disks")},
                   "Disk resources (the one function name documented by ISO/IEC 29104-1)."));
    v.push_back(fn("getRgNetInfo", H, {},
                   {list("wan", req, wan_item(), "WAN connections"), list("lan", req, lan_item(), "LAN interfaces")},
                   "WAN and LAN configuration and status."));
    v.push_back(fn("setRgNetInfo", H,
                   {list("wan", opt, all_optional(wan_item()), "WAN changes, by position"),
                    list("lan", opt, all_optional(lan_item()), "LAN changes, by position")},
                   {}, "Changes WAN/LAN configuration; absent fields keep their value."));
    v.push_back(fn("getRgTrafficInfo", H, {str("ifName", opt, "WAN (default), LAN or WLAN")},
                   {u64("bytesSent", req, "B", "Bytes sent"), u64("bytesRcvd", req, "B", "Bytes received"),
                    u64("pktsSent", req, "", "Packets sent"), u64("pktsRcvd", req, "", "Packets received")},
                   "Traffic counters of one interface since boot."));
    {
        std::vector<FieldSpec> get_rs, set_rq;
        for (int i = 1; i <= 5; ++i) {
            std::string n = "ntpServer" + std::to_string(i);
            get_rs.push_back(str(n, req, "NTP server " + std::to_string(i) + " (empty when unset)"));
            set_rq.push_back(str(n, opt, "NTP server " + std::to_string(i) + "; empty clears it"));
        }
        get_rs.push_back(str("localTimeZone", req, "Time zone, e.g. GMT+03:00 or a POSIX TZ string"));
        set_rq.push_back(str("localTimeZone", opt, "Time zone, e.g. GMT+03:00 or a POSIX TZ string"));
        get_rs.push_back(when("currentLocalTime", req, "Gateway clock with its UTC offset"));
        v.push_back(fn("getRgTime", H, {}, std::move(get_rs), "Time configuration and clock."));
        v.push_back(fn("setRgTime", H, std::move(set_rq), {}, "Changes the time configuration."));
    }
    v.push_back(fn("rebootRg", H, {u32("delaySec", opt, "s", "Wait before rebooting (default 0)")}, {},
                   "Reboots the gateway; it registers again with regRg when back."));
    v.push_back(fn("resetRg", H, {}, {}, "Factory reset, then reboot."));
    v.push_back(fn("upgradeRgFirmware", H,
                   {str("fwUrl", req, "Image URL (http, https, ftp or tftp)"),
                    str("fwVersion", req, "Version the image contains"),
                    u32("fileSize", req, "B", "Image size, 0 when unknown"),
                    str("userName", req, "Download user name, may be empty"),
                    secret("password", req, "Download password, may be empty"),
                    u32("delaySec", opt, "s", "Wait before downloading (default 0)")},
                   {}, "Starts a firmware upgrade; the outcome arrives as notifyRgUpgradeResult."));
    v.push_back(fn("getRgLog", H, {}, {str("logText", req, "System log, oldest line first, LF-separated")},
                   "The gateway's system log."));
    v.push_back(fn("backupRgConfig", H, {str("url", req, "Upload destination")}, {},
                   "Uploads the configuration to url."));
    v.push_back(fn("restoreRgConfig", H, {str("url", req, "Configuration file to download")}, {},
                   "Downloads and applies a configuration, then reboots."));
    v.push_back(fn("getHomeDevList", H, {str("deviceType", opt, "Only devices of this type")},
                   {list("dev", req,
                         {str("devId", req, "Home device identifier, stable across joins"),
                          str("deviceType", req, "UPnP device type URN or host class"),
                          str("friendlyName", opt, "Name shown to users"),
                          str("manufacturer", opt, "Device manufacturer"), str("modelName", opt, "Device model"),
                          str("ipAddr", req, "LAN address"), str("macAddr", req, "MAC address"),
                          boolean("active", req, "Currently on the LAN")},
                         "Home devices")},
                   "Home devices known to the gateway."));
    v.push_back(fn("getHomeDevDescUrl", H, {str("devId", req, "Home device identifier")},
                   {str("descUrl", req, "UPnP device description URL"),
                    list("service", req,
                         {str("serviceType", req, "Service type URN"), str("serviceId", req, "Service id URN"),
                          str("scpdUrl", req, "Service description URL"), str("controlUrl", req, "Control URL"),
                          str("eventSubUrl", req, "Event subscription URL")},
                         "Services of the device")},
                   "Description URL and services of a home device."));
    v.push_back(fn("ctrlHomeDev", H,
                   {str("devId", req, "Home device identifier"), str("serviceId", req, "Service id URN"),
                    str("actionName", req, "Action name"), list("arg", opt, name_value("Input argument"), "In arguments")},
                   {list("outArg", opt, name_value("Output argument"), "Out arguments")},
                   "Invokes an action of a home device service."));
    {
        std::vector<FieldSpec> rq = {str("devId", req, "Home device identifier"), str("serviceId", req, "Service id URN")};
        for (auto& f : var_names()) rq.push_back(std::move(f));
        v.push_back(fn("getHomeDevState", H, rq, {list("var", req, name_value("State variable"), "Values")},
                       "Reads state variables of a home device service."));
        rq.push_back(u32("duration", opt, "s", "Subscription lifetime; 0 or absent: until released"));
        v.push_back(fn("applyHomeDevEvent", H, std::move(rq), {str("eventId", req, "Subscription identifier")},
                       "Subscribes to state variable changes, reported by notifyHomeDevEvent."));
    }
    v.push_back(fn("releaseHomeDevEvent", H, {str("eventId", req, "Subscription identifier")}, {},
                   "Ends a subscription."));
    return v;
}

}  // namespace

const Catalogue& Catalogue::builtin() {
    static const Catalogue catalogue(builtin_functions());
    return catalogue;
}

}  // namespace cmp
