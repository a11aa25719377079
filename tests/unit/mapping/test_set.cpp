// SetParameterValues: merging per set function, read-modify-write, rollback
// of earlier functions when a later one fails, per-parameter faults, stored
// values and on_set actions.
#include <set>

#include "tests/unit/mapping/helpers.hpp"

namespace {

const std::string kLan = "InternetGatewayDevice.LANDevice.1.LANHostConfigManagement.";
const std::string kTime = "InternetGatewayDevice.Time.";

std::shared_ptr<const mapping::Table> tr098() { return *mapping::Table::load_file("mappings/tr098.yaml"); }

std::string light_id(mapping::TableDevice& dev, mt::Sim& sim) {
    auto v = mt::value(mt::drive(dev.get_values({"InternetGatewayDevice.LANDevice.1.Hosts."}), sim.responder()));
    for (const auto& p : v)
        if (p.name.ends_with("X_EXAMPLE-COM_DeviceType") && p.value.find("DimmableLight") != std::string::npos)
            for (const auto& q : v)
                if (q.name == p.name.substr(0, p.name.rfind('.') + 1) + "X_EXAMPLE-COM_DevId") return q.value;
    FAIL("no light");
    return {};
}

}  // namespace

TEST_CASE("parameters of one set function become one request, built by read-modify-write") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    mt::Run run;
    auto done = mt::drive(dev.set_values({{kLan + "MinAddress", "192.168.1.100", "xsd:string"},
                                          {kLan + "MaxAddress", "192.168.1.200", "xsd:string"},
                                          {kLan + "DHCPServerEnable", "0", "xsd:boolean"}}),
                          sim.responder(), &run);
    mt::value(done);
    REQUIRE(run.calls.size() == 2);
    CHECK(run.calls[0].function == "getRgNetInfo");  // the record as it is ...
    CHECK(run.calls[1].function == "setRgNetInfo");  // ... written back whole, modified
    const auto* lan = run.calls[1].args.list("lan");
    REQUIRE(lan);
    REQUIRE(lan->size() == 1);
    CHECK((*lan)[0].get("dhcpMin") == "192.168.1.100");
    CHECK((*lan)[0].get("dhcpMax") == "192.168.1.200");
    CHECK((*lan)[0].get("dhcpEnable") == "false");
    CHECK((*lan)[0].get("ipAddr") == "192.168.1.1");  // unchanged fields are sent as read
    CHECK((*lan)[0].has("leaseTime"));
    CHECK_FALSE(run.calls[1].args.has("wan"));

    auto v = mt::by_name(mt::value(mt::drive(dev.get_values({kLan}), sim.responder())));
    CHECK(v[kLan + "MinAddress"] == "192.168.1.100");
    CHECK(v[kLan + "DHCPServerEnable"] == "false");
}

TEST_CASE("WAN and LAN parameters share setRgNetInfo: one request with both records, read-only fields dropped") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    mt::Run run;
    const std::string wan = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.";
    mt::value(mt::drive(dev.set_values({{wan + "DNSServers", "9.9.9.9", "xsd:string"},
                                        {kLan + "DHCPLeaseTime", "3600", "xsd:int"}}),
                        sim.responder(), &run));
    REQUIRE(run.calls.size() == 2);
    const auto& set = run.calls[1];
    REQUIRE(set.args.list("wan"));
    REQUIRE(set.args.list("lan"));
    const cmp::Record& w = (*set.args.list("wan"))[0];
    CHECK(w.get("dns") == "9.9.9.9");
    CHECK(w.has("ipAddr"));
    CHECK_FALSE(w.has("status"));  // drop: read-only on the gateway
    CHECK_FALSE(w.has("mac"));
    CHECK((*set.args.list("lan"))[0].get("leaseTime") == "3600");
}

