// The persisted CPE state, value syntax and attribute rules.
#include <doctest/doctest.h>

#include "bridge/cpe/attributes.hpp"
#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cpe/value_syntax.hpp"

TEST_CASE("CpeState round-trips through YAML with every field") {
    cpe::CpeState s;
    s.gateway_id = "GW-1";
    s.bootstrapped = true;
    s.pending_events = {{"1 BOOT", ""}, {"M Reboot", "rb: 1"}};
    s.parameter_key = "pk \"quoted\"";
    s.device_id = {"Maker", "00D09E", "RG", "SN1"};
    s.cr_path = "path";
    s.cr_username = "u";
    s.cr_password = "p: w";
    s.last_cr_url = "http://b/path";
    s.acs_url = "https://acs/";
    s.acs_username = "";
    s.acs_password = "secret";
    s.periodic_enable = false;
    s.periodic_interval = 77;
    s.periodic_time = "2024-01-01T00:00:00Z";
    s.upgrades_managed = true;
    s.attributes["IGD.A."].notification = 1;
    s.attributes["IGD.A.B"].access_list = std::vector<std::string>{"Subscriber"};
    s.attributes["IGD.C"] = {2, std::vector<std::string>{}};
    s.scheduled_informs = {{1700000000, "si"}};
    cpe::Transfer running;
    running.method = "Download";
    running.file_type = "1 Firmware Upgrade Image";
    running.accepted_unix = 1700000001;
    running.result.command_key = "dl";
    cpe::Transfer done = running;
    done.method = "Upload";
    done.completed = true;
    done.result = {"up", {9011, "Upload failure"}, "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"};
    s.transfers = {running, done};
    s.device_state = {{"next.IGD.Host.", "4"}};
    auto parsed = cpe::parse_state(cpe::serialize(s));
    REQUIRE(parsed);
    CHECK(*parsed == s);
}

TEST_CASE("CpeState from an older file: defaults for what it lacks") {
    auto parsed = cpe::parse_state("format: 1\ngateway_id: GW\nbootstrapped: true\n");
    REQUIRE(parsed);
    CHECK(parsed->bootstrapped);
    CHECK(parsed->periodic_interval == 3600);
    CHECK_FALSE(parsed->acs_username);
    CHECK(parsed->attributes.empty());
    CHECK_FALSE(cpe::parse_state("format: 2\n"));
    CHECK_FALSE(cpe::parse_state("- a list\n"));
    CHECK_FALSE(cpe::parse_state("format: 1\nperiodic_inform: {interval: -5}\n"));
}

TEST_CASE("canonical values per XML Schema type") {
    using cpe::canonical_value;
    CHECK(canonical_value("xsd:unsignedInt", " +007 ") == "7");
    CHECK(canonical_value("xsd:unsignedInt", "4294967295") == "4294967295");
    CHECK_FALSE(canonical_value("xsd:unsignedInt", "4294967296"));
    CHECK_FALSE(canonical_value("xsd:unsignedInt", "-1"));
    CHECK(canonical_value("xsd:unsignedInt", "-0") == "0");
    CHECK(canonical_value("xsd:int", "-2147483648") == "-2147483648");
    CHECK_FALSE(canonical_value("xsd:int", "2147483648"));
    CHECK(canonical_value("xsd:long", "-9223372036854775808") == "-9223372036854775808");
    CHECK_FALSE(canonical_value("xsd:long", "9223372036854775808"));
    CHECK(canonical_value("xsd:unsignedLong", "18446744073709551615") == "18446744073709551615");
    CHECK_FALSE(canonical_value("xsd:unsignedLong", "18446744073709551616"));
    CHECK_FALSE(canonical_value("xsd:int", "1.5"));
    CHECK_FALSE(canonical_value("xsd:int", ""));
    CHECK(canonical_value("xsd:boolean", "1") == "true");
    CHECK(canonical_value("xsd:boolean", " false ") == "false");
    CHECK_FALSE(canonical_value("xsd:boolean", "TRUE"));
    CHECK(canonical_value("xsd:dateTime", "2024-02-29T23:59:59.5+01:00") == "2024-02-29T23:59:59.5+01:00");
    CHECK_FALSE(canonical_value("xsd:dateTime", "2023-02-29T00:00:00Z"));
    CHECK_FALSE(canonical_value("xsd:dateTime", "2024-01-01 00:00:00"));
    CHECK(canonical_value("xsd:base64", "QUJD") == "QUJD");
    CHECK(canonical_value("xsd:base64", "QQ==") == "QQ==");
    CHECK_FALSE(canonical_value("xsd:base64", "QQ=A"));
    CHECK(canonical_value("xsd:hexBinary", "00ff") == "00ff");
    CHECK_FALSE(canonical_value("xsd:hexBinary", "0g"));
    CHECK(canonical_value("xsd:string", "  kept  ") == "  kept  ");
}

