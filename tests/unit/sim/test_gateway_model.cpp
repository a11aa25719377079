// The simulated gateway answers every HOMS -> gateway function correctly.
#include <set>

#include "tests/unit/sim/sim_test_util.hpp"

using namespace simtest;
namespace rc = cmp::result_code;

namespace {

void check_response(const cmp::Response& r, const std::string& fn) {
    CAPTURE(fn);
    CHECK_MESSAGE(r.result_code == 0, r.result_msg);
    CHECK(r.function == fn);
    CHECK(r.header.rg_id == "GW-0001");
    CHECK_FALSE(r.header.transaction_id.empty());
    const auto& cat = cmp::Catalogue::builtin();
    auto st = cat.validate(r);
    CHECK_MESSAGE(st, (st ? "" : st.error().message));
    auto back = cmp::decode_response(cmp::encode(r), {}, &cat, fn);
    REQUIRE(back);
    CHECK(*back == r);
}

}  // namespace

TEST_CASE("every HOMS -> gateway function answers 0 with a catalogue-valid response") {
    std::set<std::string> answered;
    auto ok = [&](Bench& b, const std::string& fn, cmp::Record args = {}) {
        cmp::Response r = b.call(fn, std::move(args));
        check_response(r, fn);
        answered.insert(fn);
        return r;
    };
    Bench b;
    b.run(10s);
    const auto& light = b.device_of_type("DimmableLight");
    const std::string switch_power = "urn:upnp-org:serviceId:SwitchPower.1";
    ok(b, "getRgInfo");
    ok(b, "getRgCpuRsc");
    ok(b, "getRgMemRsc");
    ok(b, "getRgDiskRsc");
    ok(b, "getRgDiskRsc", rec({{"diskId", "usb1"}}));
    ok(b, "getRgNetInfo");
    cmp::Record set_net;
    set_net.add_list("lan", {rec({{"leaseTime", "3600"}})});
    ok(b, "setRgNetInfo", set_net);
    ok(b, "getRgTrafficInfo");
    ok(b, "getRgTrafficInfo", rec({{"ifName", "wlan"}}));
    ok(b, "getRgTime");
    ok(b, "setRgTime", rec({{"ntpServer1", "pool.ntp.org"}, {"localTimeZone", "CET-1CEST,M3.5.0,M10.5.0/3"}}));
    ok(b, "getRgLog");
    ok(b, "backupRgConfig", rec({{"url", "http://files.example.net/gw1.cfg"}}));
    ok(b, "getHomeDevList");
    ok(b, "getHomeDevList", rec({{"deviceType", "Computer"}}));
    ok(b, "getHomeDevDescUrl", rec({{"devId", light.dev_id}}));
    cmp::Record ctrl = rec({{"devId", light.dev_id}, {"serviceId", switch_power}, {"actionName", "SetTarget"}});
    ctrl.add_list("arg", {rec({{"name", "newTargetValue"}, {"value", "1"}})});
    ok(b, "ctrlHomeDev", ctrl);
    ok(b, "getHomeDevState", rec({{"devId", light.dev_id}, {"serviceId", switch_power}}));
    auto sub = ok(b, "applyHomeDevEvent", rec({{"devId", light.dev_id}, {"serviceId", switch_power}}));
    ok(b, "releaseHomeDevEvent", rec({{"eventId", sub.fields.get("eventId")}}));
    ok(b, "restoreRgConfig", rec({{"url", "http://files.example.net/gw1.cfg"}}));
    Bench b2, b3, b4;
    ok(b2, "rebootRg", rec({{"delaySec", "5"}}));
    ok(b3, "resetRg");
    ok(b4, "upgradeRgFirmware", rec({{"fwUrl", "https://fw.example.net/V2.bin"}, {"fwVersion", "V100R001IRQC56B020"},
                                      {"fileSize", "7340032"}, {"userName", ""}, {"password", "pw"}}));
    for (const auto& f : cmp::Catalogue::builtin().functions())
        if (f.direction == cmp::Direction::to_gateway) CHECK_MESSAGE(answered.count(f.name), "not exercised: " << f.name);
}

