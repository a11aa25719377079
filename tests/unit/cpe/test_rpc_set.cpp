// SetParameterValues (TR-069 A.3.2.1): atomicity across the bridge's own
// parameters and the gateway's, per-parameter faults, type and value checks,
// ParameterKey only on success.
#include <doctest/doctest.h>

#include "tests/unit/cpe/fixture.hpp"

using namespace cpe_test;

namespace {

std::uint32_t code_for(const cwmp::Fault& f, const std::string& name) {
    for (auto& s : f.set_parameter_values_faults)
        if (s.parameter_name == name) return s.fault_code;
    return 0;
}

}  // namespace

TEST_CASE("SetParameterValues on ManagementServer: stored, ParameterKey set, Status 0") {
    Fixture f;
    auto r = f.ok<cwmp::SetParameterValuesResponse>(
        spv({{MS + "PeriodicInformInterval", "900", "xsd:unsignedInt"}, {MS + "PeriodicInformEnable", "0", "xsd:boolean"}},
            "pk-42"));
    CHECK(r.status == 0);
    CHECK(f.state.periodic_interval == 900);
    CHECK_FALSE(f.state.periodic_enable);
    CHECK(f.state.parameter_key == "pk-42");
    CHECK(f.handler.take_changed());
    CHECK(f.handler.effects().periodic_changed);
    CHECK(f.gpv({MS + "ParameterKey"}).at(0).value == "pk-42");
}

TEST_CASE("SetParameterValues accepts what GenieACS and others send") {
    Fixture f;
    SUBCASE("xsd:int for an unsignedInt") {
        f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "PeriodicInformInterval", "60", "xsd:int"}}));
        CHECK(f.state.periodic_interval == 60);
    }
    SUBCASE("no xsi:type at all") {
        f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "PeriodicInformInterval", " +0061 ", ""}}));
        CHECK(f.state.periodic_interval == 61);
    }
    SUBCASE("booleans true/false/1/0") {
        for (auto [in, out] : {std::pair{"true", true}, {"0", false}, {"1", true}, {"false", false}}) {
            f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "PeriodicInformEnable", in, "xsd:boolean"}}));
            CHECK(f.state.periodic_enable == out);
        }
    }
    SUBCASE("dateTime with and without fractions and zones") {
        for (auto t : {"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123456Z", "2024-05-01T10:00:00",
                       "2024-05-01T12:00:00+02:00", "0001-01-01T00:00:00Z"}) {
            f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "PeriodicInformTime", t, "xsd:dateTime"}}));
            CHECK(f.state.periodic_time == t);
        }
    }
}

TEST_CASE("SetParameterValues faults, one SetParameterValuesFault per bad parameter") {
    Fixture f;
    auto before = f.state;
    auto fault = f.fault(spv({
        {MS + "PeriodicInformInterval", "15", "xsd:string"},  // 9006 type mismatch
        {MS + "PeriodicInformEnable", "yes", "xsd:boolean"},  // 9007 bad boolean
        {MS + "ParameterKey", "x", "xsd:string"},             // 9008 read-only
        {MS + "NoSuch", "x", "xsd:string"},                   // 9005 unknown
        {DI + "Manufacturer", "x", "xsd:string"},             // 9008 read-only device parameter
        {IGD + "X_TEST.Counter", "abc", "xsd:int"},           // 9007 not an int
        {IGD + "X_TEST.Flag", "true", "xsd:string"},          // 9006
        {IGD + "Nope.Deeper", "1", "xsd:string"},             // 9005
        {DI, "1", "xsd:string"},                              // 9005 an object
        {MS + "URL", "http://new-acs.example/cwmp", "xsd:string"},  // fine, but must not be applied
    }));
    CHECK(fault.code == 9003);
    CHECK(cwmp::is_client_fault(fault.code));
    CHECK(fault.set_parameter_values_faults.size() == 9);
    CHECK(code_for(fault, MS + "PeriodicInformInterval") == 9006);
    CHECK(code_for(fault, MS + "PeriodicInformEnable") == 9007);
    CHECK(code_for(fault, MS + "ParameterKey") == 9008);
    CHECK(code_for(fault, MS + "NoSuch") == 9005);
    CHECK(code_for(fault, DI + "Manufacturer") == 9008);
    CHECK(code_for(fault, IGD + "X_TEST.Counter") == 9007);
    CHECK(code_for(fault, IGD + "X_TEST.Flag") == 9006);
    CHECK(code_for(fault, IGD + "Nope.Deeper") == 9005);
    CHECK(code_for(fault, DI) == 9005);
    CHECK(code_for(fault, MS + "URL") == 0);
    CHECK(f.state == before);  // nothing applied, ParameterKey untouched
    CHECK_FALSE(f.handler.changed());
    CHECK(f.dev.log.empty());
}

