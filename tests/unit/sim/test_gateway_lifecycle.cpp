// Reboot, upgrade, registration, subscriptions and the LAN over time.
#include "tests/unit/sim/sim_test_util.hpp"

using namespace simtest;
namespace rc = cmp::result_code;

TEST_CASE("registration: authRg, keep-alives, re-registration after 4") {
    sim::ModelOptions o;
    o.secret = "s3cret";
    Bench b("GW-0001", o);
    CHECK_FALSE(b.gw.registered());
    b.register_now("60");
    CHECK(b.gw.registered());
    auto out = b.gw.take_outbox();
    REQUIRE(out.size() == 1);
    CHECK(out[0].function == "authRg");
    check_outgoing(out[0]);
    CHECK(out[0].args.get("authDigest") ==
          cmp::auth_digest("s3cret", "00112233445566778899aabbccddeeff", "GW-0001", "sess-1"));
    b.run(125s);
    auto keepalives = b.outbox_of("keepAliveRg");
    REQUIRE(keepalives.size() == 2);
    check_outgoing(keepalives[0]);
    CHECK(keepalives[0].args.get("sessionId") == "sess-1");

    cmp::Response refused = cmp::make_response(keepalives[1], rc::unauthorized, "who are you");
    b.gw.on_response(refused);
    CHECK_FALSE(b.gw.registered());
    b.run(5s);
    CHECK(b.outbox_of("regRg").empty());
    b.run(10s);  // first back-off step is 10 s
    auto again = b.outbox_of("regRg");
    REQUIRE(again.size() == 1);
    check_outgoing(again[0]);
}

TEST_CASE("reboot: offline for a while, then a new regRg; notifications wait for registration") {
    Bench b;
    b.register_now();
    b.gw.take_outbox();
    b.run(100s);
    const auto up_before = b.gw.up_time();
    REQUIRE(b.call("rebootRg", rec({{"delaySec", "5"}})).result_code == 0);
    b.run(4s);
    CHECK(b.gw.online());
    b.run(2s);
    CHECK_FALSE(b.gw.online());
    auto bye = b.outbox_of("deregRg");
    REQUIRE(bye.size() == 1);
    CHECK(bye[0].args.get("reason") == "reboot");
    check_outgoing(bye[0]);
    CHECK(b.call("getRgInfo").result_code == rc::busy);
    b.run(30s);
    CHECK_FALSE(b.gw.online());
    b.run(20s);  // default reboot takes 45 s
    CHECK(b.gw.online());
    CHECK_FALSE(b.gw.registered());
    auto regs = b.outbox_of("regRg");
    REQUIRE(regs.size() == 1);
    check_outgoing(regs[0]);
    CHECK(b.gw.up_time() < 30);
    CHECK(b.gw.up_time() < up_before);
    auto info = b.call("getRgInfo");
    CHECK(std::stoul(info.fields.get("upTime")) < 30);
    // The traffic counters restarted with the interfaces.
    CHECK(std::stoull(b.call("getRgTrafficInfo").fields.get("bytesRcvd")) < 100000000ull);
}

TEST_CASE("firmware upgrade: notifyRgUpgradeResult after the delay, new swVersion") {
    Bench b;
    b.register_now();
    b.gw.take_outbox();
    const std::string old_version = b.gw.sw_version();
    REQUIRE(b.call("upgradeRgFirmware", rec({{"fwUrl", "http://fw.example.net/V2.bin"}, {"fwVersion", "V100R001IRQC56B020"},
                                             {"fileSize", "7340032"}, {"userName", "u"}, {"password", "p"},
                                             {"delaySec", "10"}}))
                .result_code == 0);
    CHECK(b.call("upgradeRgFirmware", rec({{"fwUrl", "http://fw.example.net/V3.bin"}, {"fwVersion", "V3"},
                                           {"fileSize", "1"}, {"userName", ""}, {"password", ""}}))
              .result_code == rc::busy);
    CHECK(b.call("rebootRg").result_code == rc::busy);
    b.run(60s);
    CHECK(b.gw.online());
    CHECK(b.gw.sw_version() == old_version);
    b.run(45s);  // 10 s delay + 90 s download and flash: rebooting now
    CHECK_FALSE(b.gw.online());
    CHECK(b.outbox_of("notifyRgUpgradeResult").empty());  // reported once registered again
    b.run(60s);
    REQUIRE(b.gw.online());
    CHECK(b.gw.sw_version() == "V100R001IRQC56B020");
    REQUIRE(b.outbox_of("regRg").size() == 1);
    b.register_now();
    auto out = b.gw.take_outbox();
    REQUIRE(out.size() >= 2);
    CHECK(out[0].function == "authRg");
    CHECK(out[1].function == "notifyRgUpgradeResult");
    check_outgoing(out[1]);
    CHECK(out[1].args.get("resultCode") == "0");
    CHECK(out[1].args.get("fwVersion") == "V100R001IRQC56B020");
    auto start = cmp::parse_date_time(out[1].args.get("startTime"));
    auto done = cmp::parse_date_time(out[1].args.get("completeTime"));
    REQUIRE(start);
    REQUIRE(done);
    CHECK(*done - *start == 90);
    CHECK(b.call("getRgInfo").fields.get("swVersion") == "V100R001IRQC56B020");
}

