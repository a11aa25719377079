// The shipped compact models: they load, and they state what the BBF XML says
// (facts checked by hand against ../shared/bbf/*-full.xml).
#include <doctest/doctest.h>

#include <filesystem>
#include <algorithm>
#include <map>

#include "bridge/datamodel/bbf_reader.hpp"
#include "bridge/datamodel/model.hpp"

using namespace datamodel;

namespace {

const Model& shipped(const std::string& file) {
    static std::map<std::string, Model> cache;
    auto it = cache.find(file);
    if (it == cache.end()) {
        auto m = Model::load("datamodels/" + file);
        REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().message));
        it = cache.emplace(file, std::move(m).value()).first;
    }
    return it->second;
}

}  // namespace

TEST_CASE("every model in the manifest loads with the counts its header promises") {
    auto entries = bbf::read_manifest("datamodels/models.list");
    REQUIRE(entries.ok());
    CHECK(entries->size() == 9);
    for (const auto& e : *entries) {
        CAPTURE(e.output);
        const Model& m = shipped(e.output);
        CHECK(m.name() == e.model);
        CHECK(m.sources() == std::vector<std::string>{e.source});
        CHECK(m.object_count() > 10);
        CHECK(m.parameter_count() > 90);
    }
    CHECK(shipped("InternetGatewayDevice-1.1.dm").parameter_count() == 660);
    CHECK(shipped("InternetGatewayDevice-1.4.dm").object_count() == 94);
    CHECK(shipped("InternetGatewayDevice-1.4.dm").parameter_count() == 1081);
    CHECK(shipped("InternetGatewayDevice-1.14.dm").object_count() == 192);
    CHECK(shipped("InternetGatewayDevice-1.14.dm").parameter_count() == 1800);
    CHECK(shipped("StorageService-1.0.dm").parameter_count() == 100);
}

TEST_CASE("IGD DeviceInfo and ManagementServer facts hold in every IGD version") {
    for (auto file : {"InternetGatewayDevice-1.1.dm", "InternetGatewayDevice-1.4.dm", "InternetGatewayDevice-1.5.dm",
                      "InternetGatewayDevice-1.14.dm"}) {
        CAPTURE(file);
        const Model& m = shipped(file);
        const Node* man = m.find("InternetGatewayDevice.DeviceInfo.Manufacturer");
        REQUIRE(man);
        CHECK_FALSE(man->is_object);
        CHECK_FALSE(man->writable);
        CHECK(man->type.base == ParamType::String);
        CHECK(man->type.max_length == 64u);
        CHECK(man->type.xsd_type() == "xsd:string");

        const Node* pii = m.find("InternetGatewayDevice.ManagementServer.PeriodicInformInterval");
        REQUIRE(pii);
        CHECK(pii->writable);
        CHECK(pii->type.xsd_type() == "xsd:unsignedInt");
        CHECK(pii->type.min == 1);
        CHECK_FALSE(pii->type.max.has_value());

        const Node* pw = m.find("InternetGatewayDevice.ManagementServer.ConnectionRequestPassword");
        REQUIRE(pw);
        CHECK(pw->hidden);
        CHECK(m.find("InternetGatewayDevice.ManagementServer.ConnectionRequestURL")->writable == false);
        CHECK(m.find("InternetGatewayDevice.Time.CurrentLocalTime")->type.xsd_type() == "xsd:dateTime");
        CHECK(m.find("InternetGatewayDevice.Time.LocalTimeZone")->type.max_length == 6u);

        const Node* host = m.find("InternetGatewayDevice.LANDevice.{i}.Hosts.Host.{i}.");
        REQUIRE(host);
        CHECK(host->is_object);
        CHECK(host->multi_instance);
        CHECK_FALSE(host->writable);
        CHECK(host->max_entries == kUnbounded);
        CHECK(host->num_entries_param == "HostNumberOfEntries");
        const Node* ip = m.find("InternetGatewayDevice.LANDevice.1.Hosts.Host.3.IPAddress");
        REQUIRE(ip);
        CHECK(ip->type.named == "IPAddress");
        CHECK(ip->type.max_length == 45u);
        CHECK(m.find("InternetGatewayDevice.LANDevice.1.Hosts.Host.3.MACAddress")->type.named == "MACAddress");
        CHECK_FALSE(m.contains("InternetGatewayDevice.DeviceInfo.DeviceStatus"));
    }
}

