#pragma once
// The `reverse:` section of bridge.yaml (docs/reverse.md): the bridge as an
// ACS towards TR-069 CPEs and as one CMP agent per CPE towards a HOMS.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge/net/tls.hpp"

namespace app {

namespace config_detail {
struct Reader;
}

struct ReverseConfig {
    // Towards the CPEs: their ManagementServer.URL points here.
    struct Acs {
        std::string listen = "127.0.0.1:7557";
        std::optional<net::TlsServerConfig> tls;
        std::string credentials_file;  // required: who may inform, how to wake each CPE (docs/reverse.md)
        bool allow_basic = false;      // with tls only
        std::chrono::milliseconds session_timeout{30'000};
        std::chrono::milliseconds connection_request_timeout{5'000};
        net::TlsClientConfig connection_request_tls;
        int missed_informs = 3;  // then the CPE is gone and its gateway deregisters
        std::size_t max_connections = 4096;
        std::size_t max_connections_per_source = 16;
    } acs;
    // Towards the HOMS: each CPE is one gateway (rgId = OUI-ProductClass-Serial).
    struct Homs {
        std::string url;  // required
        net::TlsClientConfig tls;
        std::chrono::milliseconds timeout{10'000};
        // Every virtual gateway's CMP secret: one shared secret, or derived per
        // rgId from a registration master (cmp::derive_gateway_secret).
        std::string secret;
        std::string registration_secret;
        bool require_auth = true;  // X-CMP-Auth on HOMS -> gateway calls
        std::chrono::milliseconds start_spread{0};
    } homs;
    // Where the HOMS reaches the virtual gateways (their rgCtrlUrl).
    struct Agent {
        std::string listen = "127.0.0.1:7700";
        std::string url_base;  // scheme://host:port announced in rgCtrlUrl; default: the listen address
        std::optional<net::TlsServerConfig> tls;
    } agent;
    // Data model ("InternetGatewayDevice", "Device", "Device:1", "Device:2") -> mapping table, read the other way.
    std::map<std::string, std::string> mappings;
    // How long a HOMS call waits for the CPE (Connection Request, session, answer):
    // below the HOMS's own timeout (10 s by the profile), so it hears busy/unreachable rather than nothing.
    std::chrono::milliseconds call_wait{8'000};
};

// Reads doc["reverse"] into out; refusals are thrown as config_detail::Refused
// (load_config turns them into file:line:col errors).
void read_reverse(const config_detail::Reader& r, const YAML::Node& doc, ReverseConfig& out);

}  // namespace app
