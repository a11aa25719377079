#pragma once
#include <string>
#include <string_view>

namespace mapping {
// Hex SHA-256, used to name a table's exact content in traces.
std::string sha256_hex(std::string_view data);
}  // namespace mapping