TEST_CASE("identity: realistic, derived from the gateway id, distinct per gateway") {
    Bench a("GW-0001"), a2("GW-0001"), b("GW-0002");
    auto ia = a.call("getRgInfo"), ia2 = a2.call("getRgInfo"), ib = b.call("getRgInfo");
    CHECK(ia.fields.get("manufacturer") == "Huawei Technologies Co., Ltd.");
    CHECK(ia.fields.get("oui") == "202BC1");
    CHECK(ia.fields.get("modelName") == "BM632w");
    CHECK(ia.fields.get("serialNumber").size() == 16);
    CHECK(ia.fields.get("serialNumber").rfind("8KA8WA", 0) == 0);
    CHECK(ia == ia2);  // deterministic
    CHECK(ia.fields.get("serialNumber") != ib.fields.get("serialNumber"));
    auto na = a.call("getRgNetInfo"), nb = b.call("getRgNetInfo");
    const auto& wa = (*na.fields.list("wan"))[0];
    const auto& wb = (*nb.fields.list("wan"))[0];
    CHECK(wa.get("ipAddr") != wb.get("ipAddr"));
    CHECK(wa.get("mac") != wb.get("mac"));
    CHECK(wa.get("mac").rfind("20:2B:C1:", 0) == 0);
    auto reg = a.gw.make_registration();
    check_outgoing(reg);
    CHECK(reg.args.get("serialNumber") == ia.fields.get("serialNumber"));
    CHECK(reg.args.get("rgCtrlUrl") == "http://" + wa.get("ipAddr") + ":7548/cmp");
}

TEST_CASE("counters and resources advance with time") {
    Bench b;
    auto t0 = b.call("getRgTrafficInfo");
    auto i0 = b.call("getRgInfo");
    auto c0 = b.call("getRgCpuRsc");
    b.run(60s);
    auto t1 = b.call("getRgTrafficInfo");
    auto i1 = b.call("getRgInfo");
    auto c1 = b.call("getRgCpuRsc");
    for (const char* f : {"bytesSent", "bytesRcvd", "pktsSent", "pktsRcvd"})
        CHECK_MESSAGE(std::stoull(t1.fields.get(f)) > std::stoull(t0.fields.get(f)), f);
    CHECK(std::stoul(i1.fields.get("upTime")) == std::stoul(i0.fields.get("upTime")) + 60);
    CHECK(std::stoull((*c1.fields.list("proc"))[0].get("cpuTime")) > std::stoull((*c0.fields.list("proc"))[0].get("cpuTime")));
    std::set<std::string> usages;
    for (int i = 0; i < 30; ++i) {
        b.run(10s);
        usages.insert(b.call("getRgCpuRsc").fields.get("cpuUsage"));
        auto mem = b.call("getRgMemRsc");
        CHECK(std::stoul(mem.fields.get("memFree")) < std::stoul(mem.fields.get("memTotal")));
    }
    CHECK(usages.size() > 3);  // usage moves
    // Advancing in one step or in many gives the same world.
    Bench x, y;
    x.run(600s);
    for (int i = 0; i < 600; ++i) y.run(1s);
    CHECK(x.call("getRgTrafficInfo").fields == y.call("getRgTrafficInfo").fields);
    CHECK(x.call("getHomeDevList").fields == y.call("getHomeDevList").fields);
}

