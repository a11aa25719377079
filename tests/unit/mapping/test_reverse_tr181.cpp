// tr181.yaml (Device:2.17) both ways: a HOMS answered from a TR-181 CPE's
// standard parameters built by hand, and the forward table over the simulated
// gateway read back through the reverse mapping (what the HOMS reads is what
// the gateway holds).
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "bridge/mapping/reverse_call.hpp"
#include "bridge/mapping/validator.hpp"
#include "helpers.hpp"
#include "reverse_helpers.hpp"

namespace {

using mapping::ReverseMapping;

std::shared_ptr<const mapping::Table> tr181() {
    auto t = mapping::Table::load_file(std::string(BRIDGE_SOURCE_DIR) + "/mappings/tr181.yaml");
    REQUIRE_MESSAGE(t, (t ? "" : t.error().message));
    return *t;
}

// A Device:2 router as icwmp/easycwmp report it: standard parameters only.
void device2_cpe(rt::FakeCpe& cpe) {
    const std::string d = "Device.DeviceInfo.";
    for (auto [n, v] : std::vector<std::pair<std::string, std::string>>{
             {"Manufacturer", "OpenWrt"}, {"ManufacturerOUI", "001122"}, {"ModelName", "R7800"},
             {"ProductClass", "Router"}, {"SerialNumber", "SN-181"}, {"HardwareVersion", "v1"},
             {"SoftwareVersion", "23.05.2"}})
        cpe.put(d + n, v);
    cpe.put(d + "UpTime", "86400", "xsd:unsignedInt");
    const std::string wan = "Device.IP.Interface.1.";
    cpe.put(wan + "Status", "Up");
    cpe.put(wan + "LastChange", "3600", "xsd:unsignedInt");
    cpe.put(wan + "IPv4Address.1.IPAddress", "203.0.113.7");
    cpe.put(wan + "IPv4Address.1.SubnetMask", "255.255.255.0");
    cpe.put(wan + "IPv4Address.1.AddressingType", "IPCP");  // PPPoE
    cpe.put(wan + "Stats.BytesSent", "5000000000", "xsd:unsignedLong");  // beyond 2^32: 64-bit counters
    cpe.put(wan + "Stats.BytesReceived", "7", "xsd:unsignedLong");
    cpe.put(wan + "Stats.PacketsSent", "8", "xsd:unsignedLong");
    cpe.put(wan + "Stats.PacketsReceived", "9", "xsd:unsignedLong");
    cpe.put("Device.Routing.Router.1.IPv4Forwarding.1.GatewayIPAddress", "203.0.113.1");
    cpe.put("Device.DHCPv4.Client.1.DNSServers", "203.0.113.53,203.0.113.54");
    cpe.put("Device.Ethernet.Interface.1.MACAddress", "00:11:22:33:44:55");
    const std::string lan = "Device.IP.Interface.2.IPv4Address.1.";
    cpe.put(lan + "IPAddress", "192.168.1.1");
    cpe.put(lan + "SubnetMask", "255.255.255.0");
    const std::string pool = "Device.DHCPv4.Server.Pool.1.";
    cpe.put(pool + "Enable", "1", "xsd:boolean");
    cpe.put(pool + "MinAddress", "192.168.1.100");
    cpe.put(pool + "MaxAddress", "192.168.1.200");
    cpe.put(pool + "SubnetMask", "255.255.255.0");
    cpe.put(pool + "LeaseTime", "43200", "xsd:int");
    for (int i = 1; i <= 5; ++i) cpe.put("Device.Time.NTPServer" + std::to_string(i), i == 1 ? "pool.ntp.org" : "");
    cpe.put("Device.Time.CurrentLocalTime", "2026-12-03T12:00:00Z", "xsd:dateTime");
    cpe.put("Device.Time.LocalTimeZone", "CET-1CEST,M3.5.0,M10.5.0/3");
    // Two hosts, no vendor parameters: the MAC address is the host's devId.
    const std::string h = "Device.Hosts.Host.";
    cpe.put(h + "1.PhysAddress", "aa:bb:cc:00:00:01");
    cpe.put(h + "1.IPAddress", "192.168.1.101");
    cpe.put(h + "1.HostName", "laptop");
    cpe.put(h + "1.Active", "true", "xsd:boolean");
    cpe.put(h + "2.PhysAddress", "aa:bb:cc:00:00:02");
    cpe.put(h + "2.IPAddress", "192.168.1.102");
    cpe.put(h + "2.HostName", "");
    cpe.put(h + "2.Active", "false", "xsd:boolean");
    cpe.put("Device.Hosts.HostNumberOfEntries", "2", "xsd:unsignedInt");
}

// Every scalar of a record as path -> value ("dev[2].ipAddr").
void flatten(const cmp::Record& r, const std::string& prefix, std::map<std::string, std::string>& out) {
    for (const auto& f : r.fields) {
        if (!f.is_list()) {
            out[prefix + f.name] = std::get<0>(f.value);
            continue;
        }
        const auto& items = std::get<1>(f.value);
        for (std::size_t i = 0; i < items.size(); ++i)
            flatten(items[i], prefix + f.name + "[" + std::to_string(i) + "].", out);
    }
}

std::map<std::string, std::string> flat(const cmp::Record& r) {
    std::map<std::string, std::string> out;
    flatten(r, "", out);
    return out;
}

}  // namespace

