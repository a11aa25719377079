// Gateway messages (events, completions), subscriptions behind Notification
// attributes, RPC mappings and resultCode -> fault mapping.
#include "tests/unit/mapping/helpers.hpp"

namespace {

std::shared_ptr<const mapping::Table> tr098() { return *mapping::Table::load_file("mappings/tr098.yaml"); }

cmp::Request message(std::string function, cmp::Record args) {
    cmp::Request r;
    r.function = std::move(function);
    r.args = std::move(args);
    return r;
}

const std::string kVar = "InternetGatewayDevice.X_EXAMPLE-COM_HomeDeviceVariable.";

// A watched variable row for the simulated thermostat's temperature.
std::string watch_temperature(mapping::TableDevice& dev, mt::Sim& sim) {
    std::string id;
    for (const auto& d : sim.model.home().devices())
        if (d.device_type.find("Thermostat") != std::string::npos) id = d.dev_id;
    REQUIRE(!id.empty());
    auto n = mt::value(mt::drive(dev.add_object(kVar), sim.responder()));
    std::string row = kVar + std::to_string(n) + ".";
    mt::value(mt::drive(dev.set_values({{row + "DevId", id, "xsd:string"},
                                        {row + "ServiceId", "urn:upnp-org:serviceId:TemperatureSensor.1", "xsd:string"},
                                        {row + "Name", "CurrentTemperature", "xsd:string"}}),
                        sim.responder()));
    return row;
}

}  // namespace

TEST_CASE("a watched state variable: read, subscribed by Notification, changes arrive as values") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    std::string row = watch_temperature(dev, sim);
    auto v = mt::value(mt::drive(dev.get_values({row + "Value"}), sim.responder()));
    REQUIRE(v.size() == 1);
    CHECK(v[0].value.size() == 4);  // "20xx": hundredths of a degree

    mt::Run run;
    mt::value(mt::drive(dev.notification_changed(row + "Value", 2), sim.responder(), &run));
    REQUIRE(run.calls.size() == 1);
    CHECK(run.calls[0].function == "applyHomeDevEvent");
    CHECK((*run.calls[0].args.list("varName"))[0].get("name") == "CurrentTemperature");
    // Already subscribed: 2 -> 1 needs no call.
    mt::Run again;
    mt::value(mt::drive(dev.notification_changed(row + "Value", 1), sim.responder(), &again));
    CHECK(again.calls.empty());

    // The gateway's initial event (seq 0) and later ones name the subscription.
    std::string event_id;
    for (const auto& m : sim.model.take_outbox())
        if (m.function == "notifyHomeDevEvent") {
            auto changed = dev.translate_event(m);
            REQUIRE(changed.size() == 1);
            CHECK(changed[0].name == row + "Value");
            CHECK(changed[0].value == v[0].value);
            event_id = m.args.get("eventId");
        }
    REQUIRE(!event_id.empty());
    cmp::Record args;
    args.set("eventId", event_id).set("devId", "x").set("seq", "1");
    cmp::Record var;
    var.set("name", "CurrentTemperature").set("value", "2199");
    args.add_list("var", {var});
    auto changed = dev.translate_event(message("notifyHomeDevEvent", args));
    REQUIRE(changed.size() == 1);
    CHECK(changed[0].value == "2199");
    args.set("eventId", "evt-unknown");
    CHECK(dev.translate_event(message("notifyHomeDevEvent", args)).empty());

    // The subscription survives a restart; a gateway reboot needs renewing.
    mapping::TableDevice restarted(tr098());
    REQUIRE(restarted.load_state(dev.save_state()));
    mt::Run renew;
    mt::value(mt::drive(restarted.renew_subscriptions(), sim.responder(), &renew));
    CHECK(renew.count("applyHomeDevEvent") == 1);

    mt::Run off;
    mt::value(mt::drive(dev.notification_changed(row + "Value", 0), sim.responder(), &off));
    REQUIRE(off.calls.size() == 1);
    CHECK(off.calls[0].function == "releaseHomeDevEvent");
    CHECK(off.calls[0].args.get("eventId") == event_id);
    CHECK(dev.translate_event(message("notifyHomeDevEvent", args.set("eventId", event_id))).empty());
}

TEST_CASE("subscriptions: partial paths, failures, deleting the row releases it") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    std::string row = watch_temperature(dev, sim);
    // A partial path covering parameters without subscriptions is fine.
    mt::Run run;
    mt::value(mt::drive(dev.notification_changed("InternetGatewayDevice.", 1), sim.responder(), &run));
    CHECK(run.count("applyHomeDevEvent") == 1);
    mt::value(mt::drive(dev.notification_changed("InternetGatewayDevice.DeviceInfo.UpTime", 2), sim.responder()));

    mt::Run del;
    mt::value(mt::drive(dev.delete_object(row), sim.responder(), &del));
    CHECK(del.count("releaseHomeDevEvent") == 1);

    // The gateway refusing a subscription: fault 9009 by default.
    std::string row2 = watch_temperature(dev, sim);
    auto refuse = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        return mt::failed(r.function, cmp::result_code::device_error, "not evented");
    };
    CHECK(mt::fault(mt::drive(dev.notification_changed(row2 + "Value", 2), refuse)).code == 9002);
    auto bad = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        return mt::failed(r.function, cmp::result_code::invalid_argument, "no such variable");
    };
    CHECK(mt::fault(mt::drive(dev.notification_changed(row2 + "Value", 2), bad)).code == 9009);
    CHECK(mt::fault(mt::drive(dev.notification_changed("InternetGatewayDevice.Nope", 2), bad)).code == 9005);
}

