#pragma once
#include <regex>
#include <string>

#include "bridge/core/result.hpp"

namespace mapping {
// A regular expression from a table (ECMAScript); the error names the pattern.
core::Result<std::regex> compile_regex(const std::string& pattern);
}  // namespace mapping