TEST_CASE("tr181.yaml validates forward and in reverse") {
    const std::string file = std::string(BRIDGE_SOURCE_DIR) + "/mappings/tr181.yaml";
    std::ostringstream out, err;
    CHECK(mapping::run_validate({file}, out, err) == 0);
    CHECK(mapping::run_validate_reverse({file}, out, err) == 0);
    INFO(err.str());
    CHECK(err.str().empty());
    CHECK(out.str().find("Device:2.17 checked against Device-2.17.dm + StorageService-1.0.dm") != std::string::npos);
    CHECK(out.str().find("tr181.yaml: ok in reverse") != std::string::npos);
}

TEST_CASE("tr181.yaml forward: the ACS reads TR-181 paths of the simulated gateway") {
    auto table = tr181();
    mapping::TableDevice dev(table);
    mt::Sim sim;
    mt::Run run;
    auto info = mt::by_name(mt::value(mt::drive(dev.get_values({"Device.DeviceInfo."}), sim.responder(), &run)));
    auto direct = sim(rt::request("getRgInfo"));
    REQUIRE(direct);
    CHECK(info["Device.DeviceInfo.Manufacturer"] == direct->fields.get("manufacturer"));
    CHECK(info["Device.DeviceInfo.ManufacturerOUI"] == direct->fields.get("oui"));
    CHECK(info["Device.DeviceInfo.SoftwareVersion"] == direct->fields.get("swVersion"));
    CHECK(info.count("Device.DeviceInfo.MemoryStatus.Total") == 1);
    CHECK(info.count("Device.DeviceInfo.ProcessStatus.CPUUsage") == 1);
    CHECK_FALSE(info["Device.DeviceInfo.X_EXAMPLE-COM_DeviceLog"].empty());
    CHECK(run.count("getRgInfo") == 1);

    auto hosts = mt::by_name(mt::value(mt::drive(dev.get_values({"Device.Hosts."}), sim.responder())));
    auto devs = *sim(rt::request("getHomeDevList"))->fields.list("dev");
    CHECK(hosts["Device.Hosts.HostNumberOfEntries"] == std::to_string(devs.size()));
    CHECK(hosts["Device.Hosts.Host.1.PhysAddress"] == devs.at(0).get("macAddr"));
    CHECK(hosts["Device.Hosts.Host.1.IPAddress"] == devs.at(0).get("ipAddr"));

    auto net = mt::by_name(mt::value(mt::drive(dev.get_values({"Device.IP.Interface."}), sim.responder())));
    auto ni = sim(rt::request("getRgNetInfo"));
    CHECK(net["Device.IP.Interface.1.IPv4Address.1.IPAddress"] == ni->fields.list("wan")->at(0).get("ipAddr"));
    CHECK(net["Device.IP.Interface.2.IPv4Address.1.SubnetMask"] == ni->fields.list("lan")->at(0).get("mask"));
    CHECK(net["Device.IP.Interface.1.Status"] == "Up");  // the simulated WAN is Connected
    CHECK(net.count("Device.IP.Interface.2.Stats.BytesSent") == 1);

    // A write of a TR-181 parameter reaches the gateway's record.
    mt::Run set;
    mt::value(mt::drive(dev.set_values({{"Device.DHCPv4.Server.Pool.1.MaxAddress", "192.168.1.199", "xsd:string"}}),
                        sim.responder(), &set));
    CHECK(set.count("setRgNetInfo") == 1);
    CHECK(sim(rt::request("getRgNetInfo"))->fields.list("lan")->at(0).get("dhcpMax") == "192.168.1.199");
}

