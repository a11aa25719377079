// TR-181 Issue 2 (Device:2): what its XML needs from the reader (a dataType
// derived in place with base=, the decimal base type) and the facts of the
// shipped Device-2.17.dm the tr181.yaml mapping builds on.
#include <doctest/doctest.h>

#include "bridge/datamodel/bbf_reader.hpp"
#include "bridge/datamodel/model.hpp"

using namespace datamodel;

namespace {

// The shapes of tr-181-2-17-0-cwmp-full.xml: SignalNoise derives from TenthdB
// in place, MaxIPLayerCapacity is a decimal.
const char* kDevice2 = R"XML(<?xml version="1.0"?>
<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14">
  <dataType name="TenthdB"><int/></dataType>
  <dataType name="IPAddress"><string><size maxLength="45"/></string></dataType>
  <model name="Device:2.17">
    <object name="Device." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="SignalNoise" access="readOnly">
        <syntax><dataType base="TenthdB"><units value="TenthdB"/></dataType></syntax>
      </parameter>
      <parameter name="Level" access="readWrite">
        <syntax><dataType base="TenthdB"><range minInclusive="-100" maxInclusive="100"/></dataType></syntax>
      </parameter>
      <parameter name="Server" access="readWrite">
        <syntax><dataType base="IPAddress"><size maxLength="15"/></dataType></syntax>
      </parameter>
      <parameter name="Capacity" access="readOnly"><syntax><decimal><units value="Mbps"/></decimal></syntax></parameter>
      <parameter name="Ratio" access="readWrite">
        <syntax><decimal><range minInclusive="0" maxInclusive="1"/></decimal></syntax>
      </parameter>
    </object>
  </model>
</dm:document>)XML";

ParamType decimal() {
    ParamType t;
    t.base = ParamType::Decimal;
    return t;
}

std::string code(const ParamType& t, std::string_view v) {
    auto st = check_value(t, v);
    return st.ok() ? "ok" : st.error().code;
}

}  // namespace

TEST_CASE("reader: <dataType base=...> derives from a named type in place (TR-181 2.15+)") {
    auto r = bbf::read_text(kDevice2, "t.xml", {});
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    auto m = Model::build(r->name, r->sources, r->nodes);
    REQUIRE(m.ok());
    const ParamType& noise = m->find("Device.SignalNoise")->type;
    CHECK(noise.base == ParamType::Int);
    CHECK(noise.named == "TenthdB");
    const ParamType& level = m->find("Device.Level")->type;
    CHECK(level.min == -100);  // the in-place facets apply
    CHECK(code(level, "101") == "value");
    const ParamType& server = m->find("Device.Server")->type;
    CHECK(server.named == "IPAddress");  // address syntax still checked
    CHECK(server.max_length == 15u);
    CHECK(code(server, "not-an-address") == "value");
    // The compact form keeps it.
    auto back = Model::parse(to_compact(r->name, r->sources, r->nodes));
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
    CHECK(back->find("Device.SignalNoise")->type == noise);

    const char* nameless = R"(<dm:document xmlns:dm="x"><model name="M:1.0">
        <object name="M." access="readOnly" minEntries="1" maxEntries="1">
        <parameter name="P" access="readOnly"><syntax><dataType/></syntax></parameter>
        </object></model></dm:document>)";
    auto refused = bbf::read_text(nameless, "t.xml", {});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "bbf.syntax");
    CHECK(refused.error().message.find("M.P") != std::string::npos);
}

TEST_CASE("reader: decimal parameters, integer range bounds only") {
    auto r = bbf::read_text(kDevice2, "t.xml", {});
    REQUIRE(r.ok());
    auto m = Model::build(r->name, r->sources, r->nodes);
    REQUIRE(m.ok());
    const ParamType& cap = m->find("Device.Capacity")->type;
    CHECK(cap.base == ParamType::Decimal);
    CHECK(cap.xsd_type() == "xsd:decimal");
    auto back = Model::parse(to_compact(r->name, r->sources, r->nodes));
    REQUIRE(back.ok());
    CHECK(back->find("Device.Ratio")->type == m->find("Device.Ratio")->type);

    // A fractional bound was read as its integer part (0.5 -> 0): refused instead.
    const char* fractional = R"(<dm:document xmlns:dm="x"><model name="M:1.0">
        <object name="M." access="readOnly" minEntries="1" maxEntries="1">
        <parameter name="P" access="readWrite"><syntax><decimal><range minInclusive="0.5"/></decimal></syntax></parameter>
        </object></model></dm:document>)";
    auto refused = bbf::read_text(fractional, "t.xml", {});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "bbf.syntax");
    CHECK(refused.error().message.find("M.P") != std::string::npos);
    CHECK(refused.error().message.find("0.5") != std::string::npos);
}

