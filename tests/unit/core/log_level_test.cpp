// core::log component levels: one gateway logged in detail (or silenced)
// while the process's level stays; back to the process level on request.
#include <doctest/doctest.h>

#include "bridge/core/log.hpp"

using core::log::Level;

TEST_CASE("a component's own level overrides the process level for that component only") {
    core::log::set_level(Level::warn);
    CHECK_FALSE(core::log::enabled(Level::debug, "GW-0001"));
    CHECK(core::log::enabled(Level::warn, "GW-0001"));

    core::log::set_component_level("GW-0001", Level::debug);
    CHECK(core::log::enabled(Level::debug, "GW-0001"));
    CHECK(core::log::enabled(Level::info, "GW-0001"));
    CHECK_FALSE(core::log::enabled(Level::debug, "GW-0002"));  // the others as before
    CHECK_FALSE(core::log::enabled(Level::info, "GW-00011"));  // exact ids, not prefixes

    core::log::set_component_level("GW-0002", Level::off);
    CHECK_FALSE(core::log::enabled(Level::error, "GW-0002"));
    CHECK(core::log::enabled(Level::error, "cmp"));

    core::log::set_component_level("GW-0001", std::nullopt);
    core::log::set_component_level("GW-0002", std::nullopt);
    CHECK_FALSE(core::log::component_level("GW-0001"));
    CHECK_FALSE(core::log::enabled(Level::debug, "GW-0001"));
    CHECK(core::log::enabled(Level::error, "GW-0002"));
    core::log::set_level(Level::info);
}
