#pragma once
// Includes and overrides: a deployment table says `include: tr098.yaml`, then
// overrides or removes a few rules. Merging works on the YAML trees, so every
// rule keeps the file:line:col of the file it came from.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/mapping/ynode.hpp"

namespace mapping {

struct MergedDocument {
    YNode root;
    std::vector<std::string> texts;  // every file's text, for the table hash
};

// Reads file (or uses text when given), resolves includes relative to the
// including file, applies `remove:` and overrides. Problems go to diags; the
// result is nullopt only when nothing usable is left.
std::optional<MergedDocument> load_document(const std::string& file, const std::optional<std::string_view>& text,
                                            Diagnostics& diags);

// Merges an overriding table into a base (both top-level maps).
void merge_tables(YNode& base, const YNode& over);

}  // namespace mapping
