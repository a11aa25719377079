// Table loading: the presented tree, includes and overrides, catalogue
// extensions, list objects created and removed through the gateway.
#include <filesystem>
#include <fstream>

#include "tests/unit/mapping/helpers.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("mapping-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

const std::string kSource = BRIDGE_SOURCE_DIR;

}  // namespace

TEST_CASE("the presented tree: ancestors, tables, fixed instances, NumberOfEntries, vendor objects") {
    auto t = *mapping::Table::load_file("mappings/tr098.yaml");
    CHECK(t->model() == "InternetGatewayDevice:1.4");
    CHECK(t->root() == "InternetGatewayDevice.");
    CHECK(t->model_files() == std::vector<std::string>{"InternetGatewayDevice-1.4.dm", "StorageService-1.0.dm"});
    CHECK(t->hash().size() == 64);
    // Compatibility with the first version's lookups (Inform parameters).
    REQUIRE(t->find("InternetGatewayDevice.DeviceInfo.UpTime"));
    CHECK(t->find("InternetGatewayDevice.DeviceInfo.UpTime")->function == "getRgInfo");
    CHECK(t->find("InternetGatewayDevice.DeviceInfo.UpTime")->type == "xsd:unsignedInt");
    bool external = false;
    for (auto* r : t->under("InternetGatewayDevice.WANDevice.")) external |= r->path.ends_with(".ExternalIPAddress");
    CHECK(external);

    auto node = [&](const std::string& p) { return t->node_of(p) >= 0 ? &t->tree()[t->node_of(p)] : nullptr; };
    REQUIRE(node("InternetGatewayDevice.LANDevice."));
    CHECK(node("InternetGatewayDevice.LANDevice.")->kind == mapping::TreeNode::Kind::table);
    CHECK(node("InternetGatewayDevice.LANDevice.1.")->kind == mapping::TreeNode::Kind::fixed_instance);
    CHECK(node("InternetGatewayDevice.LANDevice.1.Hosts.Host.{i}.")->kind == mapping::TreeNode::Kind::row);
    CHECK(t->find("InternetGatewayDevice.LANDeviceNumberOfEntries")->source == mapping::Source::count);
    CHECK(t->find("InternetGatewayDevice.LANDevice.1.Hosts.HostNumberOfEntries"));
    CHECK(t->find("InternetGatewayDevice.Services.StorageServiceNumberOfEntries"));
    // Vendor tables get TR-106's <Table>NumberOfEntries in their parent.
    CHECK(t->find("InternetGatewayDevice.DeviceInfo.X_EXAMPLE-COM_ProcessStatus.ProcessNumberOfEntries"));
    CHECK(t->find("InternetGatewayDevice.X_EXAMPLE-COM_HomeDeviceNumberOfEntries"));
    CHECK(t->find("InternetGatewayDevice.DeviceInfo.X_EXAMPLE-COM_MemoryStatus.Total")->vendor);
    // Data model facts: types and writability of standard parameters.
    CHECK(t->find("InternetGatewayDevice.LANDevice.1.LANHostConfigManagement.DHCPLeaseTime")->type == "xsd:int");
    CHECK(t->find("InternetGatewayDevice.Time.NTPServer1")->writable);
    CHECK_FALSE(t->find("InternetGatewayDevice.Time.LocalTimeZone")->writable);  // narrowed: 'access: ro'
    CHECK(t->transfer("Download", "1 Firmware Upgrade Image")->completion == "notifyRgUpgradeResult");
}

