// The mapping tables read the other way (issue 13): HOMS -> gateway requests
// answered from a TR-069 CPE by plain function calls against a fake CPE.
#include <doctest/doctest.h>

#include "bridge/mapping/reverse_call.hpp"
#include "reverse_helpers.hpp"
#include "tests/shared_paths.hpp"

namespace {

using mapping::ReverseMapping;

std::shared_ptr<const ReverseMapping> shipped(const std::string& name) {
    auto t = mapping::Table::load_file(std::string(BRIDGE_SOURCE_DIR) + "/mappings/" + name);
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    return ReverseMapping::make(*t);
}

const std::string IGD = "InternetGatewayDevice.";

void device_info(rt::FakeCpe& cpe) {
    cpe.put(IGD + "DeviceInfo.Manufacturer", "Acme");
    cpe.put(IGD + "DeviceInfo.ManufacturerOUI", "00D09E");
    cpe.put(IGD + "DeviceInfo.ModelName", "R1");
    cpe.put(IGD + "DeviceInfo.ProductClass", "Router");
    cpe.put(IGD + "DeviceInfo.SerialNumber", "SN1");
    cpe.put(IGD + "DeviceInfo.HardwareVersion", "hw1");
    cpe.put(IGD + "DeviceInfo.SoftwareVersion", "2.0");
    cpe.put(IGD + "DeviceInfo.UpTime", "3600", "xsd:unsignedInt");
}

}  // namespace

TEST_CASE("reverse getRgInfo: one GetParameterValues with every name, fields filled") {
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    device_info(cpe);
    auto r = rt::answer(m, cpe, rt::request("getRgInfo"));
    CHECK(r.result_code == 0);
    CHECK(r.function == "getRgInfo");
    CHECK(r.header.transaction_id == "tx-17");
    CHECK(r.fields.get("manufacturer") == "Acme");
    CHECK(r.fields.get("oui") == "00D09E");
    CHECK(r.fields.get("swVersion") == "2.0");
    CHECK(r.fields.get("upTime") == "3600");
    REQUIRE(cpe.log.size() == 1);
    const auto& gpv = std::get<cwmp::GetParameterValues>(cpe.log[0]);
    CHECK(gpv.names.size() == 8);
    CHECK(m->table().catalogue().validate(r));
}

TEST_CASE("reverse get: a parameter the CPE lacks") {
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    device_info(cpe);
    cpe.params.erase(IGD + "DeviceInfo.HardwareVersion");
    SUBCASE("unknown names: fault 9005, then GetParameterNames once, then the names it has") {
        auto r = rt::answer(m, cpe, rt::request("getRgInfo"));
        // hwVersion is required: the answer cannot be complete, and asking later will not help.
        CHECK(r.result_code == cmp::result_code::not_supported);
        CHECK(r.result_msg.find("hwVersion") != std::string::npos);
        CHECK(cpe.log.size() == 3);
        CHECK(cpe.count<cwmp::GetParameterNames>() == 1);
    }
    SUBCASE("a table the CPE does not have is not an empty list") {
        std::map<std::string, bool, std::less<>> names;
        for (const auto& [n, v] : cpe.params) names.emplace(n, false);
        mapping::ReverseContext ctx;
        ctx.known_names = &names;
        auto r = rt::answer(m, cpe, rt::request("getRgDiskRsc"), ctx);
        CHECK(r.result_code == cmp::result_code::not_supported);
        CHECK(r.result_msg.find("disk") != std::string::npos);
        CHECK(cpe.log.empty());  // nothing to ask
        // The same CPE with the table, but no disk in it: an empty list.
        names.emplace(IGD + "Services.StorageService.1.PhysicalMedium.", false);
        names.emplace(IGD + "Services.StorageService.1.LogicalVolume.", false);
        cpe.row_templates[IGD + "Services.StorageService.1.PhysicalMedium."] = {};
        cpe.row_templates[IGD + "Services.StorageService.1.LogicalVolume."] = {};
        auto empty = rt::answer(m, cpe, rt::request("getRgDiskRsc"), ctx);
        REQUIRE(empty.result_code == 0);
        CHECK(empty.fields.list("disk")->empty());
    }
    SUBCASE("known names: the missing one is not asked for") {
        std::map<std::string, bool, std::less<>> names;  // as acs::CpeRecord::names
        for (const auto& [n, v] : cpe.params) names.emplace(n, false);
        mapping::ReverseContext ctx;
        ctx.known_names = &names;
        auto r = rt::answer(m, cpe, rt::request("getRgInfo"), ctx);
        CHECK(r.result_code == cmp::result_code::not_supported);
        CHECK(cpe.log.size() == 1);
    }
    SUBCASE("an optional field is left out") {
        cpe.put(IGD + "DeviceInfo.HardwareVersion", "hw1");
        // getHomeDevList friendlyName is optional: a host without HostName has no friendlyName.
        cpe.put(IGD + "LANDevice.1.Hosts.Host.1.IPAddress", "192.168.1.2");
        cpe.put(IGD + "LANDevice.1.Hosts.Host.1.MACAddress", "aa:bb:cc:dd:ee:01");
        cpe.put(IGD + "LANDevice.1.Hosts.Host.1.Active", "1", "xsd:boolean");
        cpe.put(IGD + "LANDevice.1.Hosts.Host.1.X_EXAMPLE-COM_DevId", "dev-1");
        cpe.put(IGD + "LANDevice.1.Hosts.Host.1.X_EXAMPLE-COM_DeviceType", "Computer");
        auto r = rt::answer(m, cpe, rt::request("getHomeDevList"));
        REQUIRE(r.result_code == 0);
        const auto& dev = *r.fields.list("dev");
        REQUIRE(dev.size() == 1);
        CHECK_FALSE(dev[0].has("friendlyName"));
        CHECK(dev[0].get("active") == "1");
        CHECK(dev[0].get("devId") == "dev-1");
    }
}

