// GetParameterValues / GetParameterNames planning and translation, list
// rows with stable instance numbers, and the persisted state.
#include <algorithm>
#include <set>

#include "tests/unit/mapping/helpers.hpp"

namespace {

const char* kHosts = R"(
model: InternetGatewayDevice:1.4
datamodel: InternetGatewayDevice-1.1.dm
vendor_prefix: X_EXAMPLE-COM_
objects:
  InternetGatewayDevice.DeviceInfo.:
    read: getRgInfo
    parameters:
      Manufacturer: manufacturer
      UpTime: upTime
  InternetGatewayDevice.LANDevice.1.Hosts.Host.{i}.:
    read: getHomeDevList
    list: { items: dev, key: devId }
    parameters:
      IPAddress: ipAddr
      HostName: { field: friendlyName, default: "" }
      Active: active
)";

cmp::Record host(const std::string& id, const std::string& ip, bool active = true) {
    cmp::Record r;
    r.set("devId", id).set("deviceType", "Computer").set("ipAddr", ip).set("macAddr", "00:11:22:33:44:55");
    r.set("active", active ? "true" : "false");
    return r;
}

struct HostList {
    std::vector<cmp::Record> devs;
    int calls = 0;
    core::Result<cmp::Response> operator()(const cmp::Request& r) {
        ++calls;
        if (r.function == "getRgInfo") {
            cmp::Record f;
            f.set("manufacturer", "ACME").set("upTime", "42");
            return mt::ok("getRgInfo", f);
        }
        REQUIRE(r.function == "getHomeDevList");
        cmp::Record f;
        f.add_list("dev", devs);
        return mt::ok("getHomeDevList", f);
    }
};

}  // namespace

TEST_CASE("tr098: the DeviceInfo identity comes from exactly one getRgInfo") {
    auto table = *mapping::Table::load_file("mappings/tr098.yaml");
    mapping::TableDevice dev(table);
    mt::Sim sim;
    mt::Run run;
    const std::string di = "InternetGatewayDevice.DeviceInfo.";
    std::vector<std::string> names;
    for (auto n : {"Manufacturer", "ManufacturerOUI", "ModelName", "ProductClass", "SerialNumber", "HardwareVersion",
                   "SoftwareVersion", "UpTime"})
        names.push_back(di + n);
    auto values = mt::value(mt::drive(dev.get_values(names), sim.responder(), &run));
    REQUIRE(run.calls.size() == 1);
    CHECK(run.calls[0].function == "getRgInfo");
    REQUIRE(values.size() == 8);
    auto m = mt::by_name(values);
    CHECK(m[di + "Manufacturer"] == "Huawei Technologies Co., Ltd.");
    CHECK(m[di + "ManufacturerOUI"] == "202BC1");
    CHECK(m[di + "SerialNumber"] == sim.model.serial_number());
    CHECK(values[7].type == "xsd:unsignedInt");
    CHECK(values[0].type == "xsd:string");
}

TEST_CASE("one GetParameterValues of the whole tree makes one call per function and arguments") {
    for (const char* file : {"mappings/tr098.yaml", "mappings/tr098-tr157.yaml", "mappings/tr106.yaml"}) {
        CAPTURE(file);
        auto table = mapping::Table::load_file(file);
        REQUIRE(table);
        mapping::TableDevice dev(*table);
        mt::Sim sim;
        mt::Run run;
        auto values = mt::value(mt::drive(dev.get_values({""}), sim.responder(), &run));
        REQUIRE(run.rounds.size() == 1);  // every call planned up front, in one round
        std::set<std::string> keys;
        for (const auto& c : run.calls) CHECK(keys.insert(mapping::call_key(c)).second);
        CHECK(run.count("getRgInfo") == 1);
        CHECK(run.count("getRgNetInfo") == 1);
        CHECK(run.count("getHomeDevList") == 1);
        CHECK(run.count("getRgDiskRsc") == 1);
        CHECK(run.count("getRgCpuRsc") == 1);
        CHECK(run.count("getRgTime") == 1);
        CHECK(run.count("setRgNetInfo") == 0);
        CHECK(values.size() > 60);
        // Every value has the type of its parameter; standard ones valid for the data model.
        for (const auto& v : values) {
            auto info = dev.describe(v.name);
            REQUIRE_MESSAGE(info, v.name);
            CHECK(info->type == v.type);
        }
    }
}

