// Reverse direction: set functions, operations, home device functions,
// gateway events from Informs and TransferComplete, and the reverse validator.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bridge/mapping/reverse_call.hpp"
#include "helpers.hpp"
#include "reverse_helpers.hpp"

namespace {

using mapping::ReverseMapping;
const std::string IGD = "InternetGatewayDevice.";

std::shared_ptr<const ReverseMapping> shipped(const std::string& name) {
    auto t = mapping::Table::load_file(std::string(BRIDGE_SOURCE_DIR) + "/mappings/" + name);
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    return ReverseMapping::make(*t);
}

void lan(rt::FakeCpe& cpe) {
    const std::string l = IGD + "LANDevice.1.LANHostConfigManagement.";
    cpe.put(l + "DHCPServerEnable", "true", "xsd:boolean");
    cpe.put(l + "MinAddress", "192.168.1.10");
    cpe.put(l + "MaxAddress", "192.168.1.99");
    cpe.put(l + "SubnetMask", "255.255.255.0");
    cpe.put(l + "DHCPLeaseTime", "86400", "xsd:unsignedInt");
    cpe.put(l + "IPInterface.1.IPInterfaceIPAddress", "192.168.1.1");
    cpe.put(l + "IPInterface.1.IPInterfaceSubnetMask", "255.255.255.0");
}

void home_rows(rt::FakeCpe& cpe) {
    cpe.row_templates[IGD + "X_EXAMPLE-COM_HomeDevice."] = {
        {"DevId", ""}, {"ServiceId", ""}, {"Action", ""}, {"Arguments", ""}, {"Invoke", "false"}, {"Result", ""}};
    cpe.row_templates[IGD + "X_EXAMPLE-COM_HomeDeviceVariable."] = {{"DevId", ""}, {"ServiceId", ""}, {"Name", ""}, {"Value", ""}};
}

}  // namespace

TEST_CASE("reverse setRgNetInfo: one SetParameterValues, traceable ParameterKey, read-only fields ignored") {
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    lan(cpe);
    cmp::Record lanrec;
    lanrec.set("ipAddr", "192.168.2.1").set("mask", "255.255.0.0").set("dhcpMin", "192.168.2.10").set("dhcpEnable", "0");
    cmp::Record wanrec;
    wanrec.set("status", "Connected").set("mac", "aa:bb:cc:dd:ee:ff");  // read-only on a gateway: ignored
    auto r = rt::answer(m, cpe, rt::request("setRgNetInfo", cmp::Record{}.add_list("lan", {lanrec}).add_list("wan", {wanrec})));
    CHECK(r.result_code == 0);
    REQUIRE(cpe.log.size() == 1);
    const auto& spv = std::get<cwmp::SetParameterValues>(cpe.log[0]);
    CHECK(spv.parameter_key == "cmp:setRgNetInfo:tx-17");
    const std::string l = IGD + "LANDevice.1.LANHostConfigManagement.";
    CHECK(cpe.get(l + "IPInterface.1.IPInterfaceIPAddress") == "192.168.2.1");
    // mask is written by two parameters: both get it.
    CHECK(cpe.get(l + "SubnetMask") == "255.255.0.0");
    CHECK(cpe.get(l + "IPInterface.1.IPInterfaceSubnetMask") == "255.255.0.0");
    CHECK(cpe.get(l + "DHCPServerEnable") == "false");  // canonical boolean, typed from the rule
    for (const auto& p : spv.parameters)
        if (p.name == l + "DHCPServerEnable") CHECK(p.type == "xsd:boolean");
    CHECK(spv.parameters.size() == 5);  // ipAddr, mask (twice), dhcpMin, dhcpEnable

    SUBCASE("a CPE fault becomes the resultCode of one table") {
        cwmp::Fault f{9003, "Invalid arguments", {{l + "MinAddress", 9007, "Invalid parameter value"}}};
        cpe.fault_next = f;
        auto bad = rt::answer(m, cpe, rt::request("setRgNetInfo", cmp::Record{}.add_list("lan", {lanrec})));
        CHECK(bad.result_code == cmp::result_code::invalid_argument);
        CHECK(bad.result_msg.find("MinAddress: 9007") != std::string::npos);
    }
    SUBCASE("a value of the wrong type is refused before any RPC") {
        cmp::Record bad;
        bad.set("leaseTime", "soon");
        cpe.log.clear();
        auto r2 = rt::answer(m, cpe, rt::request("setRgNetInfo", cmp::Record{}.add_list("lan", {bad})));
        CHECK(r2.result_code == cmp::result_code::invalid_argument);
        CHECK(cpe.log.empty());
    }
    SUBCASE("a field the catalogue does not know: invalid_argument, no RPC") {
        cpe.log.clear();
        auto r4 = rt::answer(m, cpe, rt::request("setRgTime", cmp::Record{}.set("ntpServer9", "x")));
        CHECK(r4.result_code == cmp::result_code::invalid_argument);
        CHECK(cpe.log.empty());
        CHECK(rt::answer(m, cpe, rt::request("getRgFoo")).result_code == cmp::result_code::unknown_function);
    }
    SUBCASE("a field no parameter of the CPE carries: not_supported") {
        cmp::Record second;
        second.set("ipAddr", "10.9.9.9");
        auto r3 = rt::answer(m, cpe,
                             rt::request("setRgNetInfo", cmp::Record{}.add_list("wan", {cmp::Record{}, second})));
        CHECK(r3.result_code == cmp::result_code::not_supported);
        CHECK(r3.result_msg.find("wan[1].ipAddr") != std::string::npos);
    }
}