TEST_CASE("includes and overrides: a deployment adapts a shipped table in a few lines") {
    TempDir dir;
    // This firmware calls the software version fwVersion, has no memory report
    // and maps 'busy' to 9004.
    std::string file = dir.write("site.yaml", "include: " + kSource + R"(/mappings/tr098.yaml
remove:
  - InternetGatewayDevice.DeviceInfo.X_EXAMPLE-COM_MemoryStatus.
  - InternetGatewayDevice.DeviceInfo.DeviceLog
  - events.resource_alert
  - rpc.Download.3 Vendor Configuration File
catalogue:
  getRgInfo:
    response: { fwVersion: string }
objects:
  InternetGatewayDevice.DeviceInfo.:
    parameters:
      SoftwareVersion: fwVersion
faults:
  default: { busy: 9004 }
)");
    auto t = mapping::Table::load_file(file);
    INFO((t ? std::string() : t.error().message));
    REQUIRE(t);
    CHECK((*t)->find("InternetGatewayDevice.DeviceInfo.SoftwareVersion")->field == "fwVersion");
    CHECK((*t)->find("InternetGatewayDevice.DeviceInfo.Manufacturer"));  // the rest is kept
    CHECK_FALSE((*t)->find("InternetGatewayDevice.DeviceInfo.DeviceLog"));
    CHECK((*t)->under("InternetGatewayDevice.DeviceInfo.X_EXAMPLE-COM_MemoryStatus.").empty());
    CHECK((*t)->events().size() == 4);
    CHECK_FALSE((*t)->transfer("Download", "3 Vendor Configuration File"));
    CHECK((*t)->faults().code(mapping::FaultContext::get, cmp::result_code::busy) == 9004);
    CHECK((*t)->catalogue().find("getRgInfo")->response_field("fwVersion"));
    CHECK((*t)->catalogue().find("getRgInfo")->response_field("swVersion"));

    mapping::TableDevice dev(*t);
    auto gw = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        cmp::Record f;
        f.set("fwVersion", "FW-9.1").set("manufacturer", "ACME");
        return mt::ok(r.function, f);
    };
    auto v = mt::value(mt::drive(dev.get_values({"InternetGatewayDevice.DeviceInfo.SoftwareVersion"}), gw));
    CHECK(v[0].value == "FW-9.1");
}

TEST_CASE("unmapped: a site without a gateway log says so; the declarations merge through includes") {
    TempDir dir;
    const std::string head = "include: " + kSource + "/mappings/tr098.yaml\n";
    const std::string unmapped = "unmapped:\n  getRgLog: \"firmware 2.x keeps no log\"\n";
    // Declaring it while included rules still read the log is a contradiction.
    std::string bad = dir.write("bad.yaml", head + unmapped);
    mapping::Diagnostics d;
    CHECK_FALSE(mapping::Table::compile_file(bad, {}, d));
    REQUIRE(d.size() == 1);
    CHECK(d[0].pos.to_string() == bad + ":3:3");
    CHECK(d[0].message == "'getRgLog' is declared unmapped but a rule of the table uses it");

    std::string site = dir.write("site.yaml", head + R"(remove:
  - InternetGatewayDevice.DeviceInfo.DeviceLog
  - rpc.Upload.2 Vendor Log File
  - unmapped.deregRg
)" + unmapped);
    auto t = mapping::Table::load_file(site);
    INFO((t ? std::string() : t.error().message));
    REQUIRE(t);
    CHECK_FALSE((*t)->functions().count("getRgLog"));
    CHECK((*t)->functions().count("getRgInfo"));
    CHECK((*t)->functions().count("notifyRgUpgradeResult"));  // completions count as used
    std::vector<std::string> names;
    for (const auto& [f, why] : (*t)->unmapped()) names.push_back(f);
    CHECK(names == std::vector<std::string>{"authRg", "getRgLog", "keepAliveRg", "regRg"});
    CHECK((*t)->unmapped().find("getRgLog")->second == "firmware 2.x keeps no log");
}

TEST_CASE("include problems are reported where they are") {
    TempDir dir;
    dir.write("a.yaml", "include: b.yaml\nmodel: InternetGatewayDevice:1.4\n");
    dir.write("b.yaml", "include: a.yaml\n");
    mapping::Diagnostics d;
    mapping::Table::compile_file((dir.path / "a.yaml").string(), {}, d);
    REQUIRE_FALSE(d.empty());
    bool cycle = false;
    for (const auto& x : d) cycle |= x.message.find("include cycle") != std::string::npos;
    CHECK(cycle);

    std::string missing = dir.write("m.yaml", "include: nowhere.yaml\nmodel: InternetGatewayDevice:1.4\n");
    d.clear();
    mapping::Table::compile_file(missing, {}, d);
    auto open = std::find_if(d.begin(), d.end(), [](const auto& x) { return x.message.find("cannot open") != std::string::npos; });
    REQUIRE(open != d.end());
    CHECK(open->pos.to_string() == missing + ":1:10");  // at the include entry
    for (const auto& x : d) CHECK(x.message.find("unknown key 'include'") == std::string::npos);

    std::string rm = dir.write("r.yaml", "include: " + kSource + "/mappings/tr098.yaml\nremove: [InternetGatewayDevice.Nope.]\n");
    d.clear();
    mapping::Table::compile_file(rm, {}, d);
    REQUIRE(d.size() == 1);
    CHECK(d[0].pos.to_string() == rm + ":2:10");
}