TEST_CASE("unknown names fault at once, without gateway calls") {
    mapping::TableDevice dev(mt::load(kHosts));
    for (auto bad : {"InternetGatewayDevice.DeviceInfo.Nope", "InternetGatewayDevice.DeviceInfo.UpTime.",
                     "InternetGatewayDevice.DeviceInfo", "Device.DeviceInfo.", "InternetGatewayDevice.LANDevice.2.",
                     "InternetGatewayDevice.LANDevice.1.Hosts.Host.x.", "InternetGatewayDevice.LANDevice.1.Hosts.Host.0.",
                     "InternetGatewayDevice.LANDevice.1.Hosts.Host.{i}.IPAddress", "InternetGatewayDevice.LANDevice.1.Hosts.Host.{i}."}) {
        CAPTURE(bad);
        auto step = dev.get_values({bad});
        REQUIRE(step.done);
        CHECK(mt::fault(*step.done).code == 9005);
    }
}

TEST_CASE("list rows: instance numbers follow the key, survive reordering, restarts, and are never reused") {
    auto table = mt::load(kHosts);
    HostList gw;
    gw.devs = {host("mac-a", "192.168.1.2"), host("mac-b", "192.168.1.3")};
    mapping::TableDevice dev(table);
    const std::string h = "InternetGatewayDevice.LANDevice.1.Hosts.";
    auto v = mt::by_name(mt::value(mt::drive(dev.get_values({h}), std::ref(gw))));
    CHECK(v[h + "HostNumberOfEntries"] == "2");
    CHECK(v[h + "Host.1.IPAddress"] == "192.168.1.2");
    CHECK(v[h + "Host.2.IPAddress"] == "192.168.1.3");
    CHECK(v[h + "Host.1.Active"] == "true");
    CHECK(v.count(h + "Host.1.HostName") == 1);  // optional field absent: the default

    // Reordered, one gone, one new: numbers stay with keys, the new key gets 3.
    gw.devs = {host("mac-c", "192.168.1.9"), host("mac-b", "192.168.1.3")};
    v = mt::by_name(mt::value(mt::drive(dev.get_values({h}), std::ref(gw))));
    CHECK(v[h + "HostNumberOfEntries"] == "2");
    CHECK(v.count(h + "Host.1.IPAddress") == 0);
    CHECK(v[h + "Host.2.IPAddress"] == "192.168.1.3");
    CHECK(v[h + "Host.3.IPAddress"] == "192.168.1.9");

    // A restart: the state blob brings the numbers back; a returning key keeps its number.
    std::string blob = dev.save_state();
    mapping::TableDevice again(table);
    REQUIRE(again.load_state(blob));
    CHECK(again.describe(h + "Host.3.IPAddress"));  // known without a call
    gw.devs = {host("mac-a", "192.168.1.2"), host("mac-d", "192.168.1.10")};
    v = mt::by_name(mt::value(mt::drive(again.get_values({h}), std::ref(gw))));
    CHECK(v[h + "Host.1.IPAddress"] == "192.168.1.2");
    CHECK(v[h + "Host.4.IPAddress"] == "192.168.1.10");  // never 2 or 3 again
    CHECK(v.count(h + "Host.2.IPAddress") == 0);

    // The same through cpe::Device's persistence hooks (what the CPE layer stores).
    mapping::TableDevice third(table);
    third.restore_state(again.persistent_state());
    CHECK(third.describe(h + "Host.4."));
    third.restore_state({{"mapping", "not: [valid"}});
    CHECK_FALSE(third.describe(h + "Host.4."));  // unreadable: starts empty
}