TEST_CASE("reverse on a TR-106 Device:1 CPE: getRgInfo, setRgTime, getRgMemRsc by hand") {
    auto m = shipped("tr106.yaml");
    rt::FakeCpe cpe;
    const std::string d = "Device.DeviceInfo.";
    for (auto [n, v] : std::vector<std::pair<std::string, std::string>>{
             {"Manufacturer", "Acme"}, {"ManufacturerOUI", "00D09E"}, {"ModelName", "STB"}, {"ProductClass", "Box"},
             {"SerialNumber", "S9"}, {"HardwareVersion", "h"}, {"SoftwareVersion", "5"}, {"UpTime", "7"}})
        cpe.put(d + n, v);
    cpe.put(d + "MemoryStatus.Total", "65536", "xsd:unsignedInt");
    cpe.put(d + "MemoryStatus.Free", "1024", "xsd:unsignedInt");
    auto r = rt::answer(m, cpe, rt::request("getRgInfo"));
    REQUIRE(r.result_code == 0);
    CHECK(r.fields.get("productClass") == "Box");
    CHECK(std::get<cwmp::GetParameterValues>(cpe.log.at(0)).names.at(0).rfind("Device.", 0) == 0);
    auto mem = rt::answer(m, cpe, rt::request("getRgMemRsc"));
    REQUIRE(mem.result_code == 0);
    CHECK(mem.fields.get("memTotal") == "65536");
    cpe.put("Device.Time.NTPServer1", "a");
    cpe.put("Device.Time.LocalTimeZone", "+00:00");
    auto t = rt::answer(m, cpe, rt::request("setRgTime", cmp::Record{}.set("ntpServer1", "ntp.example.org")));
    INFO(t.result_msg);
    CHECK(t.result_code == 0);
    CHECK(cpe.get("Device.Time.NTPServer1") == "ntp.example.org");
}

TEST_CASE("reverse fault table: CWMP faults and transport errors to resultCodes") {
    namespace rc = cmp::result_code;
    CHECK(mapping::result_code_of_fault(9000) == rc::not_supported);
    CHECK(mapping::result_code_of_fault(9004) == rc::resource_unavailable);
    CHECK(mapping::result_code_of_fault(9005) == rc::not_supported);
    CHECK(mapping::result_code_of_fault(9007) == rc::invalid_argument);
    CHECK(mapping::result_code_of_fault(9010) == rc::transfer_failed);
    CHECK(mapping::result_code_of_fault(9015) == rc::transfer_failed);
    CHECK(mapping::result_code_of_fault(9018) == rc::upgrade_failed);
    CHECK(mapping::result_code_of_fault(9850) == rc::general_failure);
    CHECK(mapping::result_code_of_error(core::make_error("acs.busy", "")) == rc::busy);
    CHECK(mapping::result_code_of_error(core::make_error("acs.timeout", "")) == rc::timeout);
    CHECK(mapping::result_code_of_error(core::make_error("acs.unreachable", "")) == rc::timeout);

    auto m = shipped("tr098.yaml");
    mapping::ReverseCall call(m, rt::request("getRgInfo"), {});
    auto step = call.next();
    REQUIRE(std::holds_alternative<cwmp::Body>(step));
    call.on_rpc_result(core::make_error("acs.unreachable", "no session within 30 s"));
    auto done = call.next();
    REQUIRE(std::holds_alternative<cmp::Response>(done));
    CHECK(std::get<cmp::Response>(done).result_code == rc::timeout);
}

