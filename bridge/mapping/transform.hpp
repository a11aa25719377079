#pragma once
// Value conversions between a CMP field and a TR-069 parameter, declared per
// parameter in a mapping table (docs/mapping.md, "Transforms"). Reads never
// fail: a gateway value a transform cannot handle passes through unchanged
// (the bridge reports what the gateway says rather than hiding it). Writes
// run the inverse and refuse values they cannot express (fault 9007).
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"

namespace mapping {

struct Transform {
    std::optional<std::string> fallback;                      // default: when the field is absent
    std::optional<std::string> extract_source;                // extract: regex with one group
    std::optional<std::regex> extract;
    std::vector<std::pair<std::string, std::string>> map;     // map: CMP value -> TR-069 value
    std::optional<std::pair<std::string, std::string>> boolean;  // boolean: [true text, false text]
    std::int64_t multiply = 1, divide = 1;                    // scale / units
    unsigned wrap_bits = 0;                                   // wrap: counters modulo 2^bits
    enum class Time { none, iso, unix_seconds, pattern } time = Time::none;
    std::string time_pattern;                                 // strftime-style (%Y %m %d %H %M %S)
    bool pairs = false;                                       // list of {name,value} <-> "n=v,n=v"
    std::string join;                                         // list -> "a,b" of this item field (read only)
    std::size_t tail = 0;                                     // keep the last N bytes, from a line start (logs)

    bool identity() const;
    // Whether a written value can be turned back into the CMP form.
    bool invertible() const { return !extract && wrap_bits == 0 && join.empty() && tail == 0; }
    // Name of the first non-invertible step ("extract", "wrap"), for messages.
    std::string_view not_invertible_step() const;

    std::string read(std::string value) const;
    // A list field (pairs or join); "" for other transforms.
    std::string read_list(const std::vector<cmp::Record>& items) const;
    core::Result<std::string> write(std::string value) const;
};

// Unit factors for `units: MB->KB`: both units of one dimension; nullopt when
// unknown or of different dimensions. The pair is (multiply, divide).
std::optional<std::pair<std::int64_t, std::int64_t>> unit_factor(std::string_view from, std::string_view to,
                                                                  std::string* error);

// "n=v,n=v" with ',', '=' and '%' percent-escaped inside names and values.
std::string encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs);
core::Result<std::vector<std::pair<std::string, std::string>>> decode_pairs(std::string_view text);

// strftime-style parse/format used by the `datetime` transform; UTC.
std::optional<std::int64_t> parse_time_pattern(std::string_view text, std::string_view pattern);
std::string format_time_pattern(std::int64_t unix_seconds, std::string_view pattern);
bool valid_time_pattern(std::string_view pattern);

}  // namespace mapping