TEST_CASE("firmware upgrade failures are reported without a reboot") {
    for (auto [url, code] : {std::pair{"http://fw.example.net/corrupt.bin", rc::upgrade_failed},
                             std::pair{"http://unreachable.example.net/V2.bin", rc::transfer_failed}}) {
        Bench b;
        b.register_now();
        b.gw.take_outbox();
        REQUIRE(b.call("upgradeRgFirmware", rec({{"fwUrl", url}, {"fwVersion", "V2"}, {"fileSize", "0"},
                                                 {"userName", ""}, {"password", ""}}))
                    .result_code == 0);
        b.run(91s);
        CHECK(b.gw.online());
        auto n = b.outbox_of("notifyRgUpgradeResult");
        REQUIRE(n.size() == 1);
        check_outgoing(n[0]);
        CHECK(n[0].args.get("resultCode") == std::to_string(code));
        CHECK(b.gw.sw_version() == "V100R001IRQC56B017");
    }
}

TEST_CASE("subscriptions: initial event, change events with seq, release") {
    Bench b;
    b.register_now();
    b.gw.take_outbox();
    const auto light = b.device_of_type("DimmableLight");
    const std::string sp = "urn:upnp-org:serviceId:SwitchPower.1";
    auto sub = b.call("applyHomeDevEvent", rec({{"devId", light.dev_id}, {"serviceId", sp}}));
    REQUIRE(sub.result_code == 0);
    const std::string eid = sub.fields.get("eventId");
    auto initial = b.outbox_of("notifyHomeDevEvent");
    REQUIRE(initial.size() == 1);
    check_outgoing(initial[0]);
    CHECK(initial[0].args.get("seq") == "0");
    CHECK(initial[0].args.get("eventId") == eid);
    REQUIRE(initial[0].args.list("var")->size() == 1);  // Status only: Target is not evented
    CHECK((*initial[0].args.list("var"))[0].get("name") == "Status");

    cmp::Record on = rec({{"devId", light.dev_id}, {"serviceId", sp}, {"actionName", "SetTarget"}});
    on.add_list("arg", {rec({{"name", "newTargetValue"}, {"value", "1"}})});
    REQUIRE(b.call("ctrlHomeDev", on).result_code == 0);
    auto change = b.outbox_of("notifyHomeDevEvent");
    REQUIRE(change.size() == 1);
    check_outgoing(change[0]);
    CHECK(change[0].args.get("seq") == "1");
    CHECK((*change[0].args.list("var"))[0].get("value") == "1");
    REQUIRE(b.call("ctrlHomeDev", on).result_code == 0);  // no change, no event
    CHECK(b.outbox_of("notifyHomeDevEvent").empty());

    REQUIRE(b.call("releaseHomeDevEvent", rec({{"eventId", eid}})).result_code == 0);
    on.list("arg")->front().set("value", "0");
    REQUIRE(b.call("ctrlHomeDev", on).result_code == 0);
    CHECK(b.outbox_of("notifyHomeDevEvent").empty());
    CHECK(b.call("releaseHomeDevEvent", rec({{"eventId", eid}})).result_code == rc::subscription_not_found);
}

TEST_CASE("subscribed variables changing by themselves produce events; duration ends a subscription") {
    Bench b;
    b.register_now();
    b.gw.take_outbox();
    const auto thermo = b.device_of_type("Thermostat");
    const std::string ts = "urn:upnp-org:serviceId:TemperatureSensor.1";
    cmp::Record req = rec({{"devId", thermo.dev_id}, {"serviceId", ts}, {"duration", "3600"}});
    req.add_list("varName", {rec({{"name", "CurrentTemperature"}})});
    REQUIRE(b.call("applyHomeDevEvent", req).result_code == 0);
    b.run(3600s);
    auto events = b.outbox_of("notifyHomeDevEvent");
    REQUIRE(events.size() > 5);
    for (std::size_t i = 0; i < events.size(); ++i) {
        check_outgoing(events[i]);
        CHECK(events[i].args.get("seq") == std::to_string(i));
    }
    b.run(3600s);
    CHECK(b.outbox_of("notifyHomeDevEvent").empty());
    cmp::Record bad = rec({{"devId", thermo.dev_id}, {"serviceId", ts}});
    bad.add_list("varName", {rec({{"name", "Application"}})});
    CHECK(b.call("applyHomeDevEvent", bad).result_code == rc::device_error);  // not evented
}

