#pragma once
// Internal: what one virtual CPE's TableDevice remembers between requests
// and across restarts (instance numbers, bridge-kept values, subscriptions),
// and how presented paths resolve against the table's tree.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/mapping/table.hpp"

namespace mapping {

// Rows of a list object. Instance numbers are keyed by the item key and
// never reused (TR-069 3.7.2.4): a key that comes back gets its old number,
// a new key the next number.
struct ListState {
    std::map<std::string, std::uint32_t> ids;  // remembered keys
    std::vector<std::uint32_t> present;        // rows of the last list, ascending
    std::uint32_t next = 1;
    bool listed = false;                       // present came from a list call or a saved state
    static constexpr std::size_t kRemember = 4096;  // forgotten beyond this: absent keys, oldest first

    std::uint32_t assign(const std::string& key);
    std::optional<std::string> key_of(std::uint32_t instance) const;
    bool known(std::uint32_t instance) const;
    bool is_present(std::uint32_t instance) const;
    // The rows of the latest list; then, beyond kRemember keys, forgets absent ones.
    void set_present(std::vector<std::uint32_t> instances);
};

struct RowsState {
    std::map<std::uint32_t, std::map<std::string, std::string>> rows;  // instance -> stored values
    std::uint32_t next = 1;
};

struct TableState {
    std::map<int, ListState> lists;                       // by object index
    std::map<int, RowsState> rows;                        // by object index
    std::map<std::string, std::string> stored;            // fixed objects: parameter path -> value
    std::map<std::string, std::string> subscriptions;     // instance parameter path -> subscription id
    std::uint64_t generation = 0;

    // Keyed by object paths, so a table edit keeps what still matches.
    std::string save(const Table& t) const;
    // The same content as YAML text (version 1, which load also reads): for people.
    std::string to_yaml(const Table& t) const;
    core::Status load(const Table& t, std::string_view blob);
};

// A presented path resolved to a tree node; instance is the row number when
// the path goes through a list/rows row (at most one per path).
struct Resolved {
    int node = -1;
    std::uint32_t instance = 0;
};

// Syntax and table shape only: whether the row exists is the caller's check.
std::optional<Resolved> resolve_path(const Table& t, std::string_view path);
// Template path with its {i} replaced.
std::string instance_path(std::string_view template_path, std::uint32_t instance);
// The row node a tree node lies under (itself included), -1 when none.
int row_node_of(const Table& t, int node);

}  // namespace mapping