TEST_CASE("a list longer than the key memory keeps its numbers; absent keys are forgotten oldest first") {
    auto table = mt::load(kHosts);
    HostList gw;
    const std::size_t n = 5000;  // more than the 4096 keys a list remembers
    auto hosts = [&](const std::string& prefix) {
        std::vector<cmp::Record> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(host(prefix + std::to_string(i), "10.0.0.1"));
        return out;
    };
    mapping::TableDevice dev(table);
    const std::string h = "InternetGatewayDevice.LANDevice.1.Hosts.";
    gw.devs = hosts("a-");
    auto v = mt::by_name(mt::value(mt::drive(dev.get_values({h + "HostNumberOfEntries"}), std::ref(gw))));
    CHECK(v[h + "HostNumberOfEntries"] == std::to_string(n));
    // Every row of one list keeps its number on the next call, even in reverse order.
    std::reverse(gw.devs.begin(), gw.devs.end());
    gw.devs[0].set("ipAddr", "10.9.9.9");  // a-<n-1>, the last key assigned
    auto last = mt::by_name(mt::value(mt::drive(dev.get_values({h + "Host." + std::to_string(n) + ".IPAddress"}),
                                                std::ref(gw))));
    CHECK(last[h + "Host." + std::to_string(n) + ".IPAddress"] == "10.9.9.9");
    gw.devs.back().set("ipAddr", "10.8.8.8");  // a-0, the first key assigned
    auto first = mt::by_name(mt::value(mt::drive(dev.get_values({h + "Host.1.IPAddress"}), std::ref(gw))));
    CHECK(first[h + "Host.1.IPAddress"] == "10.8.8.8");
    auto names = mt::value(mt::drive(dev.get_names(h + "Host.", false), std::ref(gw)));
    CHECK(names.size() == 1 + n * 4);  // the table, then each row with its three parameters

    // A whole new list: the old keys are absent and forgotten (the present ones stay),
    // so a returning old key gets a fresh number; numbers never repeat.
    gw.devs = hosts("b-");
    (void)mt::value(mt::drive(dev.get_values({h + "HostNumberOfEntries"}), std::ref(gw)));
    gw.devs = {host("a-0", "10.7.7.7")};
    v = mt::by_name(mt::value(mt::drive(dev.get_values({h}), std::ref(gw))));
    CHECK(v[h + "Host." + std::to_string(2 * n + 1) + ".IPAddress"] == "10.7.7.7");
}

TEST_CASE("a row path is checked against the fresh list") {
    HostList gw;
    gw.devs = {host("mac-a", "192.168.1.2")};
    mapping::TableDevice dev(mt::load(kHosts));
    const std::string p = "InternetGatewayDevice.LANDevice.1.Hosts.Host.";
    auto v = mt::value(mt::drive(dev.get_values({p + "1.IPAddress"}), std::ref(gw)));
    REQUIRE(v.size() == 1);
    CHECK(v[0].value == "192.168.1.2");
    CHECK(mt::fault(mt::drive(dev.get_values({p + "7.IPAddress"}), std::ref(gw))).code == 9005);
    CHECK(mt::fault(mt::drive(dev.get_values({p + "7."}), std::ref(gw))).code == 9005);
}

TEST_CASE("several names share the calls; results come in request order") {
    HostList gw;
    gw.devs = {host("mac-a", "192.168.1.2")};
    mapping::TableDevice dev(mt::load(kHosts));
    mt::Run run;
    auto v = mt::value(mt::drive(dev.get_values({"InternetGatewayDevice.LANDevice.1.Hosts.Host.1.Active",
                                                 "InternetGatewayDevice.DeviceInfo.UpTime",
                                                 "InternetGatewayDevice.LANDevice.1.Hosts.HostNumberOfEntries",
                                                 "InternetGatewayDevice.DeviceInfo.Manufacturer"}),
                                 std::ref(gw), &run));
    CHECK(run.calls.size() == 2);
    REQUIRE(v.size() == 4);
    CHECK(v[0].name == "InternetGatewayDevice.LANDevice.1.Hosts.Host.1.Active");
    CHECK(v[0].type == "xsd:boolean");
    CHECK(v[1].value == "42");
    CHECK(v[2].value == "1");
    CHECK(v[3].value == "ACME");
}