TEST_CASE("home devices join and leave over time") {
    Bench b;
    b.register_now();
    b.gw.take_outbox();
    const auto before = b.gw.home().devices().size();
    b.run(std::chrono::hours(12));
    std::size_t joins = 0, leaves = 0;
    for (const auto& m : b.gw.take_outbox()) {
        if (m.function == "notifyHomeDevJoin") ++joins, check_outgoing(m);
        if (m.function == "notifyHomeDevLeave") ++leaves, check_outgoing(m);
    }
    CHECK(joins > 3);
    CHECK(leaves > 3);
    CHECK(b.gw.home().devices().size() >= before);
    auto list = b.call("getHomeDevList");
    std::size_t active = 0;
    for (const auto& d : *list.fields.list("dev")) active += d.get("active") == "true";
    CHECK(active >= 3);  // the appliances never leave
    CHECK(list.fields.list("dev")->size() == b.gw.home().devices().size());
}

TEST_CASE("notifications are held until registration") {
    sim::ModelOptions o;
    o.sec_alerts_per_day = 86400.0 * 4;  // about every second
    Bench b("GW-0001", o);
    b.run(10s);
    CHECK(b.outbox_of("notifyRgSecAlert").empty());
    b.register_now();
    auto out = b.gw.take_outbox();
    REQUIRE(out.size() > 3);
    CHECK(out[0].function == "authRg");
    for (std::size_t i = 1; i < out.size(); ++i) {
        CHECK(out[i].function == "notifyRgSecAlert");
        check_outgoing(out[i]);
    }
}

TEST_CASE("factory reset and backup/restore") {
    Bench b;
    cmp::Record set;
    set.add_list("lan", {rec({{"leaseTime", "600"}})});
    auto lease = [&] { return (*b.call("getRgNetInfo").fields.list("lan"))[0].get("leaseTime"); };
    REQUIRE(b.call("backupRgConfig", rec({{"url", "ftp://files.example.net/a.cfg"}})).result_code == 0);
    REQUIRE(b.call("setRgNetInfo", set).result_code == 0);
    CHECK(lease() == "600");
    REQUIRE(b.call("restoreRgConfig", rec({{"url", "ftp://files.example.net/a.cfg"}})).result_code == 0);
    b.run(60s);
    REQUIRE(b.gw.online());
    CHECK(lease() == "86400");

    REQUIRE(b.call("setRgNetInfo", set).result_code == 0);
    REQUIRE(b.call("setRgTime", rec({{"localTimeZone", "UTC"}})).result_code == 0);
    REQUIRE(b.call("resetRg").result_code == 0);
    b.run(60s);
    REQUIRE(b.gw.online());
    CHECK(lease() == "86400");
    CHECK(b.call("getRgTime").fields.get("localTimeZone") == "GMT+03:00");
    CHECK(b.call("getRgLog").fields.get("logText").find("factory reset") != std::string::npos);
}

TEST_CASE("the same id and the same calls give the same gateway") {
    Bench x("GW-0042"), y("GW-0042");
    x.register_now();
    y.register_now();
    x.run(std::chrono::hours(3));
    y.run(std::chrono::hours(3));
    CHECK(x.gw.take_outbox() == y.gw.take_outbox());
    CHECK(x.call("getRgCpuRsc") == y.call("getRgCpuRsc"));
    CHECK(x.call("getRgLog") == y.call("getRgLog"));
}

TEST_CASE("an upgrade without fwVersion takes the version from the image's file name") {
    Bench b;
    auto r = b.call("upgradeRgFirmware", rec({{"fwUrl", "http://fw.example.net/images/V200R002.bin?sig=1"},
                                             {"fwVersion", ""}, {"fileSize", "0"}, {"userName", ""}, {"password", ""}}));
    REQUIRE(r.result_code == 0);
    b.run(140s);  // 90 s download and flash, 45 s reboot
    CHECK(b.gw.sw_version() == "V200R002");
    CHECK(b.call("upgradeRgFirmware", rec({{"fwUrl", "http://fw.example.net/"}, {"fwVersion", ""}, {"fileSize", "0"},
                                           {"userName", ""}, {"password", ""}}))
              .result_code == rc::invalid_argument);
}
