// The Inform: DeviceId, forced parameters per root model, transfer events,
// notified values.
#include <doctest/doctest.h>

#include "bridge/cpe/inform.hpp"
#include "tests/unit/cpe/fixture.hpp"

using namespace cpe_test;

namespace {

cwmp::Inform build(Fixture& f, cpe::InformInput in) {
    auto outcome = cpe::run_sync(cpe::build_inform(f.handler, f.dev, std::move(in)), answer_all);
    if (auto* fault = std::get_if<cwmp::Fault>(&outcome)) FAIL("fault " << fault->string);
    return std::get<cwmp::Inform>(outcome);
}

std::vector<std::string> names(const cwmp::Inform& i) {
    std::vector<std::string> out;
    for (auto& p : i.parameters) out.push_back(p.name);
    return out;
}

}  // namespace

TEST_CASE("Inform of an InternetGatewayDevice: DeviceId and the TR-098 forced parameters") {
    Fixture f;
    f.dev.async = true;
    f.state.parameter_key = "pk";
    cpe::InformInput in;
    in.events = {{"1 BOOT", ""}};
    in.retry_count = 3;
    in.current_time = "2024-01-01T00:00:00Z";
    auto inform = build(f, in);
    CHECK(inform.device_id == cwmp::DeviceId{"Example", "00D09E", "RG-1", "SN0001"});
    CHECK(inform.events == in.events);
    CHECK(inform.max_envelopes == 1);
    CHECK(inform.retry_count == 3);
    CHECK(inform.current_time == "2024-01-01T00:00:00Z");
    const std::string wan = IGD + "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress";
    CHECK(names(inform) == std::vector<std::string>{IGD + "DeviceSummary", DI + "HardwareVersion", DI + "SoftwareVersion",
                                                    MS + "ConnectionRequestURL", MS + "ParameterKey", wan});
    CHECK(inform.parameters[4].value == "pk");
    CHECK(inform.parameters[3].value == "http://bridge.example.net:7548/tok");
    // ProvisioningCode and SpecVersion are forced too, where the device has them.
    f.dev.add(DI + "ProvisioningCode", "PC1");
    auto again = names(build(f, in));
    CHECK(std::count(again.begin(), again.end(), DI + "ProvisioningCode") == 1);
}

TEST_CASE("Inform of a Device:1 CPE: the TR-106 forced parameters") {
    MemoryDevice dev("Device.", "Device:1.0");
    dev.add("Device.DeviceInfo.Manufacturer", "M");
    dev.add("Device.DeviceInfo.ManufacturerOUI", "ABCDEF");
    dev.add("Device.DeviceInfo.SerialNumber", "S");
    dev.add("Device.DeviceInfo.HardwareVersion", "h");
    dev.add("Device.DeviceInfo.SoftwareVersion", "s");
    dev.add("Device.LAN.IPAddress", "192.168.1.1");
    cpe::CpeState state;
    cwmp::EventQueue events;
    cpe::RpcHandler handler({"Device.", "Device:1.0", "http://acs/", "", "", "http://b/t", true, 60}, state, events, dev);
    auto outcome = cpe::run_sync(cpe::build_inform(handler, dev, {}), answer_all);
    auto& inform = std::get<cwmp::Inform>(outcome);
    CHECK(inform.device_id.product_class.empty());
    std::vector<std::string> n;
    for (auto& p : inform.parameters) n.push_back(p.name);
    CHECK(n == std::vector<std::string>{"Device.DeviceSummary", "Device.DeviceInfo.HardwareVersion",
                                        "Device.DeviceInfo.SoftwareVersion", "Device.ManagementServer.ConnectionRequestURL",
                                        "Device.ManagementServer.ParameterKey", "Device.LAN.IPAddress"});
    CHECK(inform.parameters[0].value == "Device:1.0[](Baseline:1)");
}

TEST_CASE("Inform carries transfer events until the TransferComplete is acknowledged") {
    Fixture f;
    cpe::InformInput in;
    in.events = {{"2 PERIODIC", ""}};
    cpe::Transfer running;
    running.method = "Download";
    running.result.command_key = "still-running";
    cpe::Transfer done;
    done.method = "Download";
    done.completed = true;
    done.result.command_key = "fw-1";
    cpe::Transfer up = done;
    up.method = "Upload";
    up.result.command_key = "up-1";
    in.transfers = {running, done, up};
    auto inform = build(f, in);
    CHECK(inform.events == std::vector<cwmp::EventStruct>{{"2 PERIODIC", ""},
                                                          {"7 TRANSFER COMPLETE", ""},
                                                          {"M Download", "fw-1"},
                                                          {"M Upload", "up-1"}});
    // The requests after the Inform are exactly the completed transfers of the same input.
    auto requests = cpe::inform_requests(in);
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].command_key == "fw-1");
    CHECK(requests[1].command_key == "up-1");
    // A transfer that completes after the snapshot is in neither.
    cpe::InformInput none;
    none.transfers = {running};
    CHECK(cpe::inform_events(none).empty());
    CHECK(cpe::inform_requests(none).empty());
}

TEST_CASE("Inform carries notified values once, fresh forced values win") {
    Fixture f;
    cpe::InformInput in;
    in.events = {{"4 VALUE CHANGE", ""}};
    in.changed = {{IGD + "Time.NTPServer1", "ntp2", "xsd:string"}, {DI + "SoftwareVersion", "old", "xsd:string"}};
    auto inform = build(f, in);
    auto n = names(inform);
    CHECK(std::count(n.begin(), n.end(), DI + "SoftwareVersion") == 1);
    CHECK(find(inform.parameters, DI + "SoftwareVersion")->value == "sw1");
    CHECK(find(inform.parameters, IGD + "Time.NTPServer1")->value == "ntp2");
}

TEST_CASE("no Inform without a DeviceId") {
    Fixture f;
    MemoryDevice bare;
    bare.add(DI + "Manufacturer", "M");
    cpe::RpcHandler handler(f.local, f.state, f.events, bare);
    auto outcome = cpe::run_sync(cpe::build_inform(handler, bare, {}), answer_all);
    REQUIRE(std::holds_alternative<cwmp::Fault>(outcome));
    CHECK(std::get<cwmp::Fault>(outcome).code == 9002);
    // A gateway that cannot answer fails the Inform the same way.
    f.dev.fail_get = cwmp::Fault{9002, "unreachable", {}};
    auto down = cpe::run_sync(cpe::build_inform(f.handler, f.dev, {}), answer_all);
    CHECK(std::holds_alternative<cwmp::Fault>(down));
}