TEST_CASE("a failed gateway call fails the request with the mapped fault") {
    mapping::TableDevice dev(mt::load(kHosts));
    auto busy = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        return mt::failed(r.function, cmp::result_code::busy, "upgrade in progress");
    };
    auto f = mt::fault(mt::drive(dev.get_values({"InternetGatewayDevice.DeviceInfo.UpTime"}), busy));
    CHECK(f.code == 9002);
    CHECK(f.string.find("busy") != std::string::npos);
    auto down = [](const cmp::Request&) -> core::Result<cmp::Response> {
        return core::make_error("net.timeout", "gateway did not answer");
    };
    CHECK(mt::fault(mt::drive(dev.get_values({"InternetGatewayDevice.DeviceInfo.UpTime"}), down)).code == 9002);
}

TEST_CASE("GetParameterNames: objects included, next level, rows after the list call") {
    HostList gw;
    gw.devs = {host("mac-a", "192.168.1.2"), host("mac-b", "192.168.1.3")};
    mapping::TableDevice dev(mt::load(kHosts));

    auto top = mt::value(mt::drive(dev.get_names("", true), std::ref(gw)));
    REQUIRE(top.size() == 1);
    CHECK(top[0].path == "InternetGatewayDevice.");

    mt::Run run;
    auto level = mt::value(mt::drive(dev.get_names("InternetGatewayDevice.", true), std::ref(gw), &run));
    CHECK(run.calls.empty());  // no rows at this level
    std::vector<std::string> paths;
    for (const auto& n : level) paths.push_back(n.path);
    CHECK(paths == std::vector<std::string>{"InternetGatewayDevice.LANDeviceNumberOfEntries",
                                            "InternetGatewayDevice.DeviceInfo.", "InternetGatewayDevice.LANDevice."});

    auto rows = mt::value(mt::drive(dev.get_names("InternetGatewayDevice.LANDevice.1.Hosts.Host.", true), std::ref(gw)));
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].path == "InternetGatewayDevice.LANDevice.1.Hosts.Host.1.");
    CHECK(rows[0].is_object);
    CHECK_FALSE(rows[0].writable);

    auto all = mt::value(mt::drive(dev.get_names("InternetGatewayDevice.", false), std::ref(gw)));
    std::set<std::string> set;
    for (const auto& n : all) set.insert(n.path);
    CHECK(set.count("InternetGatewayDevice."));
    CHECK(set.count("InternetGatewayDevice.LANDevice.1.Hosts.Host.2.Active"));
    CHECK(set.count("InternetGatewayDevice.LANDevice.1.Hosts.HostNumberOfEntries"));
    for (const auto& n : all)
        if (n.path == "InternetGatewayDevice.DeviceInfo.UpTime") CHECK(n.type == "xsd:unsignedInt");

    auto one = mt::value(mt::drive(dev.get_names("InternetGatewayDevice.DeviceInfo.UpTime", false), std::ref(gw)));
    REQUIRE(one.size() == 1);
    CHECK_FALSE(one[0].writable);
    CHECK(mt::fault(mt::drive(dev.get_names("InternetGatewayDevice.DeviceInfo.UpTime", true), std::ref(gw))).code == 9003);
    CHECK(mt::fault(mt::drive(dev.get_names("InternetGatewayDevice.Nope.", false), std::ref(gw))).code == 9005);
}

