#include "bridge/cpe/management_server.hpp"

namespace cpe {

std::vector<LocalParameter> local_parameters(const LocalContext& c) {
    const std::string ms = c.root + "ManagementServer.";
    const auto& s = c.state;
    std::vector<LocalParameter> out;
    if (c.root == "InternetGatewayDevice.")
        out.push_back({c.root + "DeviceSummary", c.model + "[](Baseline:1)", "xsd:string", false});
    out.push_back({ms + "URL", s.acs_url.empty() ? c.acs_url : s.acs_url, "xsd:string", true});
    out.push_back({ms + "Username", c.acs_username, "xsd:string", true});
    // Passwords read back empty (TR-098: "When read, this parameter returns an empty string").
    out.push_back({ms + "Password", "", "xsd:string", true});
    out.push_back({ms + "PeriodicInformEnable", s.periodic_enable ? "1" : "0", "xsd:boolean", true});
    out.push_back({ms + "PeriodicInformInterval", std::to_string(s.periodic_interval), "xsd:unsignedInt", true});
    out.push_back({ms + "PeriodicInformTime", s.periodic_time, "xsd:dateTime", true});
    out.push_back({ms + "ParameterKey", s.parameter_key, "xsd:string", false});
    out.push_back({ms + "ConnectionRequestURL", c.cr_url, "xsd:string", false});
    out.push_back({ms + "ConnectionRequestUsername", s.cr_username, "xsd:string", true});
    out.push_back({ms + "ConnectionRequestPassword", "", "xsd:string", true});
    return out;
}

}  // namespace cpe