TEST_CASE("one set function without read-modify-write: a single call, nothing read first") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    mt::Run run;
    mt::value(mt::drive(dev.set_values({{kTime + "NTPServer1", "pool.ntp.org", "xsd:string"},
                                        {kTime + "LocalTimeZoneName", "GMT+01:00", "xsd:string"}}),
                        sim.responder(), &run));
    REQUIRE(run.calls.size() == 1);
    CHECK(run.calls[0].function == "setRgTime");
    CHECK(run.calls[0].args.get("ntpServer1") == "pool.ntp.org");
    CHECK(run.calls[0].args.get("localTimeZone") == "GMT+01:00");
    CHECK(run.calls[0].args.fields.size() == 2);
}

TEST_CASE("a later set function failing rolls the earlier one back with the values read before") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    mt::Run run;
    // setRgTime succeeds, then setRgNetInfo is refused: the lease is too short for this gateway.
    auto out = mt::drive(dev.set_values({{kTime + "NTPServer1", "pool.ntp.org", "xsd:string"},
                                         {kLan + "DHCPLeaseTime", "30", "xsd:int"},
                                         {kLan + "MinAddress", "192.168.1.20", "xsd:string"}}),
                         sim.responder(), &run);
    auto f = mt::fault(out);
    CHECK(f.code == 9003);
    // The gateway named leaseTime: only DHCPLeaseTime is reported.
    REQUIRE(f.set_parameter_values_faults.size() == 1);
    CHECK(f.set_parameter_values_faults[0].parameter_name == kLan + "DHCPLeaseTime");
    CHECK(f.set_parameter_values_faults[0].fault_code == 9007);

    std::vector<std::string> fns;
    for (const auto& c : run.calls) fns.push_back(c.function);
    CHECK(fns == std::vector<std::string>{"getRgTime", "getRgNetInfo", "setRgTime", "setRgNetInfo", "setRgTime"});
    CHECK(run.rounds == std::vector<std::size_t>{2, 1, 1, 1});  // reads together, writes one at a time
    CHECK(run.calls[2].args.get("ntpServer1") == "pool.ntp.org");
    CHECK(run.calls[4].args.get("ntpServer1") == "clock.fmt.he.net");  // the value read before

    auto v = mt::by_name(mt::value(mt::drive(dev.get_values({kTime, kLan}), sim.responder())));
    CHECK(v[kTime + "NTPServer1"] == "clock.fmt.he.net");
    CHECK(v[kLan + "MinAddress"] == "192.168.1.2");
}

TEST_CASE("a refusal naming no field names every parameter of that function, and only those") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    mt::Run run;
    auto respond = [&](const cmp::Request& r) -> core::Result<cmp::Response> {
        if (r.function == "setRgNetInfo")
            return mt::failed("setRgNetInfo", cmp::result_code::invalid_argument, "configuration rejected");
        return sim(r);
    };
    auto f = mt::fault(mt::drive(dev.set_values({{kTime + "NTPServer1", "pool.ntp.org", "xsd:string"},
                                                 {kLan + "MinAddress", "192.168.1.20", "xsd:string"},
                                                 {kLan + "MaxAddress", "192.168.1.200", "xsd:string"}}),
                                 respond, &run));
    CHECK(f.code == 9003);
    std::set<std::string> named;
    for (const auto& p : f.set_parameter_values_faults) {
        named.insert(p.parameter_name);
        CHECK(p.fault_code == 9007);  // invalid_argument in the set context
    }
    CHECK(named == std::set<std::string>{kLan + "MinAddress", kLan + "MaxAddress"});
    // setRgTime ran first and was written back with the value read before.
    CHECK(run.count("setRgTime") == 2);
}

TEST_CASE("a failing rollback is reported in the fault") {
    mapping::TableDevice dev(tr098());
    int sets = 0;
    mt::Sim sim;
    auto respond = [&](const cmp::Request& r) -> core::Result<cmp::Response> {
        if (r.function == "setRgTime" && ++sets == 2) return core::make_error("net.timeout", "no answer");
        if (r.function == "setRgNetInfo") return mt::failed("setRgNetInfo", cmp::result_code::busy, "busy");
        return sim(r);
    };
    auto f = mt::fault(mt::drive(dev.set_values({{kTime + "NTPServer1", "a.example", "xsd:string"},
                                                 {kLan + "MinAddress", "192.168.1.20", "xsd:string"}}),
                                 respond));
    CHECK(f.code == 9002);  // busy is not a parameter's fault
    CHECK(f.set_parameter_values_faults.empty());
    CHECK(f.string.find("rollback of setRgTime failed") != std::string::npos);
    CHECK(f.string.find(kLan + "MinAddress") != std::string::npos);
}

