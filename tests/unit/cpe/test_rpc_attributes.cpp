// Get/SetParameterAttributes (TR-069 A.3.2.4, A.3.2.5): stored rules,
// partial paths, forced and refused active notification, atomicity, and the
// gateway hearing about notification changes.
#include <doctest/doctest.h>

#include "tests/unit/cpe/fixture.hpp"

using namespace cpe_test;

namespace {

cwmp::SetParameterAttributesStruct notif(std::string name, int n) {
    cwmp::SetParameterAttributesStruct s;
    s.name = std::move(name);
    s.notification_change = true;
    s.notification = n;
    return s;
}

std::map<std::string, cwmp::ParameterAttribute> gpa(Fixture& f, std::vector<std::string> names) {
    std::map<std::string, cwmp::ParameterAttribute> out;
    for (auto& a : f.ok<cwmp::GetParameterAttributesResponse>(cwmp::GetParameterAttributes{std::move(names)}).parameters)
        out[a.name] = a;
    return out;
}

}  // namespace

TEST_CASE("GetParameterAttributes defaults") {
    Fixture f;
    auto a = gpa(f, {DI, MS});
    CHECK(a.at(DI + "SerialNumber").notification == 0);
    CHECK(a.at(DI + "SerialNumber").access_list.empty());
    // TR-098: SoftwareVersion and ConnectionRequestURL are always active.
    CHECK(a.at(DI + "SoftwareVersion").notification == 2);
    CHECK(a.at(MS + "ConnectionRequestURL").notification == 2);
    CHECK(a.at(MS + "URL").notification == 0);
    // Partial paths list parameters only.
    CHECK(a.count(DI) == 0);
    CHECK(a.count(MS) == 0);
    CHECK(f.fault(cwmp::GetParameterAttributes{{DI + "Nope"}}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterAttributes{{}}).code == 9003);
}

TEST_CASE("SetParameterAttributes stores notification and access list, and tells the gateway") {
    Fixture f;
    cwmp::SetParameterAttributesStruct s = notif(IGD + "Time.NTPServer1", 1);
    s.access_list_change = true;
    s.access_list = {"Subscriber"};
    f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{s}});
    CHECK(f.handler.take_changed());
    auto a = gpa(f, {IGD + "Time.NTPServer1"});
    CHECK(a.at(IGD + "Time.NTPServer1").notification == 1);
    CHECK(a.at(IGD + "Time.NTPServer1").access_list == std::vector<std::string>{"Subscriber"});
    CHECK(f.dev.log == std::vector<std::string>{"notify " + IGD + "Time.NTPServer1 1"});
    CHECK(f.state.attributes.at(IGD + "Time.NTPServer1").notification == 1);
    // Changing only the access list keeps the notification.
    cwmp::SetParameterAttributesStruct acl;
    acl.name = IGD + "Time.NTPServer1";
    acl.access_list_change = true;
    f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{acl}});
    a = gpa(f, {IGD + "Time.NTPServer1"});
    CHECK(a.at(IGD + "Time.NTPServer1").notification == 1);
    CHECK(a.at(IGD + "Time.NTPServer1").access_list.empty());
    CHECK(f.dev.log.size() == 1);  // no notification change, nothing to tell
}

TEST_CASE("SetParameterAttributes on a partial path covers everything below, later rows too") {
    Fixture f;
    f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{notif(HOST, 1)}});
    auto a = gpa(f, {HOST});
    CHECK(a.size() == 4);
    for (auto& [name, attr] : a) CHECK(attr.notification == 1);
    f.ok<cwmp::AddObjectResponse>(cwmp::AddObject{HOST, ""});
    CHECK(gpa(f, {HOST + "3.HostName"}).at(HOST + "3.HostName").notification == 1);
    // A more specific rule wins, until the partial path is set again.
    f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{notif(HOST + "1.HostName", 2)}});
    CHECK(gpa(f, {HOST + "1.HostName"}).at(HOST + "1.HostName").notification == 2);
    CHECK(gpa(f, {HOST + "2.HostName"}).at(HOST + "2.HostName").notification == 1);
    f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{notif(HOST, 0)}});
    CHECK(gpa(f, {HOST + "1.HostName"}).at(HOST + "1.HostName").notification == 0);
    CHECK(f.state.attributes.size() == 1);
    CHECK(f.handler.notification_of(HOST + "1.HostName") == 0);
}