TEST_CASE("decimal values: xsd:decimal syntax is the type, range facets the value") {
    auto t = decimal();
    for (auto v : {"0", "1.5", "-2.25", "+3", ".5", "5.", " 12.0 ", "0012.3400"}) {
        CAPTURE(v);
        CHECK(code(t, v) == "ok");
    }
    for (auto v : {"", ".", "1e3", "1.2.3", "abc", "--1", "1,5", "NaN", "INF"}) {
        CAPTURE(v);
        CHECK(code(t, v) == "type");
    }
    t.ranges = {{0, 1}};
    t.update_bounds();
    CHECK(code(t, "0.999") == "ok");
    CHECK(code(t, "1") == "ok");
    CHECK(code(t, "1.001") == "value");
    CHECK(code(t, "-0.1") == "value");
    CHECK(canonical_value(t, " 0.50 ") == "0.50");  // no rewriting of digits: the CPE's own form
    CHECK(base_from_name("decimal") == ParamType::Decimal);
}

TEST_CASE("Device-2.17.dm: the TR-181 facts tr181.yaml relies on") {
    auto loaded = Model::load("datamodels/Device-2.17.dm");
    REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message));
    const Model& m = *loaded;
    CHECK(m.name() == "Device:2.17");
    CHECK(m.object_count() == 789);
    CHECK(m.parameter_count() == 6466);
    for (const char* p : {"Device.DeviceInfo.Manufacturer", "Device.DeviceInfo.ManufacturerOUI",
                          "Device.DeviceInfo.UpTime", "Device.DeviceInfo.ProcessStatus.Process.{i}.State",
                          "Device.DeviceInfo.MemoryStatus.Free", "Device.Time.LocalTimeZone",
                          "Device.Hosts.Host.{i}.PhysAddress", "Device.Hosts.Host.{i}.Active",
                          "Device.IP.Interface.{i}.IPv4Address.{i}.SubnetMask", "Device.IP.Interface.{i}.Stats.BytesSent",
                          "Device.DHCPv4.Server.Pool.{i}.LeaseTime", "Device.Ethernet.Interface.{i}.MACAddress",
                          "Device.UPnP.Discovery.RootDevice.{i}.UUID"}) {
        CAPTURE(p);
        CHECK(m.contains(p));
    }
    // Device:2 dropped Device:1's DeviceStatus and DeviceLog: tr181.yaml uses a vendor log parameter.
    CHECK_FALSE(m.contains("Device.DeviceInfo.DeviceLog"));
    CHECK_FALSE(m.contains("Device.DeviceInfo.DeviceStatus"));
    // 64-bit counters (no wrap), IPv4 address syntax, lease time -1 = infinite.
    CHECK(m.find("Device.IP.Interface.1.Stats.BytesSent")->type.base == ParamType::UnsignedLong);
    CHECK(m.find("Device.IP.Interface.1.IPv4Address.1.IPAddress")->type.named == "IPv4Address");
    CHECK(m.find("Device.DHCPv4.Server.Pool.1.LeaseTime")->type.min == -1);
    CHECK(m.find("Device.Hosts.Host.{i}.")->num_entries_param == "HostNumberOfEntries");
    CHECK_FALSE(m.find("Device.Hosts.Host.{i}.")->writable);
    // What needed the reader fixes.
    CHECK(m.find("Device.DOCSIS.DownstreamChannel.1.SignalQuality.SignalNoise")->type.named == "TenthdB");
    CHECK(m.find("Device.IP.Diagnostics.IPLayerCapacityMetrics.MaxIPLayerCapacity")->type.base == ParamType::Decimal);
    // TR-140 mounts under Device.Services as in Device:1.
    auto storage = Model::load("datamodels/StorageService-1.0.dm");
    REQUIRE(storage.ok());
    Model mounted = m;
    REQUIRE(mounted.mount(*storage, "Device.Services.StorageService.{i}.").ok());
    CHECK(mounted.contains("Device.Services.StorageService.1.LogicalVolume.2.UsedSpace"));
    CHECK(mounted.contains("Device.Services.StorageServiceNumberOfEntries"));
}
