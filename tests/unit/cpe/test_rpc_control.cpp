// AddObject, DeleteObject, Reboot, FactoryReset, Download, Upload and
// ScheduleInform: argument faults, device faults passed through, and what each
// leaves in the CPE's state for later sessions.
#include <doctest/doctest.h>

#include "tests/unit/cpe/fixture.hpp"

using namespace cpe_test;

TEST_CASE("AddObject creates a row, stores the ParameterKey, Status 0") {
    Fixture f;
    auto r = f.ok<cwmp::AddObjectResponse>(cwmp::AddObject{HOST, "add-1"});
    CHECK(r.instance_number == 3);
    CHECK(r.status == 0);
    CHECK(f.state.parameter_key == "add-1");
    CHECK(f.handler.take_changed());
    CHECK(f.gpv({HOST + "3.HostName"}).size() == 1);
    f.dev.apply_later = true;
    CHECK(f.ok<cwmp::AddObjectResponse>(cwmp::AddObject{HOST, ""}).status == 1);
}

TEST_CASE("AddObject faults") {
    Fixture f;
    CHECK(f.fault(cwmp::AddObject{DI, "k"}).code == 9005);                // not a table
    CHECK(f.fault(cwmp::AddObject{DI + "SerialNumber", "k"}).code == 9005);  // a parameter
    CHECK(f.fault(cwmp::AddObject{HOST + "1.", "k"}).code == 9005);        // not a table (a row): the device refuses
    CHECK(f.fault(cwmp::AddObject{MS, "k"}).code == 9005);
    CHECK(f.fault(cwmp::AddObject{"Device.Hosts.", "k"}).code == 9005);
    CHECK(f.fault(cwmp::AddObject{HOST, std::string(33, 'k')}).code == 9003);
    f.dev.fail_add = cwmp::Fault{9004, "Resources exceeded", {}};
    CHECK(f.fault(cwmp::AddObject{HOST, "k"}).code == 9004);
    CHECK(f.state.parameter_key.empty());
    CHECK_FALSE(f.handler.changed());
}

TEST_CASE("DeleteObject removes a row and its attributes") {
    Fixture f;
    cwmp::SetParameterAttributesStruct s;
    s.name = HOST + "2.";
    s.notification_change = true;
    s.notification = 1;
    f.ok<cwmp::SetParameterAttributesResponse>(cwmp::SetParameterAttributes{{s}});
    auto r = f.ok<cwmp::DeleteObjectResponse>(cwmp::DeleteObject{HOST + "2.", "del-1"});
    CHECK(r.status == 0);
    CHECK(f.state.parameter_key == "del-1");
    CHECK(f.state.attributes.empty());
    CHECK(f.fault(cwmp::GetParameterValues{{HOST + "2."}}).code == 9005);
    CHECK(f.fault(cwmp::DeleteObject{HOST + "2.", "k"}).code == 9005);  // gone
    CHECK(f.fault(cwmp::DeleteObject{DI, "k"}).code == 9005);
    CHECK(f.fault(cwmp::DeleteObject{HOST + "1.HostName", "k"}).code == 9005);
    f.dev.fail_delete = cwmp::Fault{9001, "Request denied", {}};
    CHECK(f.fault(cwmp::DeleteObject{HOST + "1.", "k2"}).code == 9001);
    CHECK(f.state.parameter_key == "del-1");
}

TEST_CASE("Reboot: the gateway reboots, the next session reports 1 BOOT and M Reboot") {
    Fixture f;
    f.ok<cwmp::RebootResponse>(cwmp::Reboot{"rb-7"});
    CHECK(f.dev.log == std::vector<std::string>{"reboot rb-7"});
    CHECK(f.events.contains("1 BOOT"));
    auto p = f.events.pending();
    CHECK(std::count(p.begin(), p.end(), cwmp::EventStruct{"M Reboot", "rb-7"}) == 1);
    CHECK(f.handler.effects().rebooting);
    CHECK(f.handler.take_changed());

    Fixture g;
    g.dev.fail_reboot = cwmp::Fault{9002, "gateway refused", {}};
    CHECK(g.fault(cwmp::Reboot{"rb-8"}).code == 9002);
    CHECK(g.events.empty());
    CHECK(g.fault(cwmp::Reboot{std::string(33, 'c')}).code == 9003);
}