TEST_CASE("reverse operations: the rpc: section read backwards, completion from TransferComplete") {
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    auto r = rt::answer(m, cpe, rt::request("rebootRg"));
    CHECK(r.result_code == 0);
    REQUIRE(cpe.log.size() == 1);
    CHECK(std::get<cwmp::Reboot>(cpe.log[0]).command_key == "cmp:rebootRg:tx-17");

    auto delayed = rt::answer(m, cpe, rt::request("rebootRg", cmp::Record{}.set("delaySec", "30")));
    CHECK(delayed.result_code == cmp::result_code::not_supported);  // Reboot has no delay
    CHECK(cpe.log.size() == 1);

    CHECK(rt::answer(m, cpe, rt::request("resetRg")).result_code == 0);
    CHECK(std::holds_alternative<cwmp::FactoryReset>(cpe.log.back()));

    cmp::Record up;
    up.set("fwUrl", "http://fw/img.bin").set("fwVersion", "3.1").set("fileSize", "4096").set("userName", "u")
        .set("password", "p").set("delaySec", "5");
    CHECK(rt::answer(m, cpe, rt::request("upgradeRgFirmware", up)).result_code == 0);
    const auto& d = std::get<cwmp::Download>(cpe.log.back());
    CHECK(d.file_type == "1 Firmware Upgrade Image");
    CHECK(d.url == "http://fw/img.bin");
    CHECK(d.target_file_name == "3.1");
    CHECK(d.file_size == 4096);
    CHECK(d.username == "u");
    CHECK(d.password == "p");
    CHECK(d.delay_seconds == 5);
    CHECK(d.command_key == "cmp:upgradeRgFirmware:tx-17");

    CHECK(rt::answer(m, cpe, rt::request("restoreRgConfig", cmp::Record{}.set("url", "http://cfg"))).result_code == 0);
    CHECK(std::get<cwmp::Download>(cpe.log.back()).file_type == "3 Vendor Configuration File");
    CHECK(rt::answer(m, cpe, rt::request("backupRgConfig", cmp::Record{}.set("url", "http://up"))).result_code == 0);
    CHECK(std::get<cwmp::Upload>(cpe.log.back()).file_type == "1 Vendor Configuration File");

    cpe.fault_next = cwmp::Fault{9013, "Unsupported protocol", {}};
    CHECK(rt::answer(m, cpe, rt::request("backupRgConfig", cmp::Record{}.set("url", "gopher://x"))).result_code ==
          cmp::result_code::transfer_failed);

    SUBCASE("TransferComplete -> notifyRgUpgradeResult, fwVersion from the Inform's SoftwareVersion") {
        mapping::ReverseEventState state;
        cwmp::Inform inform;
        inform.events = {{"7 TRANSFER COMPLETE", ""}, {"M Download", "cmp:upgradeRgFirmware:tx-17"}};
        inform.parameters = {{IGD + "DeviceInfo.SoftwareVersion", "3.1", "xsd:string"}};
        CHECK(mapping::reverse_events(*m, inform, state).empty());
        cwmp::TransferComplete tc;
        tc.command_key = "cmp:upgradeRgFirmware:tx-17";
        tc.start_time = "2026-12-03T12:00:00Z";
        tc.complete_time = "2026-12-03T12:05:00Z";
        auto msg = mapping::reverse_transfer_complete(*m, tc, state);
        REQUIRE(msg);
        CHECK(msg->function == "notifyRgUpgradeResult");
        CHECK(msg->args.get("resultCode") == "0");
        CHECK(msg->args.get("fwVersion") == "3.1");
        CHECK(msg->args.get("completeTime") == "2026-12-03T12:05:00Z");
        CHECK(m->table().catalogue().validate(cmp::Request{{"rg", "1", "2026-12-03T12:00:00Z"}, msg->function, msg->args}));
        tc.fault = {9018, "File corrupted"};
        CHECK(mapping::reverse_transfer_complete(*m, tc, state)->args.get("resultCode") == "12");
        // Someone else's transfer, or one whose answer already completed it: no message.
        tc.command_key = "acs-42";
        CHECK_FALSE(mapping::reverse_transfer_complete(*m, tc, state));
        tc.command_key = "cmp:restoreRgConfig:tx-3";
        CHECK_FALSE(mapping::reverse_transfer_complete(*m, tc, state));
    }
}