TEST_CASE("host join and leave: the row's Active changes; a new host also changes the count") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    const std::string hosts = "InternetGatewayDevice.LANDevice.1.Hosts.";
    auto before = mt::by_name(mt::value(mt::drive(dev.get_values({hosts}), sim.responder())));
    std::string known = before[hosts + "Host.3.X_EXAMPLE-COM_DevId"];
    REQUIRE(!known.empty());

    cmp::Record leave;
    leave.set("devId", known);
    auto changed = dev.translate_event(message("notifyHomeDevLeave", leave));
    REQUIRE(changed.size() == 1);
    CHECK(changed[0].name == hosts + "Host.3.Active");
    CHECK(changed[0].value == "false");
    CHECK(changed[0].type == "xsd:boolean");

    cmp::Record join;
    join.set("devId", "mac-0a0b0c0d0e0f").set("deviceType", "Phone");
    changed = dev.translate_event(message("notifyHomeDevJoin", join));
    REQUIRE(changed.size() == 2);
    CHECK(changed[0].name == hosts + "HostNumberOfEntries");
    CHECK(changed[0].value == std::to_string(std::stoi(before[hosts + "HostNumberOfEntries"]) + 1));
    CHECK(changed[1].name == hosts + "Host.10.Active");
    CHECK(dev.describe(hosts + "Host.10."));
}

TEST_CASE("alerts are stored and reported") {
    auto table = tr098();
    mapping::TableDevice dev(table);
    cmp::Record a;
    a.set("alertId", "A-7").set("alertType", "portScan").set("severity", "major").set("source", "203.0.113.9");
    a.set("time", "2024-11-25T10:00:00Z").set("text", "scan of 1000 ports");
    auto changed = mt::by_name(dev.translate_event(message("notifyRgSecAlert", a)));
    const std::string al = "InternetGatewayDevice.X_EXAMPLE-COM_Alarms.";
    CHECK(changed[al + "SecurityAlertType"] == "portScan");
    CHECK(changed.size() == 6);
    cmp::Record r;
    r.set("rscType", "cpu").set("value", "97").set("threshold", "90").set("time", "2024-11-25T10:01:00Z");
    CHECK(dev.translate_event(message("notifyRgRscAlert", r)).size() == 4);
    mapping::TableDevice again(table);
    REQUIRE(again.load_state(dev.save_state()));
    mt::Sim sim;
    auto v = mt::by_name(mt::value(mt::drive(again.get_values({al}), sim.responder())));
    CHECK(v[al + "SecurityAlertId"] == "A-7");
    CHECK(v[al + "ResourceAlertValue"] == "97");
    CHECK(dev.translate_event(message("keepAliveRg", {})).empty());
}

TEST_CASE("RPC mappings") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    mt::Run run;
    mt::value(mt::drive(dev.reboot("key-1"), sim.responder(), &run));
    CHECK(run.calls.back().function == "rebootRg");
    mt::value(mt::drive(dev.factory_reset(), [](const cmp::Request& r) -> core::Result<cmp::Response> {
        return mt::ok(r.function);
    }, &run));
    CHECK(run.calls.back().function == "resetRg");

    cwmp::Download d;
    d.file_type = "1 Firmware Upgrade Image";
    d.url = "http://files.example/fw-2.bin";
    d.target_file_name = "V2";
    d.file_size = 1234;
    d.username = "u";
    d.password = "p";
    d.delay_seconds = 5;
    mt::Sim fresh;
    mt::value(mt::drive(dev.download(d), fresh.responder(), &run));
    const auto& up = run.calls.back();
    CHECK(up.function == "upgradeRgFirmware");
    CHECK(up.args.get("fwUrl") == d.url);
    CHECK(up.args.get("fwVersion") == "V2");
    CHECK(up.args.get("fileSize") == "1234");
    CHECK(up.args.get("password") == "p");
    CHECK(up.args.get("delaySec") == "5");
    CHECK(dev.transfer_mode("Download", d.file_type) == mapping::TransferMode::notified);

    mt::Sim other;  // this one is not upgrading (it would answer busy)
    cwmp::Upload u;
    u.file_type = "1 Vendor Configuration File";
    u.url = "http://files.example/cfg";
    mt::value(mt::drive(dev.upload(u), other.responder(), &run));
    CHECK(run.calls.back().function == "backupRgConfig");
    CHECK(run.calls.back().args.get("url") == u.url);
    CHECK(dev.transfer_mode("Upload", u.file_type) == mapping::TransferMode::immediate);

    d.file_type = "3 Vendor Configuration File";
    d.url = u.url;  // the backup just made
    mt::value(mt::drive(dev.download(d), other.responder(), &run));
    CHECK(run.calls.back().function == "restoreRgConfig");
    CHECK(dev.transfer_mode("Download", d.file_type) == mapping::TransferMode::immediate);

    d.file_type = "2 Web Content";
    auto f = mt::fault(mt::drive(dev.download(d), fresh.responder()));
    CHECK(f.code == 9003);
    CHECK(dev.transfer_mode("Download", d.file_type) == mapping::TransferMode::unsupported);

    u.file_type = "2 Vendor Log File";
    CHECK(dev.transfer_mode("Upload", u.file_type) == mapping::TransferMode::bridge_upload);
    auto log = mt::value(mt::drive(dev.upload_content(u), fresh.responder()));
    CHECK(log.find("kernel") != std::string::npos);

    // Failures map through the download context.
    u.file_type = "1 Vendor Configuration File";
    u.url = "http://unreachable.example/cfg";
    CHECK(mt::fault(mt::drive(dev.upload(u), other.responder())).code == 9011);
    d.file_type = "1 Firmware Upgrade Image";
    auto busy = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        return mt::failed(r.function, cmp::result_code::busy, "upgrade in progress");
    };
    CHECK(mt::fault(mt::drive(dev.download(d), busy)).code == 9002);
    auto unsupported = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        return mt::failed(r.function, cmp::result_code::not_supported);
    };
    CHECK(mt::fault(mt::drive(dev.reboot(""), unsupported)).code == 9000);
}

