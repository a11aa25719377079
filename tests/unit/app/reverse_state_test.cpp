// What the reverse direction keeps of a CPE across restarts (reverse_state.hpp):
// every field the restart needs comes back, ids with '%' get valid store keys.
#include <doctest/doctest.h>

#include "bridge/app/reverse_state.hpp"
#include "bridge/state/store.hpp"

TEST_CASE("reverse CPE state: encode/decode keeps what a restart needs; store keys are valid for any id") {
    app::ReverseCpeState s;
    s.record.id = "00D09E-IGD%2DX-SN%3A1";
    s.record.device_id = {"Acme: \"quoted\"", "00D09E", "IGD-X", "SN:1"};
    s.record.root = "InternetGatewayDevice.";
    s.record.version = cwmp::Version::v1_2;
    s.record.connection_request_url = "http://192.0.2.1:7547/cr?x=1";
    s.record.periodic_interval = std::chrono::seconds(300);
    s.record.last_inform = acs::TimePoint(std::chrono::seconds(1'764'000'000));
    s.rg_id = s.record.id;
    s.identity = {"Acme", "00D09E", "X", "IGD-X", "SN:1", "hw1", "sw2", "192.0.2.1", "http://127.0.0.1:7700/cmp/x"};
    s.events = "subscriptions:\n  e1: {seq: 3}\nvalues: {}\n";

    auto back = app::decode_reverse_state(app::encode_reverse_state(s));
    REQUIRE_MESSAGE(back, (back ? "" : back.error().message));
    CHECK(back->record.id == s.record.id);
    CHECK(back->record.device_id == s.record.device_id);
    CHECK(back->record.root == s.record.root);
    CHECK(back->record.version == cwmp::Version::v1_2);
    CHECK(back->record.connection_request_url == s.record.connection_request_url);
    CHECK(back->record.periodic_interval == s.record.periodic_interval);
    CHECK(back->record.last_inform == s.record.last_inform);
    CHECK(back->rg_id == s.rg_id);
    CHECK(back->identity == s.identity);
    CHECK(back->events == s.events);

    CHECK_FALSE(app::decode_reverse_state("format: 2\n"));
    CHECK_FALSE(app::decode_reverse_state("not: [yaml"));
    const std::string key = app::reverse_state_key(s.record.id);
    CHECK(state::validate_key(key));
    CHECK(key != app::reverse_state_key(s.record.id + "x"));
}
