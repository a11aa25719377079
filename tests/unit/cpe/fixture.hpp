#pragma once
// A virtual CPE's protocol side without a driver: an RpcHandler over a
// MemoryDevice shaped like a small TR-098 gateway, and helpers that run one
// RPC to completion (answering fake CMP calls) and unpack the answer.
#include <doctest/doctest.h>

#include <algorithm>

#include "bridge/cpe/rpc_handler.hpp"
#include "bridge/cpe/step_util.hpp"
#include "tests/unit/cpe/memory_device.hpp"

namespace cpe_test {

inline const std::string IGD = "InternetGatewayDevice.";
inline const std::string DI = IGD + "DeviceInfo.";
inline const std::string MS = IGD + "ManagementServer.";
inline const std::string HOST = IGD + "LANDevice.1.Hosts.Host.";

inline void populate(MemoryDevice& d) {
    using AN = cpe::ActiveNotify;
    d.add(DI + "Manufacturer", "Example", "xsd:string");
    d.add(DI + "ManufacturerOUI", "00D09E", "xsd:string");
    d.add(DI + "ProductClass", "RG-1", "xsd:string");
    d.add(DI + "SerialNumber", "SN0001", "xsd:string");
    d.add(DI + "HardwareVersion", "hw1", "xsd:string");
    d.add(DI + "SoftwareVersion", "sw1", "xsd:string");
    d.add(DI + "UpTime", "42", "xsd:unsignedInt");
    d.add(IGD + "Time.NTPServer1", "pool.ntp.org", "xsd:string", true);
    d.add(IGD + "X_TEST.Counter", "5", "xsd:int", true);
    d.add(IGD + "X_TEST.Big", "5", "xsd:unsignedLong", true);
    d.add(IGD + "X_TEST.Flag", "false", "xsd:boolean", true);
    d.add(IGD + "X_TEST.When", "2024-01-01T00:00:00Z", "xsd:dateTime", true);
    d.add(IGD + "X_TEST.Blob", "", "xsd:base64", true);
    d.add(IGD + "X_TEST.Busy", "0", "xsd:unsignedInt", false, AN::can_deny);
    d.add(IGD + "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress", "192.0.2.7", "xsd:string");
    d.add_table(HOST, {{"HostName", {"host", "xsd:string", true}}, {"Active", {"true", "xsd:boolean", false}}});
    d.add_row(HOST, 1);
    d.add_row(HOST, 2);
}

struct Fixture {
    MemoryDevice dev;
    cpe::CpeState state;
    cwmp::EventQueue events;
    cpe::LocalContext local{IGD, "InternetGatewayDevice:1.4", "http://acs.example.net/cwmp", "acs-user", "acs-pw",
                            "http://bridge.example.net:7548/tok", true, 3600};
    std::int64_t now = 1'700'000'000;
    cpe::RpcHandler handler{local, state, events, dev, [this] { return now; }};

    Fixture() {
        populate(dev);
        state.gateway_id = "GW-1";
        state.cr_path = "tok";
        state.cr_username = "cr-user";
        state.cr_password = "cr-pw";
    }

    cwmp::Body call(const cwmp::Body& request) {
        auto outcome = cpe::run_sync(handler.handle(request), answer_all);
        if (auto* f = std::get_if<cwmp::Fault>(&outcome)) return cwmp::Body(*f);
        return std::get<cwmp::Body>(outcome);
    }

    template <class T>
    T ok(const cwmp::Body& request) {
        cwmp::Body b = call(request);
        if (auto* f = std::get_if<cwmp::Fault>(&b)) FAIL("unexpected fault " << f->code << " " << f->string);
        REQUIRE(std::holds_alternative<T>(b));
        return std::get<T>(b);
    }

    cwmp::Fault fault(const cwmp::Body& request) {
        cwmp::Body b = call(request);
        if (!std::holds_alternative<cwmp::Fault>(b)) FAIL("expected a fault, got " << cwmp::rpc_name(b));
        return std::get<cwmp::Fault>(b);
    }

    std::vector<cwmp::ParameterValue> gpv(std::vector<std::string> names) {
        return ok<cwmp::GetParameterValuesResponse>(cwmp::GetParameterValues{std::move(names)}).parameters;
    }
    std::vector<cwmp::ParameterInfo> gpn(std::string path, bool next_level) {
        return ok<cwmp::GetParameterNamesResponse>(cwmp::GetParameterNames{std::move(path), next_level}).parameters;
    }
};

inline const cwmp::ParameterValue* find(const std::vector<cwmp::ParameterValue>& v, const std::string& name) {
    auto it = std::find_if(v.begin(), v.end(), [&](auto& p) { return p.name == name; });
    return it == v.end() ? nullptr : &*it;
}
inline const cwmp::ParameterInfo* find(const std::vector<cwmp::ParameterInfo>& v, const std::string& name) {
    auto it = std::find_if(v.begin(), v.end(), [&](auto& p) { return p.name == name; });
    return it == v.end() ? nullptr : &*it;
}

inline cwmp::SetParameterValues spv(std::vector<cwmp::ParameterValue> values, std::string key = "key-1") {
    return cwmp::SetParameterValues{std::move(values), std::move(key)};
}

}  // namespace cpe_test
