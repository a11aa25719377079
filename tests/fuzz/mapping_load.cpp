// Mapping tables: a typo or a corrupted file gives diagnostics, never a crash
// or a hang (the bridge must refuse to start cleanly and `validate` must
// explain). Input: the YAML text of a table, as if it were mappings/fuzz.yaml,
// so includes resolve next to the shipped tables.
#include <string>

#include "bridge/mapping/table.hpp"
#include "fuzz_target.hpp"

#ifndef BRIDGE_SOURCE_DIR
#define BRIDGE_SOURCE_DIR "."
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string file = std::string(BRIDGE_SOURCE_DIR) + "/mappings/fuzz.yaml";
    mapping::Diagnostics diags;
    auto table = mapping::Table::compile_string(fuzz::as_text(data, size), file, {}, diags);
    fuzz::require(table != nullptr || !diags.empty(), "a refused table says why");
    return 0;
}
