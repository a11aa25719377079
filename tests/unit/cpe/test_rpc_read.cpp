// GetRPCMethods, GetParameterNames and GetParameterValues against the
// in-memory device: TR-069 A.3.1.1, A.3.2.2, A.3.2.3 and the merge of the
// bridge's own ManagementServer.* with the gateway's tree.
#include <doctest/doctest.h>

#include "tests/unit/cpe/fixture.hpp"

using namespace cpe_test;

namespace {

std::vector<std::string> names_of(const std::vector<cwmp::ParameterInfo>& v) {
    std::vector<std::string> out;
    for (auto& p : v) out.push_back(p.name);
    return out;
}

}  // namespace

TEST_CASE("GetRPCMethods lists exactly the implemented methods") {
    Fixture f;
    auto r = f.ok<cwmp::GetRPCMethodsResponse>(cwmp::GetRPCMethods{});
    CHECK(r.methods == std::vector<std::string>{"GetRPCMethods", "GetParameterNames", "GetParameterValues",
                                                "SetParameterValues", "GetParameterAttributes", "SetParameterAttributes",
                                                "AddObject", "DeleteObject", "Reboot", "FactoryReset", "Download",
                                                "Upload", "ScheduleInform"});
    // Every listed method is answered with something other than 9000.
    for (auto& m : r.methods) CHECK(m != "GetQueuedTransfers");
}

TEST_CASE("GetParameterNames: empty path") {
    Fixture f;
    SUBCASE("NextLevel true lists only the root object") {
        auto r = f.gpn("", true);
        REQUIRE(r.size() == 1);
        CHECK(r[0].name == IGD);
        CHECK_FALSE(r[0].writable);
    }
    SUBCASE("NextLevel false lists the whole tree including the root") {
        auto r = f.gpn("", false);
        auto n = names_of(r);
        CHECK(n.front() == IGD);
        for (auto want : {IGD + "DeviceSummary", DI, DI + "SerialNumber", MS, MS + "URL", MS + "ParameterKey", HOST,
                          HOST + "1.", HOST + "2.HostName"})
            CHECK_MESSAGE(std::count(n.begin(), n.end(), want) == 1, want);
    }
}

TEST_CASE("GetParameterNames: NextLevel true lists only the next level") {
    Fixture f;
    auto r = f.gpn(IGD, true);
    auto n = names_of(r);
    for (auto want : {IGD + "DeviceSummary", DI, MS, IGD + "Time.", IGD + "X_TEST.", IGD + "LANDevice.", IGD + "WANDevice."})
        CHECK_MESSAGE(std::count(n.begin(), n.end(), want) == 1, want);
    for (auto& name : n) {
        auto rest = name.substr(IGD.size());
        auto dot = rest.find('.');
        CHECK_MESSAGE((dot == std::string::npos || dot == rest.size() - 1), name);
    }
    CHECK(find(r, DI)->writable == false);
}

TEST_CASE("GetParameterNames: partial path, NextLevel false includes the object itself") {
    Fixture f;
    auto r = f.gpn(DI, false);
    auto n = names_of(r);
    CHECK(n.front() == DI);
    CHECK(std::count(n.begin(), n.end(), DI + "UpTime") == 1);
    CHECK(std::none_of(n.begin(), n.end(), [](auto& x) { return x.find("ManagementServer") != std::string::npos; }));
}

TEST_CASE("GetParameterNames: a parameter") {
    Fixture f;
    auto r = f.gpn(IGD + "Time.NTPServer1", false);
    REQUIRE(r.size() == 1);
    CHECK(r[0].writable);
    CHECK(f.fault(cwmp::GetParameterNames{IGD + "Time.NTPServer1", true}).code == 9003);
    CHECK(f.fault(cwmp::GetParameterNames{MS + "URL", true}).code == 9003);
    auto local = f.gpn(MS + "ParameterKey", false);
    REQUIRE(local.size() == 1);
    CHECK_FALSE(local[0].writable);
}

TEST_CASE("GetParameterNames: unknown paths are 9005") {
    Fixture f;
    CHECK(f.fault(cwmp::GetParameterNames{IGD + "Nope.", false}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterNames{IGD + "Nope", false}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterNames{MS + "Nope", false}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterNames{MS + "Nope.", true}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterNames{"Device.", true}).code == 9005);
    auto fault = f.fault(cwmp::GetParameterNames{"Device.", true});
    CHECK(cwmp::is_client_fault(fault.code));
}