TEST_CASE("tr181.yaml reverse: a Device:2 CPE answers getRgInfo, getRgNetInfo, getRgTrafficInfo, getHomeDevList") {
    auto m = ReverseMapping::make(tr181());
    REQUIRE(m->diagnostics().empty());
    rt::FakeCpe cpe;
    device2_cpe(cpe);

    auto info = rt::answer(m, cpe, rt::request("getRgInfo"));
    REQUIRE(info.result_code == 0);
    CHECK(info.fields.get("manufacturer") == "OpenWrt");
    CHECK(info.fields.get("swVersion") == "23.05.2");
    CHECK(info.fields.get("upTime") == "86400");
    REQUIRE(cpe.log.size() == 1);
    for (const auto& n : std::get<cwmp::GetParameterValues>(cpe.log[0]).names) CHECK(n.rfind("Device.DeviceInfo.", 0) == 0);
    CHECK(m->table().catalogue().validate(info));

    auto net = rt::answer(m, cpe, rt::request("getRgNetInfo"));
    REQUIRE(net.result_code == 0);
    const cmp::Record& wan = net.fields.list("wan")->at(0);
    CHECK(wan.get("status") == "Connected");  // Up, through the map read backwards
    CHECK(wan.get("type") == "PPPoE");        // IPCP
    CHECK(wan.get("ipAddr") == "203.0.113.7");
    CHECK(wan.get("gateway") == "203.0.113.1");
    CHECK(wan.get("dns") == "203.0.113.53,203.0.113.54");
    CHECK(wan.get("mac") == "00:11:22:33:44:55");
    CHECK(wan.get("upTime") == "3600");
    const cmp::Record& lan = net.fields.list("lan")->at(0);
    CHECK(lan.get("ipAddr") == "192.168.1.1");
    CHECK(lan.get("dhcpMax") == "192.168.1.200");
    CHECK(lan.get("leaseTime") == "43200");
    CHECK(m->table().catalogue().validate(net));

    cpe.log.clear();
    auto traffic = rt::answer(m, cpe, rt::request("getRgTrafficInfo", cmp::Record{}.set("ifName", "WAN")));
    REQUIRE(traffic.result_code == 0);
    CHECK(traffic.fields.get("bytesSent") == "5000000000");  // not cut to 32 bits
    CHECK(cpe.log.size() == 1);

    auto hosts = rt::answer(m, cpe, rt::request("getHomeDevList"));
    REQUIRE(hosts.result_code == 0);
    const auto& dev = *hosts.fields.list("dev");
    REQUIRE(dev.size() == 2);
    CHECK(dev[0].get("devId") == "aa:bb:cc:00:00:01");  // reverse.fields: PhysAddress without a vendor DevId
    CHECK(dev[0].get("friendlyName") == "laptop");
    CHECK(dev[0].get("deviceType") == "");
    CHECK(dev[1].get("macAddr") == "aa:bb:cc:00:00:02");
    CHECK_FALSE(dev[1].has("friendlyName"));  // empty HostName: the optional field is left out
    CHECK(m->table().catalogue().validate(hosts));

    // Device:2 has no DeviceLog: without the vendor parameter the log cannot be read.
    auto log = rt::answer(m, cpe, rt::request("getRgLog"));
    CHECK(log.result_code == cmp::result_code::not_supported);
    CHECK(log.result_msg.find("logText") != std::string::npos);
}