TEST_CASE("describe knows the static tree and rows seen before") {
    mapping::TableDevice dev(mt::load(kHosts));
    CHECK(dev.describe("InternetGatewayDevice.")->is_object);
    CHECK(dev.describe("InternetGatewayDevice.LANDevice.")->is_object);
    CHECK(dev.describe("InternetGatewayDevice.LANDevice.1.Hosts.HostNumberOfEntries")->type == "xsd:unsignedInt");
    CHECK_FALSE(dev.describe("InternetGatewayDevice.LANDevice.1.Hosts.Host.1."));  // not listed yet
    HostList gw;
    gw.devs = {host("mac-a", "192.168.1.2")};
    mt::value(mt::drive(dev.get_names("InternetGatewayDevice.LANDevice.1.Hosts.Host.", true), std::ref(gw)));
    CHECK(dev.describe("InternetGatewayDevice.LANDevice.1.Hosts.Host.1."));
    CHECK(dev.describe("InternetGatewayDevice.LANDevice.1.Hosts.Host.1.Active")->type == "xsd:boolean");
}

TEST_CASE("state: a blob for another table, or garbage, is handled") {
    mapping::TableDevice dev(mt::load(kHosts));
    CHECK(dev.load_state(""));
    CHECK_FALSE(dev.load_state("{{{"));
    CHECK_FALSE(dev.load_state("version: 7"));
    // Objects the table no longer has are dropped.
    CHECK(dev.load_state("version: 1\nlists:\n  InternetGatewayDevice.Gone.{i}.: { next: 4, present: [1], ids: { a: 1 } }\n"));
    auto before = dev.state_generation();
    HostList gw;
    gw.devs = {host("mac-a", "192.168.1.2")};
    mt::value(mt::drive(dev.get_values({"InternetGatewayDevice.LANDevice.1.Hosts."}), std::ref(gw)));
    CHECK(dev.state_generation() > before);  // a new row: the CPE layer should save
    before = dev.state_generation();
    mt::value(mt::drive(dev.get_values({"InternetGatewayDevice.LANDevice.1.Hosts."}), std::ref(gw)));
    CHECK(dev.state_generation() == before);  // nothing new
}

TEST_CASE("state: the saved blob follows every change (it is cached per generation)") {
    auto table = mt::load(kHosts);
    mapping::TableDevice dev(table);
    const std::string h = "InternetGatewayDevice.LANDevice.1.Hosts.";
    const std::string empty = dev.save_state();
    HostList gw;  // no hosts: the first list call still records the list (its numbering starts)
    mt::value(mt::drive(dev.get_values({h}), std::ref(gw)));
    const std::string listed = dev.save_state();
    CHECK(listed != empty);
    CHECK(listed.find("Hosts.Host.") != std::string::npos);

    gw.devs = {host("mac-a", "192.168.1.2")};
    const cpe::DeviceState before = dev.persistent_state();
    mt::value(mt::drive(dev.get_values({h}), std::ref(gw)));
    const std::string one = dev.save_state();
    CHECK(one != listed);
    CHECK(one.find("mac-a") != std::string::npos);

    dev.restore_state(before);  // what VirtualCpe does when a change could not be stored
    CHECK(dev.save_state() == listed);
    dev.restore_state({{"mapping", "not: [valid"}});  // unreadable: empty, and saved as empty
    CHECK(dev.save_state() == empty);
    REQUIRE(dev.load_state(one));
    CHECK(dev.save_state() == one);
    mapping::TableDevice fresh(table);
    REQUIRE(fresh.load_state(dev.save_state()));
    CHECK(fresh.save_state() == one);
}