TEST_CASE("reverse getRgNetInfo, getRgTime, getRgTrafficInfo: records, inverted transforms, arguments") {
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    const std::string wan = IGD + "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.";
    const std::string lan = IGD + "LANDevice.1.LANHostConfigManagement.";
    for (auto [n, v] : std::vector<std::pair<std::string, std::string>>{
             {"ConnectionStatus", "Connected"}, {"Uptime", "60"}, {"AddressingType", "DHCP"},
             {"ExternalIPAddress", "10.0.0.2"}, {"SubnetMask", "255.0.0.0"}, {"DefaultGateway", "10.0.0.1"},
             {"DNSServers", "10.0.0.1"}, {"MACAddress", "aa:bb:cc:dd:ee:ff"}})
        cpe.put(wan + n, v);
    for (auto [n, v] : std::vector<std::pair<std::string, std::string>>{
             {"DHCPServerEnable", "true"}, {"MinAddress", "192.168.1.10"}, {"MaxAddress", "192.168.1.99"},
             {"SubnetMask", "255.255.255.0"}, {"DHCPLeaseTime", "86400"}, {"IPInterface.1.IPInterfaceIPAddress", "192.168.1.1"},
             {"IPInterface.1.IPInterfaceSubnetMask", "255.255.255.0"}})
        cpe.put(lan + n, v);
    auto r = rt::answer(m, cpe, rt::request("getRgNetInfo"));
    REQUIRE(r.result_code == 0);
    const auto& w = r.fields.list("wan")->at(0);
    CHECK(w.get("ipAddr") == "10.0.0.2");
    CHECK(w.get("status") == "Connected");  // ConnectionStatus, not the mapped WANEthernetInterfaceConfig.Status
    CHECK(w.get("mac") == "aa:bb:cc:dd:ee:ff");
    const auto& l = r.fields.list("lan")->at(0);
    CHECK(l.get("ipAddr") == "192.168.1.1");
    CHECK(l.get("dhcpMin") == "192.168.1.10");
    CHECK(l.get("leaseTime") == "86400");
    CHECK(cpe.log.size() == 1);
    CHECK(m->table().catalogue().validate(r));

    SUBCASE("getRgTime: localTimeZone from LocalTimeZoneName, not from the extracted offset") {
        for (int i = 1; i <= 5; ++i) cpe.put(IGD + "Time.NTPServer" + std::to_string(i), i == 1 ? "pool.ntp.org" : "");
        cpe.put(IGD + "Time.CurrentLocalTime", "2026-12-03T15:00:00+03:00", "xsd:dateTime");
        cpe.put(IGD + "Time.LocalTimeZoneName", "GMT+03:00");
        cpe.put(IGD + "Time.LocalTimeZone", "+03:00");
        auto t = rt::answer(m, cpe, rt::request("getRgTime"));
        REQUIRE(t.result_code == 0);
        CHECK(t.fields.get("localTimeZone") == "GMT+03:00");
        CHECK(t.fields.get("ntpServer1") == "pool.ntp.org");
        CHECK(t.fields.get("ntpServer2") == "");
    }
    SUBCASE("getRgTrafficInfo: the ifName argument chooses the parameters; none means WAN") {
        const std::string ls = IGD + "LANDevice.1.LANEthernetInterfaceConfig.1.Stats.";
        const std::string ws = IGD + "WANDevice.1.WANEthernetInterfaceConfig.Stats.";
        const std::string wc = IGD + "WANDevice.1.WANCommonInterfaceConfig.";
        for (auto n : {"BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived"}) {
            cpe.put(ls + n, "11", "xsd:unsignedInt");
            cpe.put(ws + n, "22", "xsd:unsignedInt");
        }
        for (auto n : {"TotalBytesSent", "TotalBytesReceived", "TotalPacketsSent", "TotalPacketsReceived"})
            cpe.put(wc + n, "33", "xsd:unsignedInt");
        auto lr = rt::answer(m, cpe, rt::request("getRgTrafficInfo", cmp::Record{}.set("ifName", "LAN")));
        REQUIRE(lr.result_code == 0);
        CHECK(lr.fields.get("bytesSent") == "11");
        const auto& last = std::get<cwmp::GetParameterValues>(cpe.log.back());
        CHECK(last.names.size() == 4);
        auto wr = rt::answer(m, cpe, rt::request("getRgTrafficInfo"));
        REQUIRE(wr.result_code == 0);
        CHECK((wr.fields.get("bytesSent") == "33" || wr.fields.get("bytesSent") == "22"));
    }
}