TEST_CASE("bad values and read-only parameters are refused before any call") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    mt::Run run;
    auto f = mt::fault(mt::drive(
        dev.set_values({{"InternetGatewayDevice.DeviceInfo.UpTime", "5", "xsd:unsignedInt"},
                        {kLan + "DHCPServerEnable", "maybe", "xsd:boolean"},
                        {kLan + "MinAddress", "300.1.1.1", "xsd:string"},
                        {"InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.AddressingType",
                         "PPPoE", "xsd:string"},
                        {"InternetGatewayDevice.DeviceInfo.Nope", "1", "xsd:string"}}),
        sim.responder(), &run));
    CHECK(run.calls.empty());
    CHECK(f.code == 9003);
    REQUIRE(f.set_parameter_values_faults.size() == 5);
    CHECK(f.set_parameter_values_faults[0].fault_code == 9008);
    CHECK(f.set_parameter_values_faults[1].fault_code == 9006);
    CHECK(f.set_parameter_values_faults[2].fault_code == 9007);
    CHECK(f.set_parameter_values_faults[3].fault_code == 9007);  // not in the data model's enumeration
    CHECK(f.set_parameter_values_faults[4].fault_code == 9005);
}

TEST_CASE("stored values: kept by the bridge, persisted, no gateway call") {
    auto table = tr098();
    mapping::TableDevice dev(table);
    mt::Sim sim;
    mt::Run run;
    const std::string pc = "InternetGatewayDevice.DeviceInfo.ProvisioningCode";
    auto gen = dev.state_generation();
    mt::value(mt::drive(dev.set_values({{pc, "ABC.1", "xsd:string"}}), sim.responder(), &run));
    CHECK(run.calls.empty());
    CHECK(dev.state_generation() > gen);
    mapping::TableDevice again(table);
    REQUIRE(again.load_state(dev.save_state()));
    auto v = mt::value(mt::drive(again.get_values({pc}), sim.responder()));
    CHECK(v[0].value == "ABC.1");
}

TEST_CASE("stored values roll back with the gateway calls") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    const std::string pc = "InternetGatewayDevice.DeviceInfo.ProvisioningCode";
    auto respond = [&](const cmp::Request& r) -> core::Result<cmp::Response> {
        if (r.function == "setRgTime") return mt::failed("setRgTime", cmp::result_code::invalid_argument, "ntpServer1: no");
        return sim(r);
    };
    auto f = mt::fault(mt::drive(dev.set_values({{pc, "NEW", "xsd:string"}, {kTime + "NTPServer1", "x y", "xsd:string"}}),
                                 respond));
    CHECK(f.code == 9003);
    REQUIRE(f.set_parameter_values_faults.size() == 1);
    CHECK(f.set_parameter_values_faults[0].parameter_name == kTime + "NTPServer1");
    CHECK(mt::value(mt::drive(dev.get_values({pc}), sim.responder()))[0].value == "");
}