TEST_CASE("state: a YAML (version 1) state still loads, is written back binary, and corrupt binary is refused") {
    auto table = mt::load(kHosts);
    const std::string h = "InternetGatewayDevice.LANDevice.1.Hosts.";
    // What bridges before the binary form stored for a CPE that had seen two hosts and lost one.
    const std::string v1 =
        "version: 1\ntable: hosts\nlists:\n  InternetGatewayDevice.LANDevice.1.Hosts.Host.{i}.:\n"
        "    next: 3\n    present: [2]\n    ids:\n      mac-a: 1\n      mac-b: 2\nrows: {}\n"
        "stored:\n  InternetGatewayDevice.DeviceInfo.X: \"kept\"\nsubscriptions: {}\n";
    mapping::TableDevice dev(table);
    REQUIRE(dev.load_state(v1));
    const std::string binary = dev.save_state();
    CHECK(binary.front() == '\0');  // rewritten in the binary form at the next save
    CHECK(binary.find("mac-b") != std::string::npos);

    mapping::TableDevice again(table);
    REQUIRE(again.load_state(binary));
    CHECK(again.save_state() == binary);
    HostList gw;
    gw.devs = {host("mac-b", "192.168.1.3"), host("mac-a", "192.168.1.2"), host("mac-c", "192.168.1.4")};
    auto v = mt::by_name(mt::value(mt::drive(again.get_values({h}), std::ref(gw))));
    CHECK(v[h + "Host.1.IPAddress"] == "192.168.1.2");  // numbers kept across the format change
    CHECK(v[h + "Host.2.IPAddress"] == "192.168.1.3");
    CHECK(v[h + "Host.3.IPAddress"] == "192.168.1.4");  // next kept: 3, not a reused number

    // Every truncation of a valid binary state is refused with a clear error, never read as a shorter state.
    for (std::size_t n = 5; n < binary.size(); ++n) {
        mapping::TableDevice cut(table);
        auto st = cut.load_state(binary.substr(0, n));
        CHECK_FALSE(st);
        if (!st) CHECK(st.error().code == "mapping.state");
    }
    std::string future = binary;
    future[4] = 9;
    auto st = mapping::TableDevice(table).load_state(future);
    REQUIRE_FALSE(st);
    CHECK(st.error().message.find("version 9") != std::string::npos);
}

namespace {

// Rows the ACS fills in (rows: local) whose values come from calls with the row's arguments;
// DeviceInfo reads one of those calls for a parameter of its own.
const char* kLocalRows = R"(
model: InternetGatewayDevice:1.4
datamodel: InternetGatewayDevice-1.1.dm
vendor_prefix: X_EXAMPLE-COM_
objects:
  InternetGatewayDevice.DeviceInfo.:
    read: getRgInfo
    parameters:
      Manufacturer: manufacturer
      X_EXAMPLE-COM_DescUrl: { read: { function: getHomeDevDescUrl, args: { devId: dev-b } }, field: descUrl, type: string }
  InternetGatewayDevice.X_EXAMPLE-COM_HomeDevice.{i}.:
    rows: local
    max_rows: 8
    parameters:
      DevId: { stored: "", type: string, access: rw }
      DescriptionURL: { read: { function: getHomeDevDescUrl, args: { devId: "{DevId}" } }, field: descUrl, type: string }
      ServiceIds: { read: { function: getHomeDevDescUrl, args: { devId: "{DevId}" } }, field: service, join: serviceId, type: string }
)";

}  // namespace