TEST_CASE("reverse lists: one item per instance, fields from rows of two objects joined by key, maps inverted") {
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    const std::string pm = IGD + "Services.StorageService.1.PhysicalMedium.";
    const std::string lv = IGD + "Services.StorageService.1.LogicalVolume.";
    // Instance numbers differ between the two tables: the key (name) joins them.
    cpe.put(pm + "1.Name", "usb1");
    cpe.put(pm + "1.Capacity", "1000", "xsd:unsignedInt");
    cpe.put(pm + "1.Status", "Online");
    cpe.put(pm + "2.Name", "usb2");
    cpe.put(pm + "2.Capacity", "2000", "xsd:unsignedInt");
    cpe.put(pm + "2.Status", "Offline");
    for (auto [i, name, used, free] : std::vector<std::tuple<int, std::string, std::string, std::string>>{
             {7, "usb2", "500", "1536000"}, {4, "usb1", "10", "1013760"}}) {
        const std::string row = lv + std::to_string(i) + ".";
        cpe.put(row + "Name", name);
        cpe.put(row + "Status", "Online");
        cpe.put(row + "FileSystem", "ext4");
        cpe.put(row + "Capacity", "0");
        cpe.put(row + "UsedSpace", used, "xsd:unsignedInt");
        cpe.put(row + "X_EXAMPLE-COM_FreeSpace", free, "xsd:unsignedInt");
    }
    auto r = rt::answer(m, cpe, rt::request("getRgDiskRsc"));
    REQUIRE(r.result_code == 0);
    const auto& disk = *r.fields.list("disk");
    REQUIRE(disk.size() == 2);
    CHECK(disk[0].get("name") == "usb1");
    CHECK(disk[0].get("status") == "mounted");  // map Online -> mounted, inverted
    CHECK(disk[1].get("status") == "unmounted");
    CHECK(disk[0].get("totalMB") == "1000");
    CHECK(disk[0].get("usedMB") == "10");
    CHECK(disk[1].get("usedMB") == "500");
    CHECK(disk[0].get("freeMB") == "990");  // units MB->KB inverted: 1013760 KiB
    CHECK(disk[1].get("freeMB") == "1500");
    CHECK(cpe.log.size() == 1);
    CHECK(std::get<cwmp::GetParameterValues>(cpe.log[0]).names.size() == 2);  // two partial paths
    CHECK(m->table().catalogue().validate(r));
    // diskId selects by the list key (the disk name), whatever object answers first.
    auto one = rt::answer(m, cpe, rt::request("getRgDiskRsc", cmp::Record{}.set("diskId", "usb2")));
    REQUIRE(one.result_code == 0);
    REQUIRE(one.fields.list("disk")->size() == 1);
    CHECK(one.fields.list("disk")->at(0).get("usedMB") == "500");
}

TEST_CASE("reverse transforms: forward read then reverse read gives the gateway value back") {
    auto m = shipped("tr098.yaml");
    const auto& t = m->table();
    auto param = [&](const std::string& path) -> const mapping::ParamRule& {
        const auto* p = t.find(path);
        REQUIRE(p);
        return *p;
    };
    struct Case {
        std::string path, gateway;
    };
    for (const Case& c : std::vector<Case>{
             {IGD + "Services.StorageService.1.LogicalVolume.{i}.Status", "unmounted"},
             {IGD + "Services.StorageService.1.LogicalVolume.{i}.X_EXAMPLE-COM_FreeSpace", "1234"},
             {IGD + "DeviceInfo.X_EXAMPLE-COM_ProcessStatus.Process.{i}.State", "Z"},
             {IGD + "WANDevice.1.WANCommonInterfaceConfig.TotalBytesSent", "4000000000"},
         }) {
        const auto& p = param(c.path);
        auto back = mapping::reverse_read(p, p.transform.read(c.gateway));
        REQUIRE(back);
        CHECK(*back == c.gateway);
    }
    // Non-invertible steps refuse rather than guess.
    CHECK_FALSE(mapping::reverse_read(param(IGD + "Time.LocalTimeZone"), "+03:00"));
    CHECK_FALSE(mapping::reverse_read(param(IGD + "X_EXAMPLE-COM_HomeDevice.{i}.ServiceIds"), "a,b"));
}

