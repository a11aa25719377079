#include "bridge/cpe/management_server.hpp"

#include "bridge/cpe/attributes.hpp"
#include "bridge/cpe/value_syntax.hpp"
#include "bridge/http/url.hpp"

namespace cpe {
namespace {

constexpr std::size_t kMaxString = 256;  // string(256) in TR-098 and TR-106 for every writable one

}  // namespace

std::string management_server_path(const LocalContext& c) { return c.root + "ManagementServer."; }

bool is_local_path(const LocalContext& c, std::string_view path) {
    if (path == c.root + "DeviceSummary") return true;
    std::string ms = management_server_path(c);
    return path.compare(0, ms.size(), ms) == 0;
}

std::string effective_acs_url(const LocalContext& c, const CpeState& s) { return s.acs_url.empty() ? c.acs_url : s.acs_url; }
std::string effective_acs_username(const LocalContext& c, const CpeState& s) {
    return s.acs_username ? *s.acs_username : c.acs_username;
}
std::string effective_acs_password(const LocalContext& c, const CpeState& s) {
    return s.acs_password ? *s.acs_password : c.acs_password;
}

std::vector<LocalParameter> local_parameters(const LocalContext& c, const CpeState& s) {
    const std::string ms = management_server_path(c);
    std::vector<LocalParameter> out;
    // TR-098 and TR-106 both define DeviceSummary (forced Inform) directly under the root.
    out.push_back({c.root + "DeviceSummary", c.model + "[](Baseline:1)", "xsd:string", false});
    out.push_back({ms + "URL", effective_acs_url(c, s), "xsd:string", true});
    out.push_back({ms + "Username", effective_acs_username(c, s), "xsd:string", true});
    // Passwords read back empty (TR-098: "When read, this parameter returns an empty string").
    out.push_back({ms + "Password", "", "xsd:string", true});
    out.push_back({ms + "PeriodicInformEnable", s.periodic_enable ? "true" : "false", "xsd:boolean", true});
    out.push_back({ms + "PeriodicInformInterval", std::to_string(s.periodic_interval), "xsd:unsignedInt", true});
    out.push_back({ms + "PeriodicInformTime", s.periodic_time, "xsd:dateTime", true});
    out.push_back({ms + "ParameterKey", s.parameter_key, "xsd:string", false});
    out.push_back({ms + "ConnectionRequestURL", c.cr_url, "xsd:string", false});
    out.push_back({ms + "ConnectionRequestUsername", s.cr_username, "xsd:string", true});
    out.push_back({ms + "ConnectionRequestPassword", "", "xsd:string", true});
    out.push_back({ms + "UpgradesManaged", s.upgrades_managed ? "true" : "false", "xsd:boolean", true});
    for (auto& p : out) p.active_notify = standard_active_notify(c.root, p.path);
    return out;
}

LocalCheck check_local_value(const LocalContext& c, const CpeState& s, const cwmp::ParameterValue& pv) {
    LocalCheck r;
    auto fail = [&](std::uint32_t code, std::string why) {
        r.fault = code;
        r.fault_string = std::move(why);
        return r;
    };
    const LocalParameter* param = nullptr;
    auto locals = local_parameters(c, s);
    for (auto& l : locals)
        if (l.path == pv.name) param = &l;
    if (!param) return fail(9005, "Invalid parameter name");
    if (!param->writable) return fail(9008, "Attempt to set a non-writable parameter");
    if (!type_compatible(pv.type, param->type))
        return fail(9006, "Invalid parameter type: " + pv.type + " given, " + param->type + " expected");
    auto v = canonical_value(param->type, pv.value);
    if (!v) return fail(9007, "Invalid parameter value: not a valid " + param->type);
    const std::string name = pv.name.substr(management_server_path(c).size());
    if (param->type == "xsd:string" && v->size() > kMaxString)
        return fail(9007, "Invalid parameter value: longer than 256 characters");
    if (name == "URL") {
        auto url = http::Url::parse(*v);
        if (!url) return fail(9007, "Invalid parameter value: not an http or https URL");
    }
    if (name == "PeriodicInformInterval" && *v == "0")
        return fail(9007, "Invalid parameter value: PeriodicInformInterval must be at least 1");
    r.value = *v;
    return r;
}

void apply_local_value(const LocalContext& c, CpeState& s, const std::string& path, const std::string& v) {
    const std::string name = path.substr(management_server_path(c).size());
    if (name == "URL") s.acs_url = v;
    else if (name == "Username") s.acs_username = v;
    else if (name == "Password") s.acs_password = v;
    else if (name == "PeriodicInformEnable") s.periodic_enable = v == "true";
    else if (name == "PeriodicInformInterval") s.periodic_interval = static_cast<std::uint32_t>(std::stoul(v));
    else if (name == "PeriodicInformTime") s.periodic_time = v;
    else if (name == "ConnectionRequestUsername") s.cr_username = v;
    else if (name == "ConnectionRequestPassword") s.cr_password = v;
    else if (name == "UpgradesManaged") s.upgrades_managed = v == "true";
}

}  // namespace cpe
