// cpe::encode_state, the stored form of a CPE's state: every field survives
// a round trip, parse_state still reads YAML (older state files, traces),
// and a damaged blob is refused, never half read.
#include <doctest/doctest.h>

#include <random>

#include "bridge/cpe/cpe_state.hpp"

namespace {

// Every field away from its default, with the awkward values: empty and
// binary strings, negative times, an optional present but empty.
cpe::CpeState full_state() {
    cpe::CpeState s;
    s.gateway_id = "GW-0001";
    s.bootstrapped = true;
    s.pending_events = {{"1 BOOT", ""}, {"M Reboot", "key\nwith newline"}, {"7 TRANSFER COMPLETE", ""}};
    s.parameter_key = "pk-42";
    s.device_id = {"Huawei Technologies Co., Ltd.", "202BC1", "BM632w", "8KA8WA6660000001"};
    s.cr_path = "a1b2c3";
    s.cr_username = "GW-0001";
    s.cr_password = std::string("p\0w:d", 5);
    s.last_cr_url = "http://10.0.0.1:7548/a1b2c3";
    s.acs_url = "https://acs.example/cwmp";
    s.acs_username = "acs-user";
    s.acs_password = "";  // present but empty is not absent
    s.periodic_enable = false;
    s.periodic_interval = 4'294'967'295u;
    s.periodic_time = "2026-01-01T00:00:00Z";
    s.upgrades_managed = true;
    s.deferred_reboot = "reboot-ck";
    s.attributes["InternetGatewayDevice.DeviceInfo."] = {2, std::vector<std::string>{"Subscriber", "ÄÖ"}};
    s.attributes["InternetGatewayDevice.X."] = {std::nullopt, std::vector<std::string>{}};
    s.attributes["InternetGatewayDevice.Y"] = {-7, std::nullopt};
    s.scheduled_informs = {{-1'000'000'000'000LL, "si-1"}, {1'767'225'600, ""}};
    cpe::Transfer pending;
    pending.method = "Download";
    pending.file_type = "1 Firmware Upgrade Image";
    pending.accepted_unix = 1'767'225'601;
    pending.result.command_key = "dl-1";
    pending.result.fault = {9010, "kept although not completed"};
    cpe::Transfer done = pending;
    done.method = "Upload";
    done.completed = true;
    done.result.start_time = "2026-01-01T00:00:01Z";
    done.result.complete_time = "2026-01-01T00:00:09Z";
    s.transfers = {pending, done};
    s.device_state = {{"instances.WANDevice.1", "1,2,5"}, {"", "empty key"}};
    return s;
}

std::string random_string(std::mt19937& rng, std::size_t max_len) {
    std::uniform_int_distribution<std::size_t> len(0, max_len);
    std::uniform_int_distribution<int> byte(0, 255);
    std::string out(len(rng), '\0');
    for (auto& c : out) c = static_cast<char>(byte(rng));
    return out;
}

}  // namespace

TEST_CASE("state encoding: the fixture leaves no field at its default") {
    // Otherwise a field the encoder forgot would still round-trip.
    const auto s = full_state();
    const cpe::CpeState d;
    CHECK(s.gateway_id != d.gateway_id);
    CHECK(s.bootstrapped != d.bootstrapped);
    CHECK(s.pending_events != d.pending_events);
    CHECK(s.parameter_key != d.parameter_key);
    CHECK(s.device_id.manufacturer != d.device_id.manufacturer);
    CHECK(s.device_id.oui != d.device_id.oui);
    CHECK(s.device_id.product_class != d.device_id.product_class);
    CHECK(s.device_id.serial_number != d.device_id.serial_number);
    CHECK(s.cr_path != d.cr_path);
    CHECK(s.cr_username != d.cr_username);
    CHECK(s.cr_password != d.cr_password);
    CHECK(s.last_cr_url != d.last_cr_url);
    CHECK(s.acs_url != d.acs_url);
    CHECK(s.acs_username != d.acs_username);
    CHECK(s.acs_password != d.acs_password);
    CHECK(s.periodic_enable != d.periodic_enable);
    CHECK(s.periodic_interval != d.periodic_interval);
    CHECK(s.periodic_time != d.periodic_time);
    CHECK(s.upgrades_managed != d.upgrades_managed);
    CHECK(s.deferred_reboot != d.deferred_reboot);
    CHECK(s.attributes != d.attributes);
    CHECK(s.scheduled_informs != d.scheduled_informs);
    CHECK(s.transfers != d.transfers);
    CHECK(s.device_state != d.device_state);
}

TEST_CASE("state encoding: every field round-trips") {
    const auto s = full_state();
    const std::string blob = cpe::encode_state(s);
    CHECK(blob.front() == '\0');
    auto back = cpe::parse_state(blob);
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
    CHECK(*back == s);
    // Field by field, so a failure names the field.
    CHECK(back->deferred_reboot == s.deferred_reboot);
    CHECK(back->acs_password == s.acs_password);
    CHECK(back->transfers == s.transfers);
    CHECK(back->attributes == s.attributes);
    CHECK(back->scheduled_informs == s.scheduled_informs);
    CHECK(back->cr_password == s.cr_password);

    // The default state, and the encoding is a function of the state alone.
    auto def = cpe::parse_state(cpe::encode_state(cpe::CpeState{}));
    REQUIRE(def.ok());
    CHECK(*def == cpe::CpeState{});
    CHECK(cpe::encode_state(*back) == blob);
    // Compact: a fraction of the YAML.
    CHECK(blob.size() * 2 < cpe::serialize(s).size());
}

TEST_CASE("state encoding: random states round-trip") {
    std::mt19937 rng(20260101);
    for (int round = 0; round < 300; ++round) {
        cpe::CpeState s;
        s.gateway_id = random_string(rng, 20);
        s.bootstrapped = rng() & 1;
        for (unsigned n = rng() % 5; n > 0; --n) s.pending_events.push_back({random_string(rng, 30), random_string(rng, 30)});
        s.cr_password = random_string(rng, 200);
        if (rng() & 1) s.acs_username = random_string(rng, 10);
        if (rng() & 1) s.deferred_reboot = random_string(rng, 10);
        s.periodic_interval = 1 + rng() % 100000;
        for (unsigned n = rng() % 4; n > 0; --n) {
            cpe::AttributeRule r;
            if (rng() & 1) r.notification = static_cast<int>(rng());
            if (rng() & 1) r.access_list = std::vector<std::string>(rng() % 3, random_string(rng, 8));
            s.attributes[random_string(rng, 40)] = r;
        }
        for (unsigned n = rng() % 3; n > 0; --n)
            s.scheduled_informs.push_back({static_cast<std::int64_t>(rng()) * (rng() & 1 ? -1 : 1) << 20, random_string(rng, 5)});
        for (unsigned n = rng() % 3; n > 0; --n) {
            cpe::Transfer t;
            t.method = random_string(rng, 8);
            t.completed = rng() & 1;
            t.accepted_unix = static_cast<std::int64_t>(rng()) - (1LL << 31);
            t.result.fault.code = static_cast<std::uint32_t>(rng());
            t.result.fault.string = random_string(rng, 20);
            s.transfers.push_back(t);
        }
        for (unsigned n = rng() % 6; n > 0; --n) s.device_state[random_string(rng, 12)] = random_string(rng, 300);
        auto back = cpe::parse_state(cpe::encode_state(s));
        REQUIRE(back.ok());
        REQUIRE(*back == s);
    }
}

TEST_CASE("state encoding: YAML is still read, from old state files and traces") {
    const auto s = full_state();
    auto from_yaml = cpe::parse_state(cpe::serialize(s));
    REQUIRE(from_yaml.ok());
    // YAML drops what it never held (a transfer's result before completion):
    // converting it to binary keeps everything YAML had.
    auto again = cpe::parse_state(cpe::encode_state(*from_yaml));
    REQUIRE(again.ok());
    CHECK(*again == *from_yaml);
    CHECK(again->deferred_reboot == "reboot-ck");
    auto minimal = cpe::parse_state("format: 1\ngateway_id: GW\nbootstrapped: true\n");
    REQUIRE(minimal.ok());
    CHECK(minimal->gateway_id == "GW");
}

TEST_CASE("state encoding: a damaged blob is refused, whatever the damage") {
    const std::string blob = cpe::encode_state(full_state());
    // Every truncation: the decoder must notice, not read past the end.
    for (std::size_t len = 1; len < blob.size(); ++len) {
        auto r = cpe::parse_state(std::string_view(blob).substr(0, len));
        REQUIRE_MESSAGE(!r.ok(), "a prefix of " << len << " bytes was accepted");
        CHECK(r.error().code == "state.invalid");
    }
    CHECK_FALSE(cpe::parse_state(blob + "x").ok());  // trailing bytes

    std::string newer = blob;
    newer[4] = 2;  // a version this build does not know
    auto r = cpe::parse_state(newer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("unknown CPE state format") != std::string::npos);

    std::string bad_bool = cpe::encode_state(cpe::CpeState{});
    // Magic, version, empty gateway_id (one length byte), then `bootstrapped`.
    bad_bool[6] = 2;
    CHECK_FALSE(cpe::parse_state(bad_bool).ok());

    // A corrupt count cannot make the decoder allocate or loop for it.
    std::string huge_count = cpe::encode_state(cpe::CpeState{});
    huge_count[7] = '\xff';  // pending_events count: a varint that never ends within the blob
    CHECK_FALSE(cpe::parse_state(huge_count).ok());

    // Random corruption is refused or decodes to some state, never crashes.
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::string m = blob;
        for (int k = 0; k < 3; ++k) m[5 + rng() % (m.size() - 5)] = static_cast<char>(rng());
        (void)cpe::parse_state(m);
    }
}

TEST_CASE("state encoding: the interval is checked as in YAML") {
    auto s = full_state();
    s.periodic_interval = 0;
    CHECK_FALSE(cpe::parse_state(cpe::encode_state(s)).ok());
}
