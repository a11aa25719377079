#pragma once
// The identity of a CPE as the ACS side names it: "OUI-ProductClass-SerialNumber"
// (TR-069 A.3.3.1 DeviceId; the same form GenieACS uses), each part
// percent-encoded so that the id is safe in a URL path, a log line and a CMP
// rgId, and so that a '-' inside a part cannot make two devices collide.
#include <string>
#include <string_view>

#include "bridge/cwmp/messages.hpp"

namespace acs {

// "00D09E-IGD%2FX-SN1"; without a ProductClass, "OUI-SerialNumber".
std::string cpe_id(const cwmp::DeviceId& device);

// The data model root the CPE's Inform uses: "InternetGatewayDevice." or
// "Device."; empty when the Inform names no parameter.
std::string data_model_root(const cwmp::Inform& inform);

}  // namespace acs