TEST_CASE("notifyRgUpgradeResult completes the Download") {
    mapping::TableDevice dev(tr098());
    cmp::Record ok;
    ok.set("fwVersion", "V2").set("resultCode", "0").set("startTime", "2024-11-25T10:00:00Z");
    ok.set("completeTime", "2024-11-25T10:01:30+00:00");
    auto info = dev.completion(message("notifyRgUpgradeResult", ok));
    REQUIRE(info);
    CHECK(info->rpc == "Download");
    CHECK(info->file_type == "1 Firmware Upgrade Image");
    CHECK(info->fault.code == 0);
    CHECK(info->start_time == "2024-11-25T10:00:00Z");
    CHECK(info->complete_time == "2024-11-25T10:01:30Z");

    ok.set("resultCode", "12");
    info = dev.completion(message("notifyRgUpgradeResult", ok));
    CHECK(info->fault.code == 9018);
    CHECK(info->fault.string.find("upgrade_failed") != std::string::npos);
    ok.set("resultCode", "11");
    CHECK(dev.completion(message("notifyRgUpgradeResult", ok))->fault.code == 9010);
    CHECK_FALSE(dev.completion(message("notifyRgSecAlert", ok)));
}

TEST_CASE("resultCode -> fault: defaults by context, table overrides") {
    using mapping::FaultContext;
    using mapping::FaultMap;
    namespace rc = cmp::result_code;
    CHECK(FaultMap::builtin(FaultContext::set, rc::invalid_argument) == 9007);
    CHECK(FaultMap::builtin(FaultContext::download, rc::invalid_argument) == 9003);
    CHECK(FaultMap::builtin(FaultContext::rpc, rc::not_supported) == 9000);
    CHECK(FaultMap::builtin(FaultContext::set, rc::not_supported) == 9001);
    CHECK(FaultMap::builtin(FaultContext::get, rc::busy) == 9002);
    CHECK(FaultMap::builtin(FaultContext::upload, rc::transfer_failed) == 9011);
    CHECK(FaultMap::builtin(FaultContext::notify, rc::subscription_not_found) == 9009);
    CHECK(FaultMap::builtin(FaultContext::get, 4242) == 9002);

    auto t = mt::load(R"(
model: InternetGatewayDevice:1.4
datamodel: InternetGatewayDevice-1.1.dm
objects:
  InternetGatewayDevice.Time.:
    read: getRgTime
    write: setRgTime
    parameters: { NTPServer1: ntpServer1 }
faults:
  default: { busy: 9004 }
  set: { invalid_argument: 9001, 120: 9801 }
)");
    CHECK(t->faults().code(FaultContext::set, rc::invalid_argument) == 9001);
    CHECK(t->faults().code(FaultContext::get, rc::invalid_argument) == 9003);
    CHECK(t->faults().code(FaultContext::rpc, rc::busy) == 9004);
    CHECK(t->faults().code(FaultContext::set, 120) == 9801);
    mapping::TableDevice dev(t);
    auto vendor = [](const cmp::Request& r) -> core::Result<cmp::Response> { return mt::failed(r.function, 120, "x"); };
    auto f = mt::fault(mt::drive(dev.set_values({{"InternetGatewayDevice.Time.NTPServer1", "a", "xsd:string"}}), vendor));
    CHECK(f.code == 9801);
}
