#pragma once
// Hints for diagnostics whose check gave none: every validator error points
// the operator somewhere (issue 5: "each error prints file:line:col and a hint").
#include <string>
#include <string_view>

namespace mapping {

// Where to look for a problem described by message: the docs/mapping.md section
// or the reference naming the allowed names and values.
std::string default_hint(std::string_view message);

}  // namespace mapping