TEST_CASE("SetParameterAttributes: forced and refused active notification (9009)") {
    Fixture f;
    SUBCASE("active notification on a counter the model lets the CPE refuse") {
        auto fault = f.fault(cwmp::SetParameterAttributes{{notif(DI + "UpTime", 2)}});
        CHECK(fault.code == 9009);
        CHECK_FALSE(cwmp::is_client_fault(fault.code));
        CHECK(f.fault(cwmp::SetParameterAttributes{{notif(MS + "ParameterKey", 2)}}).code == 9009);
        // The device can add its own: X_TEST.Busy is can_deny in the device's model.
        CHECK(f.fault(cwmp::SetParameterAttributes{{notif(IGD + "X_TEST.Busy", 2)}}).code == 9009);
        // ... also when named through a partial path.
        CHECK(f.fault(cwmp::SetParameterAttributes{{notif(DI, 2)}}).code == 9009);
        // Passive is fine.
        f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{notif(DI + "UpTime", 1)}});
    }
    SUBCASE("turning down a force-enabled parameter") {
        CHECK(f.fault(cwmp::SetParameterAttributes{{notif(DI + "SoftwareVersion", 0)}}).code == 9009);
        CHECK(f.fault(cwmp::SetParameterAttributes{{notif(MS + "ConnectionRequestURL", 1)}}).code == 9009);
        // A partial path leaves it at 2.
        f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{notif(DI, 1)}});
        auto a = gpa(f, {DI});
        CHECK(a.at(DI + "SoftwareVersion").notification == 2);
        CHECK(a.at(DI + "HardwareVersion").notification == 1);
    }
    SUBCASE("lightweight notification is not supported") {
        CHECK(f.fault(cwmp::SetParameterAttributes{{notif(DI + "HardwareVersion", 3)}}).code == 9009);
    }
}

TEST_CASE("SetParameterAttributes is all or nothing") {
    Fixture f;
    SUBCASE("an unknown name") {
        auto fault = f.fault(cwmp::SetParameterAttributes{{notif(DI + "HardwareVersion", 1), notif(DI + "Nope", 1)}});
        CHECK(fault.code == 9005);
    }
    SUBCASE("a bad access list entry") {
        cwmp::SetParameterAttributesStruct s;
        s.name = DI + "HardwareVersion";
        s.access_list_change = true;
        s.access_list = {"Subscriber", "Everyone"};
        CHECK(f.fault(cwmp::SetParameterAttributes{{notif(DI + "SerialNumber", 1), s}}).code == 9003);
    }
    SUBCASE("the gateway refuses the second item: the first is told back") {
        f.dev.async = true;
        f.dev.refuse_notification.insert(DI + "SerialNumber");
        auto fault = f.fault(cwmp::SetParameterAttributes{{notif(DI + "HardwareVersion", 1), notif(DI + "SerialNumber", 1)}});
        CHECK(fault.code == 9009);
        CHECK(f.dev.log == std::vector<std::string>{"notify " + DI + "HardwareVersion 1", "notify " + DI + "HardwareVersion 0"});
    }
    CHECK(f.state.attributes.empty());
    CHECK(gpa(f, {DI + "HardwareVersion"}).at(DI + "HardwareVersion").notification == 0);
    CHECK_FALSE(f.handler.changed());
}

TEST_CASE("SetParameterAttributes on local parameters does not bother the gateway") {
    Fixture f;
    f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{notif(MS + "PeriodicInformInterval", 1)}});
    CHECK(f.dev.log.empty());
    CHECK(gpa(f, {MS + "PeriodicInformInterval"}).at(MS + "PeriodicInformInterval").notification == 1);
}