TEST_CASE("SetParameterValues value ranges and facets of the bridge's own parameters") {
    Fixture f;
    auto one = [&](cwmp::ParameterValue pv) {
        auto fault = f.fault(spv({pv}));
        REQUIRE(fault.set_parameter_values_faults.size() == 1);
        return fault.set_parameter_values_faults[0].fault_code;
    };
    CHECK(one({MS + "PeriodicInformInterval", "0", "xsd:unsignedInt"}) == 9007);
    CHECK(one({MS + "PeriodicInformInterval", "-1", "xsd:int"}) == 9007);
    CHECK(one({MS + "PeriodicInformInterval", "4294967296", "xsd:unsignedInt"}) == 9007);
    CHECK(one({MS + "PeriodicInformTime", "2024-13-01T00:00:00Z", "xsd:dateTime"}) == 9007);
    CHECK(one({MS + "PeriodicInformTime", "yesterday", "xsd:dateTime"}) == 9007);
    CHECK(one({MS + "URL", "ftp://acs.example/", "xsd:string"}) == 9007);
    CHECK(one({MS + "URL", "not a url", "xsd:string"}) == 9007);
    CHECK(one({MS + "Username", std::string(257, 'u'), "xsd:string"}) == 9007);
    CHECK(one({MS + "ConnectionRequestURL", "http://x/", "xsd:string"}) == 9008);
    CHECK(one({IGD + "DeviceSummary", "x", "xsd:string"}) == 9008);
    CHECK(one({IGD + "X_TEST.Counter", "2147483648", "xsd:int"}) == 9007);
    CHECK(one({IGD + "X_TEST.Blob", "abc", "xsd:base64"}) == 9007);
}

TEST_CASE("SetParameterValues argument faults") {
    Fixture f;
    auto dup = f.fault(spv({{MS + "Username", "a", "xsd:string"}, {MS + "Username", "b", "xsd:string"}}));
    CHECK(dup.code == 9003);
    CHECK(dup.set_parameter_values_faults.empty());
    CHECK(f.fault(spv({{MS + "Username", "a", "xsd:string"}}, std::string(33, 'k'))).code == 9003);
    CHECK(f.state.acs_username == std::nullopt);
    // 32 characters is the limit, not beyond it.
    f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "Username", "a", "xsd:string"}}, std::string(32, 'k')));
}

