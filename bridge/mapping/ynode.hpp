#pragma once
// A mapping file as a plain tree with source positions. yaml-cpp parses; this
// copy is what every later stage reads, so that (1) each value keeps the
// file:line:col it came from even after includes are merged, (2) traversal is
// bounded (aliases can make a yaml-cpp graph exponentially large when walked),
// and (3) no stage can trip over a yaml-cpp conversion exception.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/core/result.hpp"

namespace mapping {

// Where in the YAML a rule came from, for file:line:col diagnostics.
struct SourcePos {
    std::string file;
    int line = 0;    // 1-based
    int column = 0;  // 1-based
    std::string to_string() const;
};

struct YNode {
    enum class Kind { Null, Scalar, Seq, Map };
    Kind kind = Kind::Null;
    std::string text;  // Scalar
    std::vector<YNode> items;  // Seq
    std::vector<std::pair<YNode, YNode>> entries;  // Map, in file order (duplicates kept)
    SourcePos pos;

    bool is_null() const { return kind == Kind::Null; }
    bool is_scalar() const { return kind == Kind::Scalar; }
    bool is_seq() const { return kind == Kind::Seq; }
    bool is_map() const { return kind == Kind::Map; }
    // First entry with this scalar key, nullptr when absent (or not a map).
    const YNode* get(std::string_view key) const;
    YNode* get(std::string_view key);
    const YNode* key_of(std::string_view key) const;  // the key node itself
    std::string_view kind_name() const;
};

struct ParseLimits {
    std::size_t max_bytes = 1 << 20;
    std::size_t max_nodes = 200'000;
    std::size_t max_depth = 64;
};

}  // namespace mapping

namespace mapping {

// One problem found in a mapping file; hint says how to fix it.
struct Diagnostic {
    SourcePos pos;
    std::string message;
    std::string hint;
    std::string to_string() const;  // "file:line:col: message\n  hint: ..."
};
using Diagnostics = std::vector<Diagnostic>;

}  // namespace mapping

namespace mapping {
// Parses one YAML document; nullopt with error set when it cannot.
std::optional<YNode> parse_yaml(std::string_view text, const std::string& file, Diagnostic& error,
                                const ParseLimits& limits = {});
}  // namespace mapping
