// app::GatewayEvents at start-up: the self-registered gateways it can serve
// from the registry, and one error line (not one per gateway) for those it
// cannot because their secret source is gone.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <filesystem>
#include <random>

#include "bridge/app/gateway_events.hpp"
#include "bridge/app/gateway_registry.hpp"
#include "bridge/state/store.hpp"
#include "tests/stderr_capture.hpp"

namespace fs = std::filesystem;

TEST_CASE("self-registered gateways without a secret any more: not served, one error line for all of them") {
    const fs::path dir = fs::temp_directory_path() / ("gw-events-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    app::Config config;
    config.state_dir = dir.string();
    config.cmp.listen = "127.0.0.1:0";
    config.cmp.accept_registrations = true;
    config.cmp.registration_secret = "";  // the operator removed the secret source

    auto store = std::make_unique<state::MemoryStore>();
    for (int i = 0; i < 200; ++i) {
        app::RegisteredGateway g;
        g.id = "GW-" + std::to_string(1000 + i);
        g.url = "http://127.0.0.1:9/cmp/" + g.id;
        g.registered_at = "2026-12-01T00:00:00Z";
        REQUIRE(store->save(g.id, app::serialize(g)));
    }
    boost::asio::io_context ioc;
    app::GatewayEvents events(ioc, config, {});
    events.use_registry_store(std::move(store));
    test_util::StderrCapture capture;
    auto served = events.open();
    const auto lines = capture.lines();
    REQUIRE(served);
    CHECK(served->empty());
    const auto errors = std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find("ERROR") != std::string::npos && l.find("no secret") != std::string::npos;
    });
    CHECK(errors == 1);
    const auto it = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.find("no secret") != std::string::npos; });
    REQUIRE(it != lines.end());
    CHECK(it->find("200 self-registered") != std::string::npos);
    CHECK(it->find("GW-1000") != std::string::npos);
    CHECK(it->find("and 195 more") != std::string::npos);
    events.stop();
    fs::remove_all(dir);
}
