#pragma once
// The ACS side's credentials file (docs/reverse.md): who the CPEs are allowed
// to authenticate as, and what the ACS sends in Connection Requests.
//
//   default:                       # optional: CPEs without an entry of their own
//     username: cpe
//     password: secret
//     connection_request: {username: acs, password: cr-secret}
//   cpes:                          # optional: per CPE id (OUI-ProductClass-Serial)
//     00D09E-IGD-SN0001:
//       username: sn0001
//       password: own-secret
//       connection_request: {username: acs, password: other}
//
// Errors give file:line:col and never a value.
#include <filesystem>
#include <memory>
#include <string_view>

#include "bridge/acs/cpe_auth.hpp"
#include "bridge/core/result.hpp"

namespace app {

core::Result<std::shared_ptr<acs::CredentialTable>> parse_acs_credentials(std::string_view yaml,
                                                                          std::string_view source_name);
core::Result<std::shared_ptr<acs::CredentialTable>> load_acs_credentials(const std::filesystem::path& file);

}  // namespace app