TEST_CASE("reverse answers from the real gateway dump (../shared/data)") {
    auto csv = test_shared::path("data/genieacs-sim_data_model_202BC1-BM632w-8KA8WA1151100043.csv");
    if (!csv) return;
    auto m = shipped("tr098.yaml");
    rt::FakeCpe cpe;
    rt::load_dump(cpe, csv->string());
    REQUIRE(cpe.params.size() > 500);

    auto info = rt::answer(m, cpe, rt::request("getRgInfo"));
    REQUIRE(info.result_code == 0);
    CHECK(info.fields.get("manufacturer") == "Huawei Technologies Co., Ltd.");
    CHECK(info.fields.get("oui") == "202BC1");
    CHECK(info.fields.get("swVersion") == "V100R001IRQC56B017");
    CHECK(info.fields.get("upTime") == "213138");

    // The Huawei tree has no X_EXAMPLE-COM_ host parameters: reverse.fields falls back to the MAC address.
    auto hosts = rt::answer(m, cpe, rt::request("getHomeDevList"));
    REQUIRE(hosts.result_code == 0);
    const auto& dev = *hosts.fields.list("dev");
    CHECK(dev.size() >= 6);
    CHECK(dev[0].get("devId") == "40:B0:FA:9C:4A:50");
    CHECK(dev[0].get("macAddr") == "40:B0:FA:9C:4A:50");
    CHECK(dev[0].get("ipAddr") == "192.168.1.2");
    CHECK(dev[0].get("friendlyName") == "android-d87bf88d22e66acf");
    CHECK(dev[0].get("active") == "true");
    CHECK(m->table().catalogue().validate(hosts));
    // deviceType selects: this dump has no host class (deviceType ""), so a class selects none.
    auto computers = rt::answer(m, cpe, rt::request("getHomeDevList", cmp::Record{}.set("deviceType", "Computer")));
    REQUIRE(computers.result_code == 0);
    CHECK(computers.fields.list("dev")->empty());
    auto unclassed = rt::answer(m, cpe, rt::request("getHomeDevList", cmp::Record{}.set("deviceType", "")));
    CHECK(unclassed.fields.list("dev")->size() == dev.size());

    // LANHostConfigManagement.SubnetMask is absent from the dump: fault 9005, GetParameterNames once,
    // and IPInterfaceSubnetMask (the other parameter writing lan[0].mask) fills the field.
    cpe.log.clear();
    auto net = rt::answer(m, cpe, rt::request("getRgNetInfo"));
    REQUIRE(net.result_code == 0);
    CHECK(cpe.count<cwmp::GetParameterNames>() == 1);
    CHECK(cpe.log.size() == 3);
    CHECK(net.fields.list("wan")->at(0).get("dns") == "5.42.195.218,5.42.195.219");
    CHECK(net.fields.list("lan")->at(0).get("dhcpMin") == "192.168.1.2");
    CHECK(net.fields.list("lan")->at(0).get("mask") == "255.255.255.0");
    CHECK(m->table().catalogue().validate(net));

    auto time = rt::answer(m, cpe, rt::request("getRgTime"));
    REQUIRE(time.result_code == 0);
    CHECK(time.fields.get("localTimeZone") == "GMT+03:00");
    CHECK(time.fields.get("ntpServer1") == "clock.fmt.he.net");
    CHECK(time.fields.get("currentLocalTime") == "2013-08-16T17:14:42.000Z");
    auto wlan = rt::answer(m, cpe, rt::request("getRgTrafficInfo", cmp::Record{}.set("ifName", "WLAN")));
    REQUIRE(wlan.result_code == 0);
    CHECK(wlan.fields.get("bytesSent") == "1040264440");
    CHECK(wlan.fields.get("pktsRcvd") == "5033167");
    // This gateway has no storage service and no CPU/memory parameters: said so, not invented.
    for (const char* fn : {"getRgDiskRsc", "getRgCpuRsc", "getRgMemRsc"}) {
        auto r = rt::answer(m, cpe, rt::request(fn));
        CAPTURE(fn);
        CHECK(r.result_code == cmp::result_code::not_supported);
    }
}