TEST_CASE("reverse ctrlHomeDev: the row is found or added, set with the trigger last, results read back") {
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    home_rows(cpe);
    // The CPE runs the action when Invoke turns true (what the virtual CPE of the forward side does).
    cpe.after_set = [](rt::FakeCpe& c, const cwmp::SetParameterValues& s) {
        for (const auto& p : s.parameters)
            if (p.name.ends_with(".Invoke") && p.value == "true") {
                std::string row = p.name.substr(0, p.name.size() - 6);
                c.put(row + "Result", "Status=" + std::string(c.get(row + "Arguments").find("1") != std::string::npos ? "on" : "off"));
                c.put(row + "Invoke", "false");
            }
    };
    cmp::Record args;
    args.set("devId", "uuid:lamp").set("serviceId", "urn:upnp-org:serviceId:SwitchPower.1").set("actionName", "SetTarget");
    args.add_list("arg", {cmp::Record{}.set("name", "newTargetValue").set("value", "1")});
    auto r = rt::answer(m, cpe, rt::request("ctrlHomeDev", args));
    REQUIRE(r.result_code == 0);
    const auto* out = r.fields.list("outArg");
    REQUIRE(out);
    CHECK(out->at(0).get("name") == "Status");
    CHECK(out->at(0).get("value") == "on");
    CHECK(cpe.count<cwmp::AddObject>() == 1);
    const auto& spv = std::get<cwmp::SetParameterValues>(cpe.log[2]);
    CHECK(spv.parameters.back().name == IGD + "X_EXAMPLE-COM_HomeDevice.1.Invoke");
    CHECK(cpe.get(IGD + "X_EXAMPLE-COM_HomeDevice.1.Arguments") == "newTargetValue=1");
    CHECK(cpe.log.size() == 4);  // GetParameterValues, AddObject, SetParameterValues, GetParameterValues

    // The same device and service again: the row is reused.
    cpe.log.clear();
    r = rt::answer(m, cpe, rt::request("ctrlHomeDev", args));
    CHECK(r.result_code == 0);
    CHECK(cpe.count<cwmp::AddObject>() == 0);
    CHECK(cpe.log.size() == 3);
}