TEST_CASE("GetParameterNames: ManagementServer is the bridge's, with its writability") {
    Fixture f;
    // A gateway that also maps something under ManagementServer never shows through.
    f.dev.add(MS + "URL", "http://gateway-view/", "xsd:string", true);
    f.dev.add(MS + "X_GW_Thing", "x", "xsd:string");
    auto r = f.gpn(MS, true);
    CHECK(names_of(r) == std::vector<std::string>{MS + "URL", MS + "Username", MS + "Password",
                                                  MS + "PeriodicInformEnable", MS + "PeriodicInformInterval",
                                                  MS + "PeriodicInformTime", MS + "ParameterKey",
                                                  MS + "ConnectionRequestURL", MS + "ConnectionRequestUsername",
                                                  MS + "ConnectionRequestPassword", MS + "UpgradesManaged"});
    CHECK(find(r, MS + "URL")->writable);
    CHECK_FALSE(find(r, MS + "ConnectionRequestURL")->writable);
    auto all = names_of(f.gpn(IGD, false));
    CHECK(std::count(all.begin(), all.end(), MS) == 1);
    CHECK(std::count(all.begin(), all.end(), MS + "URL") == 1);
    CHECK(std::count(all.begin(), all.end(), MS + "X_GW_Thing") == 0);
    auto v = f.gpv({MS + "URL"});
    CHECK(v.at(0).value == "http://acs.example.net/cwmp");
}

TEST_CASE("GetParameterNames: tables list their instances, writable for Add/DeleteObject") {
    Fixture f;
    auto r = f.gpn(HOST, true);
    CHECK(names_of(r) == std::vector<std::string>{HOST + "1.", HOST + "2."});
    CHECK(r[0].writable);
    auto row = f.gpn(HOST + "1.", true);
    CHECK(names_of(row) == std::vector<std::string>{HOST + "1.Active", HOST + "1.HostName"});
}

TEST_CASE("GetParameterValues: exact and partial paths, types from the data model") {
    Fixture f;
    auto v = f.gpv({DI + "UpTime", IGD + "X_TEST."});
    REQUIRE(v.size() == 7);
    CHECK(v[0].name == DI + "UpTime");
    CHECK(v[0].type == "xsd:unsignedInt");
    CHECK(find(v, IGD + "X_TEST.Flag")->type == "xsd:boolean");
    CHECK(find(v, IGD + "X_TEST.When")->type == "xsd:dateTime");
}

TEST_CASE("GetParameterValues: the answer follows the request order") {
    Fixture f;
    auto v = f.gpv({MS + "PeriodicInformInterval", DI + "SerialNumber", IGD + "DeviceSummary"});
    REQUIRE(v.size() == 3);
    CHECK(v[0].name == MS + "PeriodicInformInterval");
    CHECK(v[0].type == "xsd:unsignedInt");
    CHECK(v[0].value == "3600");
    CHECK(v[1].value == "SN0001");
    CHECK(v[2].value == "InternetGatewayDevice:1.4[](Baseline:1)");
}

TEST_CASE("GetParameterValues: each value goes under the first request name it answers, locals included") {
    Fixture f;
    // SerialNumber and UpTime answer an earlier name too (DI): they go with it, in the device's
    // order (the test device's: sorted).
    auto v = f.gpv({DI + "SerialNumber", MS + "ParameterKey", DI, IGD + "DeviceSummary", DI + "UpTime"});
    std::vector<std::string> names;
    for (auto& p : v) names.push_back(p.name);
    CHECK(names == std::vector<std::string>{DI + "SerialNumber", DI + "SerialNumber", MS + "ParameterKey",
                                            DI + "HardwareVersion", DI + "Manufacturer", DI + "ManufacturerOUI",
                                            DI + "ProductClass", DI + "SoftwareVersion", DI + "UpTime",
                                            DI + "UpTime", IGD + "DeviceSummary"});
}