TEST_CASE("list objects whose rows the gateway creates and removes (catalogue extension)") {
    auto t = mt::load(R"(
model: InternetGatewayDevice:1.4
datamodel: InternetGatewayDevice-1.1.dm
vendor_prefix: X_EXAMPLE-COM_
catalogue:
  getPortMaps:
    direction: to_gateway
    response: { map: { list: { id: string, port: unsignedInt } } }
  addPortMap:
    request: {}
    response: { id: string }
  delPortMap:
    request: { id: string }
objects:
  InternetGatewayDevice.X_EXAMPLE-COM_PortMap.{i}.:
    read: getPortMaps
    list: { items: map, key: id }
    add: { call: addPortMap, key: id }
    delete: { call: delPortMap, args: { id: "{$key}" } }
    parameters:
      Port: { field: port, type: unsignedInt }
)");
    std::vector<std::string> ids = {"pm-1"};
    auto gw = [&](const cmp::Request& r) -> core::Result<cmp::Response> {
        cmp::Record f;
        if (r.function == "addPortMap") {
            ids.push_back("pm-" + std::to_string(ids.size() + 1));
            f.set("id", ids.back());
        } else if (r.function == "delPortMap") {
            std::erase(ids, r.args.get("id"));
        } else {
            std::vector<cmp::Record> items;
            for (const auto& id : ids) {
                items.emplace_back();
                items.back().set("id", id).set("port", "80");
            }
            f.add_list("map", items);
        }
        return mt::ok(r.function, f);
    };
    mapping::TableDevice dev(t);
    const std::string tb = "InternetGatewayDevice.X_EXAMPLE-COM_PortMap.";
    auto v = mt::by_name(mt::value(mt::drive(dev.get_values({"InternetGatewayDevice."}), gw)));
    CHECK(v["InternetGatewayDevice.X_EXAMPLE-COM_PortMapNumberOfEntries"] == "1");
    CHECK(dev.describe(tb)->writable);
    CHECK(mt::value(mt::drive(dev.add_object(tb), gw)) == 2);
    mt::Run run;
    mt::value(mt::drive(dev.delete_object(tb + "1."), gw, &run));
    CHECK(run.calls[0].args.get("id") == "pm-1");
    v = mt::by_name(mt::value(mt::drive(dev.get_values({tb}), gw)));
    CHECK(v.size() == 1);
    CHECK(v[tb + "2.Port"] == "80");
}

TEST_CASE("templates and constants; stored values of a fixed object") {
    auto t = mt::load(R"Y(
model: Device:1.3
vendor_prefix: X_EXAMPLE-COM_
objects:
  Device.DeviceInfo.:
    read: getRgInfo
    parameters:
      Description: { template: "{manufacturer} {modelName} ({hwVersion})" }
      DeviceStatus: { value: Up }
  Device.X_EXAMPLE-COM_Notes.:
    parameters:
      Text: { stored: "none", type: string, access: rw }
)Y");
    mapping::TableDevice dev(t);
    auto gw = [](const cmp::Request& r) -> core::Result<cmp::Response> {
        cmp::Record f;
        f.set("manufacturer", "ACME").set("modelName", "RG-1").set("hwVersion", "B");
        return mt::ok(r.function, f);
    };
    auto v = mt::by_name(mt::value(mt::drive(dev.get_values({"Device."}), gw)));
    CHECK(v["Device.DeviceInfo.Description"] == "ACME RG-1 (B)");
    CHECK(v["Device.DeviceInfo.DeviceStatus"] == "Up");
    CHECK(v["Device.X_EXAMPLE-COM_Notes.Text"] == "none");
}