TEST_CASE("FactoryReset: everything the ACS set is gone, the CPE bootstraps again") {
    Fixture f;
    f.state.bootstrapped = true;
    f.state.parameter_key = "pk";
    f.state.acs_url = "http://other-acs/";
    f.state.periodic_interval = 60;
    f.state.attributes[DI + "HardwareVersion"].notification = 1;
    f.state.scheduled_informs.push_back({123, "s"});
    f.state.transfers.push_back({});
    f.events.add("4 VALUE CHANGE");
    f.events.add("M Download", "dl");
    f.ok<cwmp::FactoryResetResponse>(cwmp::FactoryReset{});
    CHECK(f.dev.log == std::vector<std::string>{"factory_reset"});
    CHECK_FALSE(f.state.bootstrapped);
    CHECK(f.state.parameter_key.empty());
    CHECK(f.state.acs_url.empty());
    CHECK(f.state.periodic_interval == 3600);
    CHECK(f.state.attributes.empty());
    CHECK(f.state.scheduled_informs.empty());
    CHECK(f.state.transfers.empty());
    // The bridge's Connection Request identity stays: the ACS must still reach the CPE.
    CHECK(f.state.cr_path == "tok");
    CHECK(f.state.cr_username == "cr-user");
    CHECK(f.events.pending() == std::vector<cwmp::EventStruct>{{"0 BOOTSTRAP", ""}, {"1 BOOT", ""}});
    CHECK(f.handler.effects().factory_reset);

    Fixture g;
    g.dev.fail_factory_reset = cwmp::Fault{9001, "", {}};
    CHECK(g.fault(cwmp::FactoryReset{}).code == 9001);
}

TEST_CASE("Download: accepted with Status 1 and remembered until its TransferComplete") {
    Fixture f;
    cwmp::Download d;
    d.command_key = "fw-1";
    d.file_type = "1 Firmware Upgrade Image";
    d.url = "https://files.example/fw.bin";
    d.file_size = 1000;
    auto r = f.ok<cwmp::DownloadResponse>(d);
    CHECK(r.status == 1);
    CHECK(r.start_time == cwmp::kUnknownTime);
    REQUIRE(f.state.transfers.size() == 1);
    CHECK(f.state.transfers[0].method == "Download");
    CHECK(f.state.transfers[0].result.command_key == "fw-1");
    CHECK_FALSE(f.state.transfers[0].completed);
    CHECK(f.state.transfers[0].accepted_unix == f.now);
    CHECK(f.handler.take_changed());
    CHECK(f.dev.log == std::vector<std::string>{"download 1 Firmware Upgrade Image https://files.example/fw.bin key=fw-1"});
    d.file_type = "3 Vendor Configuration File";
    f.ok<cwmp::DownloadResponse>(d);
}

TEST_CASE("Download faults") {
    Fixture f;
    cwmp::Download d;
    d.file_type = "1 Firmware Upgrade Image";
    d.url = "http://files.example/fw.bin";
    SUBCASE("file types the gateway cannot take") {
        for (auto t : {"2 Web Content", "4 Tone File", "5 Ringer File", "X 00D09E Special"}) {
            d.file_type = t;
            auto fault = f.fault(d);
            CHECK(fault.code == 9010);
        }
    }
    SUBCASE("transfer protocols other than HTTP(S)") {
        d.url = "ftp://files.example/fw.bin";
        CHECK(f.fault(d).code == 9013);
        d.url = "tftp://files.example/fw.bin";
        CHECK(f.fault(d).code == 9013);
    }
    SUBCASE("arguments") {
        d.url = "";
        CHECK(f.fault(d).code == 9003);
        d.url = "files.example/fw.bin";
        CHECK(f.fault(d).code == 9003);
        d.url = "http://files.example/fw.bin";
        d.command_key = std::string(33, 'c');
        CHECK(f.fault(d).code == 9003);
    }
    SUBCASE("the gateway refuses") {
        f.dev.fail_download = cwmp::Fault{9012, "File transfer server authentication failure", {}};
        CHECK(f.fault(d).code == 9012);
    }
    CHECK(f.state.transfers.empty());
}

TEST_CASE("Upload: configuration and log files") {
    Fixture f;
    cwmp::Upload u;
    u.command_key = "up-1";
    u.file_type = "1 Vendor Configuration File";
    u.url = "https://files.example/upload";
    CHECK(f.ok<cwmp::UploadResponse>(u).status == 1);
    u.file_type = "2 Vendor Log File";
    f.ok<cwmp::UploadResponse>(u);
    REQUIRE(f.state.transfers.size() == 2);
    CHECK(f.state.transfers[1].method == "Upload");
    u.file_type = "3 Vendor Configuration File 1";
    CHECK(f.fault(u).code == 9011);
    u.file_type = "1 Vendor Configuration File";
    u.url = "ftp://x/";
    CHECK(f.fault(u).code == 9013);
}

TEST_CASE("ScheduleInform: persisted with its due time and CommandKey") {
    Fixture f;
    f.ok<cwmp::ScheduleInformResponse>(cwmp::ScheduleInform{60, "si-1"});
    REQUIRE(f.state.scheduled_informs.size() == 1);
    CHECK(f.state.scheduled_informs[0].due_unix == f.now + 60);
    CHECK(f.state.scheduled_informs[0].command_key == "si-1");
    CHECK(f.handler.effects().schedule_changed);
    CHECK(f.handler.take_changed());
    CHECK(f.fault(cwmp::ScheduleInform{0, "si-2"}).code == 9003);
    CHECK(f.fault(cwmp::ScheduleInform{5, std::string(33, 'k')}).code == 9003);
    CHECK(f.state.scheduled_informs.size() == 1);
}