TEST_CASE("network and time settings persist; invalid values are refused") {
    Bench b;
    cmp::Record set;
    set.add_list("wan", {rec({{"dns", "9.9.9.9,1.1.1.1"}})});
    set.add_list("lan", {rec({{"dhcpMin", "192.168.1.100"}, {"dhcpMax", "192.168.1.199"}, {"leaseTime", "7200"},
                              {"dhcpEnable", "false"}})});
    REQUIRE(b.call("setRgNetInfo", set).result_code == 0);
    b.run(5s);
    auto net = b.call("getRgNetInfo");
    const auto& lan = (*net.fields.list("lan"))[0];
    CHECK(lan.get("dhcpMin") == "192.168.1.100");
    CHECK(lan.get("dhcpMax") == "192.168.1.199");
    CHECK(lan.get("leaseTime") == "7200");
    CHECK(lan.get("dhcpEnable") == "false");
    CHECK((*net.fields.list("wan"))[0].get("dns") == "9.9.9.9,1.1.1.1");
    // A get -> set round trip of the whole answer is accepted (read-only values unchanged).
    cmp::Record echo;
    echo.add_list("wan", *net.fields.list("wan")).add_list("lan", *net.fields.list("lan"));
    CHECK(b.call("setRgNetInfo", echo).result_code == 0);

    REQUIRE(b.call("setRgTime", rec({{"ntpServer2", "ntp.example.net"}, {"localTimeZone", "GMT-05:00"}})).result_code == 0);
    auto t = b.call("getRgTime");
    CHECK(t.fields.get("ntpServer1") == "clock.fmt.he.net");
    CHECK(t.fields.get("ntpServer2") == "ntp.example.net");
    CHECK(t.fields.get("localTimeZone") == "GMT-05:00");
    CHECK(t.fields.get("currentLocalTime").ends_with("-05:00"));
    CHECK(t.fields.get("currentLocalTime").rfind("2013-08-16T12:14:4", 0) == 0);  // the dump's clock, 5 h west

    auto bad = [&](const std::string& fn, cmp::Record args, int code = rc::invalid_argument) {
        auto r = b.call(fn, std::move(args));
        CHECK_MESSAGE(r.result_code == code, fn << ": " << r.result_msg);
        CHECK_FALSE(r.result_msg.empty());
        if (code != rc::unknown_function) CHECK(cmp::Catalogue::builtin().validate(r));
    };
    auto net_with = [](const char* list, cmp::Record item) {
        cmp::Record r;
        r.add_list(list, {std::move(item)});
        return r;
    };
    bad("setRgNetInfo", net_with("wan", rec({{"type", "Carrier-Pigeon"}})));
    bad("setRgNetInfo", net_with("wan", rec({{"ipAddr", "300.1.1.1"}})));
    bad("setRgNetInfo", net_with("wan", rec({{"mask", "255.0.255.0"}})));
    bad("setRgNetInfo", net_with("wan", rec({{"mac", "00:00:00:00:00:01"}})));
    bad("setRgNetInfo", net_with("wan", rec({{"dns", "8.8.8.8,nonsense"}})));
    bad("setRgNetInfo", net_with("lan", rec({{"dhcpMin", "10.0.0.2"}})));
    bad("setRgNetInfo", net_with("lan", rec({{"dhcpMin", "192.168.1.200"}, {"dhcpMax", "192.168.1.100"}})));
    bad("setRgNetInfo", net_with("lan", rec({{"leaseTime", "5"}})));
    bad("setRgNetInfo", net_with("lan", rec({{"leaseTime", "many"}})));
    bad("setRgTime", rec({{"localTimeZone", "Mars/Olympus"}}));
    bad("setRgTime", rec({{"ntpServer1", "two words"}}));
    bad("getRgTrafficInfo", rec({{"ifName", "eth9"}}));
    bad("getRgDiskRsc", rec({{"diskId", "sdz"}}), rc::resource_unavailable);
    bad("getHomeDevDescUrl", {});  // devId missing
    bad("getRgInfo", rec({{"verbose", "1"}}));  // unknown field
    bad("upgradeRgFirmware", rec({{"fwUrl", "gopher://x"}, {"fwVersion", "V2"}, {"fileSize", "1"}, {"userName", ""},
                                  {"password", ""}}));
    bad("restoreRgConfig", rec({{"url", "http://never.example.net/none.cfg"}}), rc::transfer_failed);
    bad("getRgTeapot", {}, rc::unknown_function);
    bad("regRg", {}, rc::unknown_function);  // a gateway -> HOMS function
    // Settings survived the refusals.
    CHECK((*b.call("getRgNetInfo").fields.list("lan"))[0].get("dhcpMin") == "192.168.1.100");

    cmp::Request other;
    other.header = {"GW-9999", "x", "2024-11-25T10:20:00Z"};
    other.function = "getRgInfo";
    CHECK(b.gw.handle(other).result_code == rc::unauthorized);
}

