// Every std::regex of a mapping table is compiled here. GCC 12 reports
// -Wmaybe-uninitialized inside libstdc++'s regex compiler when building with
// -fsanitize=address (a false positive in <regex> itself); the suppression
// is confined to this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "bridge/mapping/regex.hpp"

namespace mapping {

core::Result<std::regex> compile_regex(const std::string& pattern) {
    try {
        return std::regex(pattern);
    } catch (const std::regex_error& e) {
        return core::make_error("mapping.regex", "bad regular expression '" + pattern + "': " + e.what());
    }
}

}  // namespace mapping