TEST_CASE("reverse subscriptions: applyHomeDevEvent watches rows, value changes become notifyHomeDevEvent") {
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    home_rows(cpe);
    mapping::ReverseEventState state;
    mapping::ReverseContext ctx;
    ctx.state = &state;
    cpe.after_set = [](rt::FakeCpe& c, const cwmp::SetParameterValues& s) {
        for (const auto& p : s.parameters)
            if (p.name.ends_with(".Name")) c.put(p.name.substr(0, p.name.size() - 4) + "Value", p.value == "Status" ? "0" : "50");
    };
    cmp::Record args;
    args.set("devId", "uuid:lamp").set("serviceId", "urn:upnp-org:serviceId:SwitchPower.1");
    args.add_list("varName", {cmp::Record{}.set("name", "Status"), cmp::Record{}.set("name", "Level")});
    mapping::ReverseCall call(m, rt::request("applyHomeDevEvent", args), ctx);
    auto r = rt::drive(call, cpe);
    REQUIRE(r.result_code == 0);
    const std::string id = r.fields.get("eventId");
    CHECK(id == "rev-1");
    const std::string v1 = IGD + "X_EXAMPLE-COM_HomeDeviceVariable.1.Value";
    const std::string v2 = IGD + "X_EXAMPLE-COM_HomeDeviceVariable.2.Value";
    CHECK(cpe.notification[v1] == 2);
    CHECK(cpe.notification[v2] == 2);
    CHECK(cpe.get(IGD + "X_EXAMPLE-COM_HomeDeviceVariable.2.Name") == "Level");
    // The initial event, seq 0, with the current values.
    REQUIRE(call.follow_ups().size() == 1);
    const auto& init = call.follow_ups()[0];
    CHECK(init.function == "notifyHomeDevEvent");
    CHECK(init.args.get("eventId") == id);
    CHECK(init.args.get("devId") == "uuid:lamp");
    CHECK(init.args.get("seq") == "0");
    REQUIRE(init.args.list("var")->size() == 2);

    // getHomeDevState without varName: every row of that device and service, none created.
    cmp::Record all;
    all.set("devId", "uuid:lamp").set("serviceId", "urn:upnp-org:serviceId:SwitchPower.1");
    cpe.log.clear();
    auto st = rt::answer(m, cpe, rt::request("getHomeDevState", all), ctx);
    REQUIRE(st.result_code == 0);
    REQUIRE(st.fields.list("var")->size() == 2);
    CHECK(st.fields.list("var")->at(0).get("name") == "Status");
    CHECK(st.fields.list("var")->at(1).get("value") == "50");
    CHECK(cpe.count<cwmp::AddObject>() == 0);
    CHECK(cpe.log.size() == 1);

    // A VALUE CHANGE of a watched value.
    cwmp::Inform inform;
    inform.events = {{"4 VALUE CHANGE", ""}};
    inform.parameters = {{v1, "1", "xsd:string"}, {IGD + "DeviceInfo.SoftwareVersion", "2.0", "xsd:string"}};
    auto msgs = mapping::reverse_events(*m, inform, state);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].function == "notifyHomeDevEvent");
    CHECK(msgs[0].args.get("seq") == "1");
    REQUIRE(msgs[0].args.list("var")->size() == 1);
    CHECK(msgs[0].args.list("var")->at(0).get("name") == "Status");
    CHECK(msgs[0].args.list("var")->at(0).get("value") == "1");
    CHECK(m->table().catalogue().validate(cmp::Request{{"rg", "1", "2026-12-03T12:00:00Z"}, msgs[0].function, msgs[0].args}));
    // The same value again is no change.
    CHECK(mapping::reverse_events(*m, inform, state).empty());

    // Saved and loaded (a restart of the bridge): the subscription and the values are the same.
    mapping::ReverseEventState restored;
    REQUIRE(restored.load(state.save()));
    CHECK(restored.subscriptions.at(id).vars == state.subscriptions.at(id).vars);
    CHECK(restored.subscriptions.at(id).seq == 1);
    CHECK(restored.subscriptions.at(id).args.get("devId") == "uuid:lamp");
    CHECK(restored.values == state.values);
    CHECK(restored.next_id == state.next_id);
    CHECK_FALSE(restored.load("version: [1"));
    CHECK_FALSE(restored.load("version: 2"));
    CHECK(restored.subscriptions.count(id) == 1);  // a refused blob leaves the state as it was
    ctx.state = &restored;

    // A second subscription to Status shares the row: releasing the first keeps Status watched.
    cmp::Record status_only = args;
    status_only.add_list("varName", {cmp::Record{}.set("name", "Status")});
    cpe.log.clear();
    auto second = rt::answer(m, cpe, rt::request("applyHomeDevEvent", status_only), ctx);
    REQUIRE(second.result_code == 0);
    CHECK(cpe.count<cwmp::AddObject>() == 0);  // the row is reused
    auto rel = rt::answer(m, cpe, rt::request("releaseHomeDevEvent", cmp::Record{}.set("eventId", id)), ctx);
    CHECK(rel.result_code == 0);
    CHECK(cpe.notification[v1] == 2);
    CHECK(cpe.notification[v2] == 0);
    REQUIRE(restored.subscriptions.size() == 1);
    rel = rt::answer(m, cpe, rt::request("releaseHomeDevEvent", cmp::Record{}.set("eventId", second.fields.get("eventId"))), ctx);
    CHECK(rel.result_code == 0);
    CHECK(cpe.notification[v1] == 0);
    CHECK(restored.subscriptions.empty());
    auto again = rt::answer(m, cpe, rt::request("releaseHomeDevEvent", cmp::Record{}.set("eventId", id)), ctx);
    CHECK(again.result_code == cmp::result_code::subscription_not_found);

    // Subscriptions per CPE are bounded.
    mapping::ReverseEventState full;
    for (std::size_t i = 0; i < mapping::ReverseEventState::kMaxSubscriptions; ++i) full.subscriptions["s" + std::to_string(i)];
    mapping::ReverseContext full_ctx;
    full_ctx.state = &full;
    cpe.log.clear();
    CHECK(rt::answer(m, cpe, rt::request("applyHomeDevEvent", status_only), full_ctx).result_code ==
          cmp::result_code::resource_unavailable);
    CHECK(cpe.log.empty());

    // More variables than the table's max_rows (64) allows: refused before any AddObject.
    std::vector<cmp::Record> many;
    for (int i = 0; i < 70; ++i) many.push_back(cmp::Record{}.set("name", "V" + std::to_string(i)));
    args.add_list("varName", many);
    cpe.log.clear();
    auto big = rt::answer(m, cpe, rt::request("applyHomeDevEvent", args), ctx);
    CHECK(big.result_code == cmp::result_code::resource_unavailable);
    CHECK(cpe.count<cwmp::AddObject>() == 0);
}