TEST_CASE("tr181.yaml reverse: setRgTime and setRgNetInfo write TR-181 parameters; host events") {
    auto m = ReverseMapping::make(tr181());
    rt::FakeCpe cpe;
    device2_cpe(cpe);
    auto t = rt::answer(m, cpe,
                        rt::request("setRgTime", cmp::Record{}
                                                     .set("ntpServer1", "ntp1.example.org")
                                                     .set("ntpServer2", "ntp2.example.org")
                                                     .set("localTimeZone", "EST5EDT,M3.2.0,M11.1.0")));
    INFO(t.result_msg);
    REQUIRE(t.result_code == 0);
    CHECK(cpe.get("Device.Time.NTPServer1") == "ntp1.example.org");
    CHECK(cpe.get("Device.Time.NTPServer2") == "ntp2.example.org");
    CHECK(cpe.get("Device.Time.LocalTimeZone") == "EST5EDT,M3.2.0,M11.1.0");
    const auto& spv = std::get<cwmp::SetParameterValues>(cpe.log.back());
    CHECK(spv.parameter_key.rfind("cmp:setRgTime:", 0) == 0);

    cmp::Record lan;
    lan.set("ipAddr", "192.168.1.1").set("mask", "255.255.0.0").set("dhcpEnable", "true");
    lan.set("dhcpMin", "192.168.1.50").set("dhcpMax", "192.168.1.60").set("leaseTime", "600");
    cmp::Record args;
    args.add_list("lan", {lan});
    auto n = rt::answer(m, cpe, rt::request("setRgNetInfo", args));
    INFO(n.result_msg);
    REQUIRE(n.result_code == 0);
    CHECK(cpe.get("Device.DHCPv4.Server.Pool.1.MinAddress") == "192.168.1.50");
    CHECK(cpe.get("Device.DHCPv4.Server.Pool.1.LeaseTime") == "600");
    // lan[0].mask writes both parameters that read it.
    CHECK(cpe.get("Device.IP.Interface.2.IPv4Address.1.SubnetMask") == "255.255.0.0");
    CHECK(cpe.get("Device.DHCPv4.Server.Pool.1.SubnetMask") == "255.255.0.0");

    // A host comes: VALUE CHANGE of Device.Hosts.Host.{i}.Active, devId from PhysAddress.
    mapping::ReverseEventState state;
    const std::string h = "Device.Hosts.Host.2.";
    state.remember(h + "PhysAddress", "aa:bb:cc:00:00:02");
    state.remember(h + "Active", "false");
    cwmp::Inform inform;
    inform.events = {{"4 VALUE CHANGE", ""}};
    inform.parameters = {{h + "Active", "true", "xsd:boolean"}};
    auto msgs = mapping::reverse_events(*m, inform, state);
    REQUIRE(msgs.size() == 1);
    CHECK(msgs[0].function == "notifyHomeDevJoin");
    CHECK(msgs[0].args.get("devId") == "aa:bb:cc:00:00:02");
    auto w = m->watch_paths();
    CHECK(std::count(w.begin(), w.end(), "Device.Hosts.Host.{i}.Active") == 1);
    CHECK(std::count(w.begin(), w.end(), "Device.Hosts.HostNumberOfEntries") == 1);
}

// The chain of issue 13 for Device:2: the forward table over the simulated
// gateway is the CPE; every get through the reverse mapping gives what the
// gateway holds.
TEST_CASE("tr181.yaml round trip: every get through both directions is what the gateway holds") {
    auto table = tr181();
    auto m = ReverseMapping::make(table);
    mt::Sim sim;
    mapping::TableDevice dev(table);
    rt::FakeCpe cpe;
    for (const auto& v : mt::value(mt::drive(dev.get_values({"Device."}), sim.responder()))) cpe.params[v.name] = v;
    std::vector<cmp::Request> gets = {rt::request("getRgInfo"),     rt::request("getRgCpuRsc"),
                                      rt::request("getRgMemRsc"),   rt::request("getRgDiskRsc"),
                                      rt::request("getRgNetInfo"),  rt::request("getRgTime"),
                                      rt::request("getHomeDevList"), rt::request("getRgLog")};
    for (const char* ifn : {"WAN", "LAN", "WLAN"})
        gets.push_back(rt::request("getRgTrafficInfo", cmp::Record{}.set("ifName", ifn)));
    // Selecting arguments: the hosts of one class, one disk.
    const std::string type = sim(rt::request("getHomeDevList"))->fields.list("dev")->at(0).get("deviceType");
    gets.push_back(rt::request("getHomeDevList", cmp::Record{}.set("deviceType", type)));
    const std::string disk = sim(rt::request("getRgDiskRsc"))->fields.list("disk")->back().get("name");
    gets.push_back(rt::request("getRgDiskRsc", cmp::Record{}.set("diskId", disk)));
    for (const auto& g : gets) {
        CAPTURE(g.function);
        CAPTURE(g.args.get("ifName"));
        cpe.log.clear();
        cmp::Response through = rt::answer(m, cpe, g);
        REQUIRE(through.result_code == 0);
        CHECK(cpe.log.size() == 1);
        CHECK(table->catalogue().validate(through));
        auto direct = sim(g);
        REQUIRE(direct);
        auto want = flat(direct->fields), got = flat(through.fields);
        for (const auto& [k, v] : want) {
            CAPTURE(k);
            REQUIRE_MESSAGE(got.count(k), "missing through the bridges: " << k);
            if (k.find("cpuTime") != std::string::npos) continue;  // the gateway clock ran on between the reads
            CHECK(got[k] == v);
        }
        CHECK(got.size() == want.size());
    }
}