TEST_CASE("TR-157 additions: ProcessStatus and MemoryStatus from IGD:1.5 on") {
    CHECK_FALSE(shipped("InternetGatewayDevice-1.1.dm").contains("InternetGatewayDevice.DeviceInfo.ProcessStatus."));
    CHECK_FALSE(shipped("InternetGatewayDevice-1.1.dm").contains("InternetGatewayDevice.DeviceInfo.MemoryStatus.Total"));
    for (auto file : {"InternetGatewayDevice-1.5.dm", "InternetGatewayDevice-1.14.dm"}) {
        CAPTURE(file);
        const Model& m = shipped(file);
        const Node* cpu = m.find("InternetGatewayDevice.DeviceInfo.ProcessStatus.CPUUsage");
        REQUIRE(cpu);
        CHECK(cpu->type.base == ParamType::UnsignedInt);
        CHECK(cpu->type.max == 100);
        CHECK(m.contains("InternetGatewayDevice.DeviceInfo.ProcessStatus.Process.7.PID"));
        CHECK(m.contains("InternetGatewayDevice.DeviceInfo.MemoryStatus.Free"));
    }
    CHECK_FALSE(shipped("Device-1.2.dm").contains("Device.DeviceInfo.ProcessStatus."));
    CHECK(shipped("Device-1.3.dm").contains("Device.DeviceInfo.ProcessStatus.CPUUsage"));
}

TEST_CASE("Device:1.x has DeviceInfo with DeviceStatus") {
    for (auto file : {"Device-1.0.dm", "Device-1.2.dm", "Device-1.3.dm"}) {
        CAPTURE(file);
        const Model& m = shipped(file);
        CHECK(m.find("Device.")->is_object);
        CHECK(m.find("Device.DeviceInfo.Manufacturer")->type.max_length == 64u);
        const Node* st = m.find("Device.DeviceInfo.DeviceStatus");
        REQUIRE(st);
        CHECK(st->type.enumeration == std::vector<std::string>{"Up", "Initializing", "Error", "Disabled"});
        CHECK(m.find("Device.ManagementServer.PeriodicInformInterval")->type.min == 1);
        CHECK(m.contains("Device.Services."));
    }
}

TEST_CASE("IGD:1.1 LANDevice rows are read-only, writable from 1.5 on") {
    CHECK_FALSE(shipped("InternetGatewayDevice-1.1.dm").find("InternetGatewayDevice.LANDevice.{i}.")->writable);
    CHECK(shipped("InternetGatewayDevice-1.5.dm").find("InternetGatewayDevice.LANDevice.{i}.")->writable);
}

TEST_CASE("facets: read-only enumeration values, several ranges, lists, patterns") {
    const Model& m = shipped("InternetGatewayDevice-1.14.dm");
    const Node* ds = m.find("InternetGatewayDevice.IPPingDiagnostics.DiagnosticsState");
    REQUIRE(ds);
    CHECK(ds->writable);
    CHECK(ds->type.readonly_values.front() == "None");
    CHECK(check_value(ds->type, "Requested").ok());
    CHECK(check_value(ds->type, "Complete").error().code == kErrValue);
    CHECK(check_value(ds->type, "Complete", false).ok());

    const Node* sa = m.find("InternetGatewayDevice.FAP.Tunnel.CryptoProfile.1.MaxChildSA");
    REQUIRE(sa);
    CHECK(sa->type.ranges.size() == 5);
    CHECK(sa->type.min == 2);
    CHECK(sa->type.max == 10);
    CHECK(check_value(sa->type, "4").ok());
    CHECK(check_value(sa->type, "5").error().code == kErrValue);

    const Node* tcp = m.find("InternetGatewayDevice.DeviceInfo.NetworkProperties.TCPImplementation");
    REQUIRE(tcp);
    CHECK(tcp->type.list);
    CHECK(tcp->type.xsd_type() == "xsd:string");
    CHECK(check_value(tcp->type, "Reno, New Reno", false).ok());
    CHECK(check_value(tcp->type, "Reno,Cubic", false).error().code == kErrValue);

    const Node* oui = m.find("InternetGatewayDevice.DeviceInfo.ManufacturerOUI");
    CHECK(check_value(oui->type, "202BC1").ok());
    CHECK(check_value(oui->type, "202bc1").error().code == kErrValue);
}