TEST_CASE("reverse events: host joins and leaves from VALUE CHANGE of Active, alerts from the alarm parameters") {
    auto m = shipped("tr098.yaml");
    mapping::ReverseEventState state;
    const std::string h = IGD + "LANDevice.1.Hosts.Host.3.";
    // What an earlier getHomeDevList (or Inform) told about the host.
    state.remember(h + "MACAddress", "aa:bb:cc:00:00:03");
    state.remember(h + "Active", "false");
    cwmp::Inform inform;
    inform.events = {{"4 VALUE CHANGE", ""}};
    inform.parameters = {{h + "Active", "1", "xsd:boolean"}};
    auto msgs = mapping::reverse_events(*m, inform, state);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].function == "notifyHomeDevJoin");
    CHECK(msgs[0].args.get("devId") == "aa:bb:cc:00:00:03");  // reverse.fields: the MAC when no vendor DevId
    CHECK(msgs[0].args.has("deviceType"));
    inform.parameters = {{h + "Active", "false", "xsd:boolean"}};
    msgs = mapping::reverse_events(*m, inform, state);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].function == "notifyHomeDevLeave");
    CHECK(msgs[0].args.get("devId") == "aa:bb:cc:00:00:03");

    // Not a VALUE CHANGE Inform (a periodic one): remembered, no message.
    inform.events = {{"2 PERIODIC", ""}};
    inform.parameters = {{h + "Active", "true", "xsd:boolean"}};
    CHECK(mapping::reverse_events(*m, inform, state).empty());

    SUBCASE("a CPE that deletes a host and adds another: the count changes, the table is read") {
        const std::string hosts = IGD + "LANDevice.1.Hosts.Host.";
        state.remember(IGD + "LANDevice.1.Hosts.HostNumberOfEntries", "1");
        state.remember(h + "Active", "true");
        cwmp::Inform count;
        count.events = {{"4 VALUE CHANGE", ""}};
        count.parameters = {{IGD + "LANDevice.1.Hosts.HostNumberOfEntries", "1", "xsd:unsignedInt"}};
        CHECK(mapping::reverse_event_reads(*m, count, state).empty());  // unchanged count
        count.parameters[0].value = "1";
        // Host 3 went, host 4 came: still one row.
        state.remember(IGD + "LANDevice.1.Hosts.HostNumberOfEntries", "2");
        auto reads = mapping::reverse_event_reads(*m, count, state);
        REQUIRE(reads.size() == 1);
        CHECK(reads[0] == hosts);
        std::vector<cwmp::ParameterValue> table = {{hosts + "4.Active", "true", "xsd:boolean"},
                                                   {hosts + "4.MACAddress", "aa:bb:cc:00:00:04", "xsd:string"},
                                                   {hosts + "4.IPAddress", "192.168.1.4", "xsd:string"}};
        auto got = mapping::reverse_events(*m, count, state, table);
        REQUIRE(got.size() == 2);
        CHECK(got[0].function == "notifyHomeDevLeave");
        CHECK(got[0].args.get("devId") == "aa:bb:cc:00:00:03");
        CHECK(got[1].function == "notifyHomeDevJoin");
        CHECK(got[1].args.get("devId") == "aa:bb:cc:00:00:04");
        CHECK_FALSE(state.value(h + "MACAddress"));  // the gone row is forgotten
        // A read that does not match the count (not the whole table) is not compared.
        count.parameters[0].value = "5";
        CHECK(mapping::reverse_events(*m, count, state, table).empty());
    }

    const std::string a = IGD + "X_EXAMPLE-COM_Alarms.";
    inform.events = {{"4 VALUE CHANGE", ""}};
    inform.parameters = {{a + "SecurityAlertId", "7", "xsd:string"},         {a + "SecurityAlertType", "portScan", "xsd:string"},
                         {a + "SecurityAlertSeverity", "major", "xsd:string"}, {a + "SecurityAlertSource", "1.2.3.4", "xsd:string"},
                         {a + "SecurityAlertTime", "2026-12-03T12:00:00Z", "xsd:dateTime"}};
    msgs = mapping::reverse_events(*m, inform, state);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].function == "notifyRgSecAlert");
    CHECK(msgs[0].args.get("alertType") == "portScan");
    CHECK(msgs[0].args.get("source") == "1.2.3.4");
    CHECK(m->table().catalogue().validate(cmp::Request{{"rg", "1", "2026-12-03T12:00:00Z"}, msgs[0].function, msgs[0].args}));
}