TEST_CASE("home device control: AddObject a row, set it up, Invoke calls ctrlHomeDev") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    const std::string table = "InternetGatewayDevice.X_EXAMPLE-COM_HomeDevice.";
    auto n = mt::value(mt::drive(dev.add_object(table), sim.responder()));
    CHECK(n == 1);
    const std::string row = table + std::to_string(n) + ".";
    CHECK(dev.describe(row + "Invoke")->writable);
    CHECK_FALSE(dev.describe(row + "Result")->writable);
    CHECK(dev.describe(table)->writable);  // AddObject allowed

    // Nothing configured yet: the description reads are skipped, values are empty.
    mt::Run idle;
    auto blank = mt::by_name(mt::value(mt::drive(dev.get_values({row}), sim.responder(), &idle)));
    CHECK(idle.calls.empty());
    CHECK(blank[row + "DescriptionURL"] == "");

    std::string id = light_id(dev, sim);
    mt::Run run;
    mt::value(mt::drive(dev.set_values({{row + "DevId", id, "xsd:string"},
                                        {row + "ServiceId", "urn:upnp-org:serviceId:SwitchPower.1", "xsd:string"},
                                        {row + "Action", "SetTarget", "xsd:string"},
                                        {row + "Arguments", "newTargetValue=1", "xsd:string"},
                                        {row + "Invoke", "true", "xsd:boolean"}}),
                        sim.responder(), &run));
    REQUIRE(run.calls.size() == 1);
    const auto& c = run.calls[0];
    CHECK(c.function == "ctrlHomeDev");
    CHECK(c.args.get("devId") == id);
    CHECK(c.args.get("actionName") == "SetTarget");
    REQUIRE(c.args.list("arg"));
    CHECK((*c.args.list("arg"))[0].get("name") == "newTargetValue");
    CHECK((*c.args.list("arg"))[0].get("value") == "1");

    mt::value(mt::drive(dev.set_values({{row + "Action", "GetStatus", "xsd:string"},
                                        {row + "Arguments", "", "xsd:string"},
                                        {row + "Invoke", "1", "xsd:boolean"}}),
                        sim.responder()));
    auto v = mt::by_name(mt::value(mt::drive(dev.get_values({row}), sim.responder())));
    CHECK(v[row + "Result"] == "ResultStatus=1");
    CHECK(v[row + "Invoke"] == "false");  // a trigger reads back false
    CHECK(v[row + "DescriptionURL"].find("description.xml") != std::string::npos);
    CHECK(v[row + "ServiceIds"] == "urn:upnp-org:serviceId:SwitchPower.1,urn:upnp-org:serviceId:Dimming.1");

    // A failing action is the SetParameterValues' fault; the row keeps its old values.
    auto f = mt::fault(mt::drive(dev.set_values({{row + "Action", "Explode", "xsd:string"},
                                                 {row + "Invoke", "true", "xsd:boolean"}}),
                                 sim.responder()));
    CHECK(f.code == 9002);
    CHECK(f.string.find(row + "Invoke") != std::string::npos);
    v = mt::by_name(mt::value(mt::drive(dev.get_values({row + "Action"}), sim.responder())));
    CHECK(v[row + "Action"] == "GetStatus");

    mt::value(mt::drive(dev.delete_object(row), sim.responder()));
    CHECK_FALSE(dev.describe(row));
    CHECK(mt::fault(mt::drive(dev.get_values({row}), sim.responder())).code == 9005);
    // Instance numbers of local rows are not reused either.
    CHECK(mt::value(mt::drive(dev.add_object(table), sim.responder())) == 2);
}

TEST_CASE("AddObject limits and refusals") {
    mapping::TableDevice dev(tr098());
    mt::Sim sim;
    CHECK(mt::fault(mt::drive(dev.add_object("InternetGatewayDevice.LANDevice."), sim.responder())).code == 9005);
    CHECK(mt::fault(mt::drive(dev.add_object("InternetGatewayDevice.LANDevice.1.Hosts.Host."), sim.responder())).code ==
          9005);
    CHECK(mt::fault(mt::drive(dev.add_object("InternetGatewayDevice.Nope."), sim.responder())).code == 9005);
    for (int i = 0; i < 32; ++i) mt::value(mt::drive(dev.add_object("InternetGatewayDevice.X_EXAMPLE-COM_HomeDevice."), sim.responder()));
    CHECK(mt::fault(mt::drive(dev.add_object("InternetGatewayDevice.X_EXAMPLE-COM_HomeDevice."), sim.responder())).code ==
          9004);
    CHECK(mt::fault(mt::drive(dev.delete_object("InternetGatewayDevice.X_EXAMPLE-COM_HomeDevice.99."), sim.responder()))
              .code == 9005);
}