TEST_CASE("find normalises instance numbers and aliases; children follow definition order") {
    const Model& m = shipped("InternetGatewayDevice-1.1.dm");
    CHECK(m.find("InternetGatewayDevice.LANDevice.[lan1].Hosts.Host.12.HostName") ==
          m.find("InternetGatewayDevice.LANDevice.{i}.Hosts.Host.{i}.HostName"));
    CHECK(m.find("InternetGatewayDevice.LANDevice.1.Hosts.Host.2.NoSuch") == nullptr);
    CHECK(m.find("InternetGatewayDevice.DeviceInfo") == nullptr);  // objects end in '.'
    CHECK(m.find("") == nullptr);
    CHECK(normalise_path("A.1.B.22.C") == "A.{i}.B.{i}.C");
    CHECK(normalise_path("A.1.") == "A.{i}.");

    // "LANDevice." is a table node: a valid partial path above the rows.
    const Node* table = m.find("InternetGatewayDevice.LANDevice.");
    REQUIRE(table);
    CHECK(table->table);
    CHECK(table->is_object);
    CHECK_FALSE(table->multi_instance);
    auto rows = m.children("InternetGatewayDevice.LANDevice.");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]->path == "InternetGatewayDevice.LANDevice.{i}.");

    auto kids = m.children("InternetGatewayDevice.DeviceInfo.");
    REQUIRE(kids.size() > 10);
    CHECK(kids[0]->path == "InternetGatewayDevice.DeviceInfo.Manufacturer");
    CHECK(kids[1]->path == "InternetGatewayDevice.DeviceInfo.ManufacturerOUI");

    auto top = m.children("InternetGatewayDevice.");
    auto has = [&](std::string_view p) {
        return std::any_of(top.begin(), top.end(), [&](const Node* n) { return n->path == p; });
    };
    CHECK(has("InternetGatewayDevice.DeviceInfo."));
    CHECK(has("InternetGatewayDevice.LANDevice."));
    CHECK_FALSE(has("InternetGatewayDevice.LANDevice.{i}."));
    CHECK(has("InternetGatewayDevice.LANDeviceNumberOfEntries"));
    CHECK(m.children("InternetGatewayDevice.DeviceInfo.Manufacturer").empty());
    CHECK(m.children("InternetGatewayDevice.LANDevice.4.Hosts.").size() == 2);  // HostNumberOfEntries, Host.
}

TEST_CASE("StorageService mounts under Services and copies stay independent") {
    const Model& ss = shipped("StorageService-1.0.dm");
    REQUIRE(ss.find("StorageService.{i}.LogicalVolume.{i}.Capacity"));
    for (auto [file, root] : {std::pair{"InternetGatewayDevice-1.5.dm", std::string("InternetGatewayDevice.")},
                              std::pair{"Device-1.3.dm", std::string("Device.")}}) {
        CAPTURE(file);
        Model m = shipped(file);  // a copy
        std::size_t before = m.parameter_count();
        auto st = m.mount(ss, root + "Services.StorageService.{i}.");
        REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
        CHECK(m.parameter_count() == before + 100 + 1);
        const Node* cap = m.find(root + "Services.StorageService.1.LogicalVolume.2.Capacity");
        REQUIRE(cap);
        CHECK(cap->type.base == ParamType::UnsignedInt);
        const Node* count = m.find(root + "Services.StorageServiceNumberOfEntries");
        REQUIRE(count);
        CHECK(count->type.base == ParamType::UnsignedInt);
        CHECK_FALSE(count->writable);
        CHECK(m.find(root + "Services.StorageService.{i}.")->num_entries_param == "StorageServiceNumberOfEntries");
        CHECK(m.find(root + "Services.StorageService.")->table);
        CHECK(m.sources().size() == 2);
        CHECK_FALSE(shipped(file).contains(root + "Services.StorageService.1.Enable"));
        // Mounting twice, at a missing parent, or a singleton at a table, is refused.
        CHECK_FALSE(m.mount(ss, root + "Services.StorageService.{i}.").ok());
        CHECK_FALSE(m.mount(ss, root + "NoSuch.StorageService.{i}.").ok());
        CHECK_FALSE(m.mount(ss, root + "Services.Storage.").ok());
        // A copy of a mounted model owns its index.
        Model copy = m;
        m = Model{};
        CHECK(copy.contains(root + "Services.StorageService.3.Enable"));
    }
}

TEST_CASE("compact form round-trips and rejects damaged input") {
    const Model& m = shipped("Device-1.3.dm");
    std::string text = to_compact(m);
    auto again = Model::parse(text);
    REQUIRE(again.ok());
    CHECK(to_compact(*again) == text);
    CHECK(std::equal(m.nodes().begin(), m.nodes().end(), again->nodes().begin(), again->nodes().end()));

    CHECK(Model::parse("hello").error().code == "dm.format");
    std::string truncated = text.substr(0, text.rfind('\n', text.size() - 2) + 1);
    CHECK(Model::parse(truncated).error().code == "dm.format");
    std::string header = text.substr(0, text.find('\n') + 1);
    CHECK(Model::parse(header + "Device. object - maybe\n").error().code == "dm.format");
    CHECK(Model::parse(header + "Device.X param float ro\n").error().code == "dm.format");
    CHECK(Model::load("datamodels/no-such.dm").error().code == "dm.io");
    auto orphan = Model::build("T:1.0", {}, {Node{"T.A.x", false}});
    CHECK(orphan.error().code == "dm.orphan");
}