TEST_CASE("reverse watch paths: what the ACS side sets Notification 2 on") {
    auto w = shipped("tr098.yaml")->watch_paths();
    CHECK(std::count(w.begin(), w.end(), IGD + "LANDevice.1.Hosts.Host.{i}.Active") == 1);
    CHECK(std::count(w.begin(), w.end(), IGD + "X_EXAMPLE-COM_Alarms.SecurityAlertType") == 1);
    CHECK(std::count(w.begin(), w.end(), IGD + "X_EXAMPLE-COM_Alarms.ResourceAlertValue") == 1);
    // Subscribed values are switched on by applyHomeDevEvent, not watched from the start.
    CHECK(std::none_of(w.begin(), w.end(), [](const std::string& p) { return p.ends_with(".Value"); }));
    CHECK(std::count(w.begin(), w.end(), IGD + "LANDevice.1.Hosts.HostNumberOfEntries") == 1);
    auto d = shipped("tr106.yaml")->watch_paths();
    CHECK(std::count(d.begin(), d.end(), "Device.X_EXAMPLE-COM_Hosts.Host.{i}.Active") == 1);
}

TEST_CASE("reverse validation: shipped tables are clean; non-invertible rules are reported at file:line:col") {
    for (const char* name : {"tr098.yaml", "tr098-tr157.yaml", "tr106.yaml"}) {
        auto m = shipped(name);
        std::string all;
        for (const auto& d : m->diagnostics()) all += d.to_string() + "\n";
        INFO(name << "\n" << all);
        CHECK(m->diagnostics().empty());
    }
    // A table whose only source of a required field cannot be inverted, and a template.
    const std::string yaml = R"Y(model: InternetGatewayDevice:1.4
datamodel: InternetGatewayDevice-1.4.dm
objects:
  InternetGatewayDevice.Time.:
    read: getRgTime
    write: setRgTime
    parameters:
      NTPServer1: ntpServer1
      NTPServer2: ntpServer2
      NTPServer3: ntpServer3
      NTPServer4: ntpServer4
      NTPServer5: ntpServer5
      CurrentLocalTime: currentLocalTime
      LocalTimeZone: { field: localTimeZone, extract: '^GMT([+-][0-9:]+)$', access: ro }
  InternetGatewayDevice.DeviceInfo.:
    read: getRgInfo
    parameters:
      Manufacturer: { template: "{manufacturer} ({oui})" }
)Y";
    auto t = mapping::Table::load_string(yaml, std::string(BRIDGE_SOURCE_DIR) + "/mappings/reverse-test.yaml");
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    auto m = ReverseMapping::make(*t);
    std::string all;
    for (const auto& d : m->diagnostics()) all += d.to_string() + "\n";
    INFO(all);
    CHECK(all.find("reverse-test.yaml:14:7: reverse: InternetGatewayDevice.Time.LocalTimeZone reads "
                   "getRgTime.localTimeZone through 'extract', which has no inverse") != std::string::npos);
    CHECK(all.find("reverse-test.yaml:18:7: reverse: InternetGatewayDevice.DeviceInfo.Manufacturer combines fields") !=
          std::string::npos);
    CHECK(all.find("hint:") != std::string::npos);
    // The forward use of the same table is unaffected (it loaded above); a misspelt name in a
    // reverse: section is refused by the forward check too (a typo never silently drops a rule).
    mapping::Diagnostics d;
    CHECK_FALSE(mapping::Table::compile_string(yaml + "reverse:\n  unsupported:\n    nosuchFunction: \"x\"\n",
                                               "typo.yaml", {}, d));
    REQUIRE(d.size() == 1);
    CHECK(d[0].to_string().find("typo.yaml:21:5: reverse: unknown function 'nosuchFunction'") == 0);

    std::ostringstream out, err;
    CHECK(mapping::run_validate_reverse({std::string(BRIDGE_SOURCE_DIR) + "/mappings/tr098.yaml"}, out, err) == 0);
    CHECK(out.str().find("ok in reverse") != std::string::npos);
}