TEST_CASE("home devices: control, state, errors") {
    Bench b;
    const auto light = b.device_of_type("DimmableLight");
    const auto tv = b.device_of_type("MediaRenderer");
    const std::string dimming = "urn:upnp-org:serviceId:Dimming.1";
    cmp::Record ctrl = rec({{"devId", light.dev_id}, {"serviceId", dimming}, {"actionName", "SetLoadLevelTarget"}});
    ctrl.add_list("arg", {rec({{"name", "newLoadlevelTarget"}, {"value", "35"}})});
    REQUIRE(b.call("ctrlHomeDev", ctrl).result_code == 0);
    cmp::Record state = rec({{"devId", light.dev_id}, {"serviceId", dimming}});
    state.add_list("varName", {rec({{"name", "LoadLevelStatus"}})});
    auto s = b.call("getHomeDevState", state);
    REQUIRE(s.result_code == 0);
    REQUIRE(s.fields.list("var")->size() == 1);
    CHECK((*s.fields.list("var"))[0].get("value") == "35");

    cmp::Record get = rec({{"devId", light.dev_id}, {"serviceId", dimming}, {"actionName", "GetLoadLevelStatus"}});
    auto g = b.call("ctrlHomeDev", get);
    REQUIRE(g.result_code == 0);
    CHECK((*g.fields.list("outArg"))[0].get("value") == "35");

    cmp::Record vol = rec({{"devId", tv.dev_id}, {"serviceId", "urn:upnp-org:serviceId:RenderingControl"},
                           {"actionName", "SetVolume"}});
    vol.add_list("arg", {rec({{"name", "InstanceID"}, {"value", "0"}}), rec({{"name", "Channel"}, {"value", "Master"}}),
                         rec({{"name", "DesiredVolume"}, {"value", "150"}})});
    CHECK(b.call("ctrlHomeDev", vol).result_code == rc::device_error);
    CHECK(b.call("ctrlHomeDev", rec({{"devId", "nobody"}, {"serviceId", dimming}, {"actionName", "X"}})).result_code ==
          rc::device_not_found);
    CHECK(b.call("ctrlHomeDev", rec({{"devId", light.dev_id}, {"serviceId", "urn:x"}, {"actionName", "X"}}))
              .result_code == rc::device_error);
    CHECK(b.call("ctrlHomeDev", rec({{"devId", light.dev_id}, {"serviceId", dimming}, {"actionName", "Explode"}}))
              .result_code == rc::device_error);
    const auto& host = b.device_of_type("Computer");
    CHECK(b.call("getHomeDevDescUrl", rec({{"devId", host.dev_id}})).result_code == rc::not_supported);
    CHECK(b.call("releaseHomeDevEvent", rec({{"eventId", "evt-none"}})).result_code == rc::subscription_not_found);
    auto list = b.call("getHomeDevList", rec({{"deviceType", "urn:schemas-upnp-org:device:MediaRenderer:1"}}));
    REQUIRE(list.fields.list("dev")->size() == 1);
    CHECK((*list.fields.list("dev"))[0].get("friendlyName") == "Living room TV");
}

TEST_CASE("fault injection: fail_rate and offline") {
    sim::ModelOptions o;
    o.fail_rate = 1.0;
    Bench b("GW-0001", o);
    for (const char* fn : {"getRgInfo", "getRgNetInfo", "getHomeDevList", "rebootRg"}) {
        auto r = b.call(fn);
        CHECK_MESSAGE((r.result_code == rc::busy || r.result_code == rc::general_failure), fn);
        CHECK(cmp::Catalogue::builtin().validate(r));
    }
    o.fail_rate = 0.3;
    Bench p("GW-0001", o), twin("GW-0001", o);
    int failed = 0;
    for (int i = 0; i < 400; ++i) {
        auto r = p.call("getRgInfo");
        CHECK(r.result_code == twin.call("getRgInfo").result_code);  // deterministic with the seed
        failed += r.result_code != 0;
    }
    CHECK(failed > 80);
    CHECK(failed < 160);
    // Injected faults do not disturb the simulated world.
    Bench calm("GW-0001");
    p.run(300s);
    calm.run(300s);
    p.gw.set_fail_rate(0);
    CHECK(p.call("getRgTrafficInfo").fields == calm.call("getRgTrafficInfo").fields);
    b.gw.set_fail_rate(0);
    CHECK(b.call("getRgInfo").result_code == 0);
    b.gw.set_offline(true);
    CHECK_FALSE(b.gw.online());
    CHECK(b.call("getRgInfo").result_code == rc::busy);
    b.gw.set_offline(false);
    CHECK(b.gw.online());
    CHECK(b.call("getRgInfo").result_code == 0);
}
