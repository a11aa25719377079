#include "bridge/cpe/management_server.hpp"

#include "bridge/cpe/attributes.hpp"
#include "bridge/cpe/value_syntax.hpp"
#include "bridge/http/url.hpp"

namespace cpe {
namespace {

constexpr std::size_t kMaxString = 256;  // string(256) in TR-098 and TR-106 for every writable one

}  // namespace

std::string management_server_path(const LocalContext& c) { return c.root + "ManagementServer."; }

// Asked for every name of every GetParameterValues and of every device
// value: compared in place, without building the two paths.
bool is_local_path(const LocalContext& c, std::string_view path) {
    if (path.size() <= c.root.size() || path.compare(0, c.root.size(), c.root) != 0) return false;
    const std::string_view rel = path.substr(c.root.size());
    return rel == "DeviceSummary" || rel.starts_with("ManagementServer.");
}

bool may_name_local(const LocalContext& c, std::string_view requested) {
    if (is_local_path(c, requested)) return true;
    // A partial path above them (the root itself, or "<root>ManagementServer." asked as a prefix).
    if (requested.empty() || requested.back() != '.') return false;
    const std::string_view ms_rel = "ManagementServer.";
    if (requested.size() < c.root.size()) return std::string_view(c.root).starts_with(requested);
    if (requested.compare(0, c.root.size(), c.root) != 0) return false;
    return ms_rel.starts_with(requested.substr(c.root.size()));
}

std::string effective_acs_url(const LocalContext& c, const CpeState& s) { return s.acs_url.empty() ? c.acs_url : s.acs_url; }
std::string effective_acs_username(const LocalContext& c, const CpeState& s) {
    return s.acs_username ? *s.acs_username : c.acs_username;
}
std::string effective_acs_password(const LocalContext& c, const CpeState& s) {
    return s.acs_password ? *s.acs_password : c.acs_password;
}

namespace {

// The local parameters in data-model order: path below the root, type, writable.
struct LocalSpec {
    std::string_view rel;
    std::string_view type;
    bool writable;
};
constexpr LocalSpec kLocalSpecs[] = {
    // TR-098 and TR-106 both define DeviceSummary (forced Inform) directly under the root.
    {"DeviceSummary", "xsd:string", false},
    {"ManagementServer.URL", "xsd:string", true},
    {"ManagementServer.Username", "xsd:string", true},
    {"ManagementServer.Password", "xsd:string", true},
    {"ManagementServer.PeriodicInformEnable", "xsd:boolean", true},
    {"ManagementServer.PeriodicInformInterval", "xsd:unsignedInt", true},
    {"ManagementServer.PeriodicInformTime", "xsd:dateTime", true},
    {"ManagementServer.ParameterKey", "xsd:string", false},
    {"ManagementServer.ConnectionRequestURL", "xsd:string", false},
    {"ManagementServer.ConnectionRequestUsername", "xsd:string", true},
    {"ManagementServer.ConnectionRequestPassword", "xsd:string", true},
    {"ManagementServer.UpgradesManaged", "xsd:boolean", true},
};

std::string local_value(const LocalContext& c, const CpeState& s, std::string_view rel) {
    if (rel == "DeviceSummary") return c.model + "[](Baseline:1)";
    rel.remove_prefix(std::string_view("ManagementServer.").size());
    if (rel == "URL") return effective_acs_url(c, s);
    if (rel == "Username") return effective_acs_username(c, s);
    if (rel == "PeriodicInformEnable") return s.periodic_enable ? "true" : "false";
    if (rel == "PeriodicInformInterval") return std::to_string(s.periodic_interval);
    if (rel == "PeriodicInformTime") return s.periodic_time;
    if (rel == "ParameterKey") return s.parameter_key;
    if (rel == "ConnectionRequestURL") return c.cr_url;
    if (rel == "ConnectionRequestUsername") return s.cr_username;
    if (rel == "UpgradesManaged") return s.upgrades_managed ? "true" : "false";
    // Passwords read back empty (TR-098: "When read, this parameter returns an empty string").
    return {};
}

const LocalSpec* find_local(const LocalContext& c, std::string_view path) {
    if (path.size() <= c.root.size() || path.compare(0, c.root.size(), c.root) != 0) return nullptr;
    const std::string_view rel = path.substr(c.root.size());
    for (const auto& spec : kLocalSpecs)
        if (spec.rel == rel) return &spec;
    return nullptr;
}

}  // namespace

std::vector<LocalParameter> local_parameters(const LocalContext& c, const CpeState& s) {
    std::vector<LocalParameter> out;
    out.reserve(std::size(kLocalSpecs));
    for (const auto& spec : kLocalSpecs) {
        LocalParameter p{c.root + std::string(spec.rel), local_value(c, s, spec.rel), std::string(spec.type),
                         spec.writable};
        p.active_notify = standard_active_notify(c.root, p.path);
        out.push_back(std::move(p));
    }
    return out;
}

// What a value may be depends on the parameter only, not on the state.
LocalCheck check_local_value(const LocalContext& c, const CpeState&, const cwmp::ParameterValue& pv) {
    LocalCheck r;
    auto fail = [&](std::uint32_t code, std::string why) {
        r.fault = code;
        r.fault_string = std::move(why);
        return r;
    };
    const LocalSpec* param = find_local(c, pv.name);
    if (!param) return fail(9005, "Invalid parameter name");
    if (!param->writable) return fail(9008, "Attempt to set a non-writable parameter");
    if (!type_compatible(pv.type, param->type))
        return fail(9006, "Invalid parameter type: " + pv.type + " given, " + std::string(param->type) + " expected");
    auto v = canonical_value(param->type, pv.value);
    if (!v) return fail(9007, "Invalid parameter value: not a valid " + std::string(param->type));
    const std::string_view name = param->rel.substr(std::string_view("ManagementServer.").size());
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