// fixtures/reverse/*.yaml: valid forward, refused in reverse, each diagnostic at its "# expect L:C message".
TEST_CASE("reverse validator fixtures: every reverse error, at its position") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(BRIDGE_SOURCE_DIR) / "tests/unit/mapping/fixtures/reverse";
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".yaml") continue;
        ++files;
        const std::string file = e.path().string();
        CAPTURE(file);
        std::vector<std::tuple<int, int, std::string>> expected;
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);) {
            int l = 0, c = 0, used = 0;
            if (line.rfind("# expect ", 0) == 0 && std::sscanf(line.c_str(), "# expect %d:%d %n", &l, &c, &used) == 2)
                expected.emplace_back(l, c, line.substr(static_cast<std::size_t>(used)));
        }
        REQUIRE_FALSE(expected.empty());
        auto t = mapping::Table::load_file(file);
        REQUIRE_MESSAGE(t, (t ? "" : t.error().message));  // the forward use is unaffected
        auto m = ReverseMapping::make(*t);
        std::string got;
        for (const auto& d : m->diagnostics()) got += d.to_string() + "\n";
        INFO(got);
        REQUIRE(m->diagnostics().size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const auto& d = m->diagnostics()[i];
            CHECK(d.pos.file == file);
            CHECK(d.pos.line == std::get<0>(expected[i]));
            CHECK(d.pos.column == std::get<1>(expected[i]));
            CHECK(d.message.rfind(std::get<2>(expected[i]), 0) == 0);
            CHECK_FALSE(d.hint.empty());
        }
        std::ostringstream out, err;
        CHECK(mapping::run_validate_reverse({file}, out, err) == 1);
        CHECK(err.str().find("errors in reverse") != std::string::npos);
    }
    CHECK(files >= 1);
}

// Whatever a CPE answers, every HOMS function ends with an answer: wrong bodies, faults, errors
// and garbage values never crash a call or loop it, and a failure is never reported as success.
TEST_CASE("reverse calls end on any CPE answer") {
    for (const char* name : {"tr098.yaml", "tr106.yaml"}) {
        auto m = shipped(name);
        CAPTURE(name);
        cmp::Record any;
        any.set("devId", "d").set("serviceId", "s").set("actionName", "a").set("eventId", "rev-1").set("url", "u");
        any.add_list("varName", {cmp::Record{}.set("name", "n")});
        std::vector<std::function<core::Result<cwmp::Body>(const cwmp::Body&)>> answers = {
            // The response of an RPC the bridge never asks for: wrong for every request.
            [](const cwmp::Body&) -> core::Result<cwmp::Body> { return cwmp::Body{cwmp::GetRPCMethodsResponse{}}; },
            [](const cwmp::Body&) -> core::Result<cwmp::Body> { return cwmp::Body{cwmp::Fault{9002, "x", {}}}; },
            [](const cwmp::Body&) -> core::Result<cwmp::Body> { return core::make_error("acs.timeout", "gone"); },
            [](const cwmp::Body& rpc) -> core::Result<cwmp::Body> {
                // Garbage values under every name asked for, instance numbers included.
                cwmp::GetParameterValuesResponse r;
                if (const auto* g = std::get_if<cwmp::GetParameterValues>(&rpc))
                    for (const auto& n : g->names) {
                        r.parameters.push_back({n + (n.back() == '.' ? "7.Name" : ""), "\x01garbage{}", "xsd:string"});
                        r.parameters.push_back({n + (n.back() == '.' ? "99999999999.X" : ""), "", "xsd:int"});
                    }
                return cwmp::Body{r};
            },
        };
        for (const auto& fn : m->table().catalogue().functions()) {
            if (fn.direction != cmp::Direction::to_gateway) continue;
            CAPTURE(fn.name);
            for (std::size_t k = 0; k < answers.size(); ++k) {
                CAPTURE(k);
                cmp::Record args;
                for (const auto& f : fn.request)
                    if (const cmp::Field* a = any.find(f.name)) args.fields.push_back(*a);
                mapping::ReverseEventState state;
                state.subscriptions["rev-1"].vars["InternetGatewayDevice.X.1.Value"] = "n";
                mapping::ReverseContext ctx;
                ctx.state = &state;
                mapping::ReverseCall call(m, rt::request(fn.name, args), ctx);
                std::optional<cmp::Response> r;
                for (int guard = 0; guard < 200 && !r; ++guard) {
                    auto step = call.next();
                    if (auto* resp = std::get_if<cmp::Response>(&step)) r = *resp;
                    else call.on_rpc_result(answers[k](std::get<cwmp::Body>(step)));
                }
                REQUIRE(r);
                if (k < 3 && call.rpc_count() > 0) CHECK(r->result_code != 0);
            }
        }
    }
}