TEST_CASE("GetParameterValues: ManagementServer values come from the CPE's state") {
    Fixture f;
    f.state.parameter_key = "pk";
    f.state.periodic_enable = false;
    auto v = f.gpv({MS});
    CHECK(find(v, MS + "ParameterKey")->value == "pk");
    CHECK(find(v, MS + "PeriodicInformEnable")->value == "false");
    CHECK(find(v, MS + "PeriodicInformEnable")->type == "xsd:boolean");
    CHECK(find(v, MS + "PeriodicInformTime")->value == "0001-01-01T00:00:00Z");
    CHECK(find(v, MS + "ConnectionRequestURL")->value == "http://bridge.example.net:7548/tok");
    CHECK(find(v, MS + "ConnectionRequestUsername")->value == "cr-user");
    // Passwords read back empty (TR-098).
    CHECK(find(v, MS + "ConnectionRequestPassword")->value.empty());
    CHECK(find(v, MS + "Password")->value.empty());
    CHECK(find(v, MS + "Username")->value == "acs-user");
}

TEST_CASE("GetParameterValues: empty name is the whole tree, locals included") {
    Fixture f;
    auto v = f.gpv({""});
    CHECK(find(v, DI + "SerialNumber"));
    CHECK(find(v, MS + "URL"));
    CHECK(find(v, IGD + "DeviceSummary"));
    CHECK(find(v, HOST + "2.HostName"));
}

TEST_CASE("GetParameterValues: faults") {
    Fixture f;
    CHECK(f.fault(cwmp::GetParameterValues{{DI + "Nope"}}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterValues{{DI + "SerialNumber", IGD + "Nope."}}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterValues{{MS + "Nope"}}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterValues{{"Device.DeviceInfo."}}).code == 9005);
    CHECK(f.fault(cwmp::GetParameterValues{{}}).code == 9003);
    f.dev.fail_get = cwmp::Fault{9002, "gateway down", {}};
    auto fault = f.fault(cwmp::GetParameterValues{{DI}});
    CHECK(fault.code == 9002);
    CHECK_FALSE(cwmp::is_client_fault(fault.code));
    // Locals need no gateway.
    CHECK(f.gpv({MS + "URL"}).size() == 1);
}

TEST_CASE("reads work the same when every device operation needs a CMP call") {
    Fixture sync_f, async_f;
    async_f.dev.async = true;
    CHECK(async_f.gpv({""}) == sync_f.gpv({""}));
    CHECK(async_f.gpn(IGD, false) == sync_f.gpn(IGD, false));
    CHECK(async_f.dev.fake_calls >= 2);
    CHECK(async_f.fault(cwmp::GetParameterValues{{DI + "Nope"}}).code == 9005);
}

TEST_CASE("an unknown RPC is fault 9000") {
    Fixture f;
    auto fault = f.fault(cwmp::UnknownRpc{"X_VENDOR_Frobnicate", "urn:dslforum-org:cwmp-1-0"});
    CHECK(fault.code == 9000);
    CHECK_FALSE(cwmp::is_client_fault(fault.code));
    CHECK(f.fault(cwmp::GetParameterValuesResponse{}).code == 9000);
}

TEST_CASE("may_name_local: which requested names can reach the bridge's own parameters") {
    cpe::LocalContext c;
    c.root = "InternetGatewayDevice.";
    CHECK(cpe::may_name_local(c, "InternetGatewayDevice."));
    CHECK(cpe::may_name_local(c, "InternetGatewayDevice.ManagementServer."));
    CHECK(cpe::may_name_local(c, "InternetGatewayDevice.DeviceSummary"));
    CHECK_FALSE(cpe::may_name_local(c, "InternetGatewayDevice.DeviceInfo."));
    CHECK_FALSE(cpe::may_name_local(c, "InternetGatewayDevice.DeviceInfo.Manufacturer"));
    CHECK_FALSE(cpe::may_name_local(c, "InternetGatewayDevice.ManagementServer"));  // not partial, not a parameter
    CHECK_FALSE(cpe::may_name_local(c, "Device."));
    CHECK(cpe::is_local_path(c, "InternetGatewayDevice.ManagementServer.ParameterKey"));
    CHECK_FALSE(cpe::is_local_path(c, "InternetGatewayDevice.ManagementServerX.URL"));
    CHECK_FALSE(cpe::is_local_path(c, "InternetGatewayDevice."));

    // A GPV of gateway values only still answers them; one of the whole tree still has the locals.
    Fixture f;
    auto only = f.gpv({DI});
    CHECK_FALSE(only.empty());
    for (auto& v : only) CHECK_FALSE(v.name.find("ManagementServer.") != std::string::npos);
    auto all = f.gpv({IGD});
    CHECK(std::any_of(all.begin(), all.end(), [](auto& v) { return v.name == IGD + "ManagementServer.URL"; }));
}