TEST_CASE("SetParameterValues mixing local and device parameters is atomic") {
    Fixture f;
    SUBCASE("both applied") {
        auto r = f.ok<cwmp::SetParameterValuesResponse>(spv({{IGD + "Time.NTPServer1", "ntp.example", "xsd:string"},
                                                             {MS + "PeriodicInformInterval", "120", "xsd:unsignedInt"},
                                                             {IGD + "X_TEST.Flag", "1", "xsd:boolean"},
                                                             {IGD + "X_TEST.Counter", "+007", "xsd:int"}},
                                                            "mixed"));
        CHECK(r.status == 0);
        CHECK(f.dev.value(IGD + "Time.NTPServer1") == "ntp.example");
        // The device gets canonical values and the data model's types.
        CHECK(f.dev.value(IGD + "X_TEST.Flag") == "true");
        CHECK(f.dev.value(IGD + "X_TEST.Counter") == "7");
        CHECK(std::count(f.dev.log.begin(), f.dev.log.end(), "set " + IGD + "X_TEST.Flag=true (xsd:boolean)") == 1);
        CHECK(f.state.periodic_interval == 120);
        CHECK(f.state.parameter_key == "mixed");
    }
    SUBCASE("a device failure changes nothing local") {
        f.dev.set_value_faults[IGD + "Time.NTPServer1"] = 9007;
        auto fault = f.fault(spv({{IGD + "Time.NTPServer1", "bad", "xsd:string"},
                                  {MS + "PeriodicInformInterval", "120", "xsd:unsignedInt"}},
                                 "mixed"));
        CHECK(fault.code == 9003);
        CHECK(code_for(fault, IGD + "Time.NTPServer1") == 9007);
        CHECK(f.state.periodic_interval == 3600);
        CHECK(f.state.parameter_key.empty());
        CHECK_FALSE(f.handler.changed());
    }
    SUBCASE("a gateway that cannot be reached") {
        f.dev.async = true;
        f.dev.fail_set = cwmp::Fault{9002, "Internal error: gateway unreachable", {}};
        auto fault = f.fault(spv({{IGD + "Time.NTPServer1", "x", "xsd:string"}, {MS + "Username", "u", "xsd:string"}}));
        CHECK(fault.code == 9002);
        CHECK_FALSE(f.state.acs_username);
    }
}

TEST_CASE("SetParameterValues reports the effects the driver must act on") {
    Fixture f;
    f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "URL", "http://acs.example.net/cwmp", "xsd:string"}}));
    CHECK_FALSE(f.handler.effects().acs_url_changed);  // same URL as configured
    f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "URL", "https://acs2.example.net/", "xsd:string"}}));
    CHECK(f.handler.effects().acs_url_changed);
    CHECK(f.state.acs_url == "https://acs2.example.net/");
    f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "ConnectionRequestUsername", "u2", "xsd:string"},
                                                {MS + "ConnectionRequestPassword", "p2", "xsd:string"},
                                                {MS + "Password", "acs-secret", "xsd:string"}}));
    CHECK(f.handler.effects().cr_credentials_changed);
    CHECK(f.state.cr_username == "u2");
    CHECK(f.state.cr_password == "p2");
    CHECK(f.state.acs_password == std::optional<std::string>("acs-secret"));
    CHECK(f.gpv({MS + "ConnectionRequestPassword"}).at(0).value.empty());
}

TEST_CASE("SetParameterValues Status 1 when the gateway applies changes later") {
    Fixture f;
    f.dev.apply_later = true;
    CHECK(f.ok<cwmp::SetParameterValuesResponse>(spv({{IGD + "Time.NTPServer1", "x", "xsd:string"}})).status == 1);
    // Local values are applied at once whatever the gateway does.
    CHECK(f.ok<cwmp::SetParameterValuesResponse>(spv({{MS + "Username", "x", "xsd:string"}})).status == 0);
}

TEST_CASE("SetParameterValues on rows the device only knows dynamically") {
    Fixture f;
    f.dev.dynamic_rows = true;
    f.dev.async = true;
    f.ok<cwmp::SetParameterValuesResponse>(spv({{HOST + "2.HostName", "printer", "xsd:string"}}));
    CHECK(f.dev.value(HOST + "2.HostName") == "printer");
    auto fault = f.fault(spv({{HOST + "9.HostName", "x", "xsd:string"}, {HOST + "1.Active", "0", "xsd:boolean"}}));
    CHECK(code_for(fault, HOST + "9.HostName") == 9005);
    CHECK(code_for(fault, HOST + "1.Active") == 9008);
}

TEST_CASE("SetParameterValues with an empty list only sets the ParameterKey") {
    Fixture f;
    f.ok<cwmp::SetParameterValuesResponse>(spv({}, "only-key"));
    CHECK(f.state.parameter_key == "only-key");
}
