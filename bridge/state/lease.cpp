#include "bridge/state/lease.hpp"

#include "bridge/state/store.hpp"

namespace state {

core::Status validate_node(std::string_view node) {
    if (validate_key(node)) return core::Ok{};
    return core::make_error("state.invalid_node", "node id '" + std::string(node.substr(0, 60)) +
                                                      "' is not valid (expected 1-128 of A-Z a-z 0-9 . _ -)");
}

}  // namespace state