TEST_CASE("rows: local: one call per row arguments; a failing one empties its rows, unless a strict read shares it") {
    mapping::TableDevice dev(mt::load(kLocalRows));
    const std::string rows = "InternetGatewayDevice.X_EXAMPLE-COM_HomeDevice.";
    auto no_gateway = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        FAIL("unexpected call " << r.function);
        return core::make_error("test", "unexpected");
    };
    // Rows 1 and 3 name the same device, row 2 one that fails, row 4 none yet (nothing to ask).
    for (const char* id : {"dev-a", "dev-b", "dev-a", ""}) {
        auto n = mt::value(mt::drive(dev.add_object(rows), no_gateway));
        if (*id) mt::value(mt::drive(dev.set_values({{rows + std::to_string(n) + ".DevId", id, "xsd:string"}}), no_gateway));
    }
    auto gw = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        if (r.function == "getRgInfo") {
            cmp::Record f;
            f.set("manufacturer", "ACME");
            return mt::ok("getRgInfo", f);
        }
        REQUIRE(r.function == "getHomeDevDescUrl");
        if (r.args.get("devId") != "dev-a") return mt::failed(r.function, cmp::result_code::busy, "busy");
        cmp::Record s1, s2, f;
        s1.set("serviceId", "urn:a:1");
        s2.set("serviceId", "urn:a:2");
        f.set("descUrl", "http://a/desc.xml").add_list("service", {s1, s2});
        return mt::ok(r.function, f);
    };
    mt::Run run;
    auto v = mt::by_name(mt::value(mt::drive(dev.get_values({rows}), gw, &run)));
    CHECK(run.calls.size() == 2);  // dev-a once for rows 1 and 3 and both parameters, dev-b once
    CHECK(v[rows + "1.DescriptionURL"] == "http://a/desc.xml");
    CHECK(v[rows + "1.ServiceIds"] == "urn:a:1,urn:a:2");
    CHECK(v[rows + "2.DescriptionURL"] == "");
    CHECK(v[rows + "3.ServiceIds"] == "urn:a:1,urn:a:2");
    CHECK(v[rows + "4.DescriptionURL"] == "");
    CHECK(v.size() == 12);
    // DeviceInfo's own read of dev-b must succeed: the shared call fails the request, in either order.
    const std::string mine = "InternetGatewayDevice.DeviceInfo.X_EXAMPLE-COM_DescUrl";
    for (const std::vector<std::string>& names : {std::vector<std::string>{rows, mine}, std::vector<std::string>{mine, rows}}) {
        mt::Run both;
        auto f = mt::fault(mt::drive(dev.get_values(names), gw, &both));
        CHECK(f.code == 9002);
        CHECK(both.calls.size() == 2);
    }
}

TEST_CASE("neighbouring parameters share a call only when their reads are written the same") {
    auto table = mt::load(R"(
model: InternetGatewayDevice:1.4
datamodel: InternetGatewayDevice-1.1.dm
vendor_prefix: X_EXAMPLE-COM_
objects:
  InternetGatewayDevice.DeviceInfo.:
    read: getRgInfo
    parameters:
      Manufacturer: manufacturer
      X_EXAMPLE-COM_WanBytes: { read: { function: getRgTrafficInfo, args: { ifName: WAN } }, field: bytesSent, type: unsignedLong }
      X_EXAMPLE-COM_LanBytes: { read: { function: getRgTrafficInfo, args: { ifName: LAN } }, field: bytesSent, type: unsignedLong }
      X_EXAMPLE-COM_LanPackets: { read: { function: getRgTrafficInfo, args: { ifName: LAN } }, field: pktsSent, type: unsignedLong }
      UpTime: upTime
)");
    mapping::TableDevice dev(table);
    auto gw = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        cmp::Record f;
        if (r.function == "getRgInfo") f.set("manufacturer", "ACME").set("upTime", "42");
        else if (r.args.get("ifName") == "WAN") f.set("bytesSent", "1000").set("pktsSent", "10");
        else f.set("bytesSent", "2000").set("pktsSent", "20");
        return mt::ok(r.function, f);
    };
    mt::Run run;
    auto v = mt::value(mt::drive(dev.get_values({"InternetGatewayDevice.DeviceInfo."}), gw, &run));
    CHECK(run.calls.size() == 3);
    auto m = mt::by_name(v);
    const std::string di = "InternetGatewayDevice.DeviceInfo.";
    CHECK(m[di + "Manufacturer"] == "ACME");
    CHECK(m[di + "X_EXAMPLE-COM_WanBytes"] == "1000");
    CHECK(m[di + "X_EXAMPLE-COM_LanBytes"] == "2000");
    CHECK(m[di + "X_EXAMPLE-COM_LanPackets"] == "20");
    CHECK(m[di + "UpTime"] == "42");
}