TEST_CASE("xsi:type compatibility") {
    CHECK(cpe::type_compatible("", "xsd:unsignedInt"));
    CHECK(cpe::type_compatible("xsd:unsignedInt", "xsd:unsignedInt"));
    CHECK(cpe::type_compatible("xsd:int", "xsd:unsignedInt"));
    CHECK(cpe::type_compatible("xs:unsignedLong", "xsd:unsignedInt"));
    CHECK_FALSE(cpe::type_compatible("xsd:string", "xsd:unsignedInt"));
    CHECK_FALSE(cpe::type_compatible("xsd:boolean", "xsd:string"));
    CHECK_FALSE(cpe::type_compatible("xsd:dateTime", "xsd:string"));
}

TEST_CASE("xsd:dateTime to Unix seconds") {
    CHECK(cpe::parse_date_time("1970-01-01T00:00:00Z") == 0);
    CHECK(cpe::parse_date_time("2024-01-01T00:00:00Z") == 1704067200);
    CHECK(cpe::parse_date_time("2024-01-01T01:00:00+01:00") == 1704067200);
    CHECK(cpe::parse_date_time("2023-12-31T19:00:00.999-05:00") == 1704067200);
    CHECK(cpe::parse_date_time("2024-01-01T00:00:00") == 1704067200);
    CHECK(cpe::parse_date_time("0001-01-01T00:00:00Z") == -62135596800);
    CHECK(cpe::is_unknown_time("0001-01-01T00:00:00Z"));
    CHECK_FALSE(cpe::is_unknown_time("2001-01-01T00:00:00Z"));
    CHECK_FALSE(cpe::parse_date_time("2024-01-01T24:00:01Z"));
    CHECK_FALSE(cpe::parse_date_time("2024-01-01T00:00:00Zjunk"));
}

TEST_CASE("attribute rules: most specific wins, partial paths clear what they cover") {
    cpe::AttributeRules rules;
    using AN = cpe::ActiveNotify;
    auto set = [&](std::string name, int n) {
        cwmp::SetParameterAttributesStruct s;
        s.name = std::move(name);
        s.notification_change = true;
        s.notification = n;
        cpe::apply_attribute(rules, s);
    };
    CHECK(cpe::effective_notification(rules, "R.A.x", AN::normal) == 0);
    CHECK(cpe::effective_notification(rules, "R.A.x", AN::force_default_enabled) == 2);
    set("R.A.", 1);
    set("R.A.B.y", 2);
    CHECK(cpe::effective_notification(rules, "R.A.x", AN::normal) == 1);
    CHECK(cpe::effective_notification(rules, "R.A.B.y", AN::normal) == 2);
    CHECK(cpe::effective_notification(rules, "R.A.B.z", AN::normal) == 1);
    CHECK(cpe::effective_notification(rules, "R.AB", AN::normal) == 0);  // a name prefix is not a path prefix
    CHECK(cpe::effective_notification(rules, "R.A.x", AN::force_enabled) == 2);
    CHECK(cpe::effective_notification(rules, "R.A.x", AN::force_default_enabled) == 1);
    set("R.", 0);
    CHECK(rules.size() == 1);
    CHECK(cpe::effective_notification(rules, "R.A.B.y", AN::normal) == 0);
    CHECK(cpe::standard_active_notify("InternetGatewayDevice.", "InternetGatewayDevice.DeviceInfo.SoftwareVersion") ==
          AN::force_enabled);
    CHECK(cpe::standard_active_notify("Device.", "Device.DeviceInfo.SoftwareVersion") == AN::normal);
    CHECK(cpe::standard_active_notify("Device.", "Device.DeviceInfo.UpTime") == AN::can_deny);
    CHECK(cpe::stronger(AN::can_deny, AN::force_enabled) == AN::force_enabled);
}
