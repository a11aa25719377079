// The issue 13 chain in-process: the simulated gateway's CMP agent -> the
// forward TableDevice (a virtual CPE) -> CWMP bodies -> ReverseCall /
// reverse_events -> what a HOMS receives. What the HOMS reads through the
// two bridges must be what the gateway holds, for every shipped table.
#include <doctest/doctest.h>

#include <filesystem>

#include "bridge/mapping/reverse_call.hpp"
#include "helpers.hpp"

namespace {

// A CPE whose data model is the forward table over the simulated gateway.
struct VirtualCpe {
    mapping::TableDevice dev;
    mt::Sim& sim;
    std::vector<cwmp::Body> log;

    template <class T, class F>
    cwmp::Body outcome(cpe::Step<T> step, F&& ok) {
        auto o = mt::drive(std::move(step), sim.responder());
        if (auto* f = std::get_if<cwmp::Fault>(&o)) return *f;
        return ok(std::get<0>(std::move(o)));
    }

    cwmp::Body handle(const cwmp::Body& rpc) {
        log.push_back(rpc);
        if (const auto* g = std::get_if<cwmp::GetParameterValues>(&rpc))
            return outcome(dev.get_values(g->names),
                           [](std::vector<cwmp::ParameterValue> v) { return cwmp::GetParameterValuesResponse{std::move(v)}; });
        if (const auto* g = std::get_if<cwmp::GetParameterNames>(&rpc))
            return outcome(dev.get_names(g->parameter_path, g->next_level), [](std::vector<cpe::NodeInfo> n) {
                cwmp::GetParameterNamesResponse r;
                for (auto& x : n) r.parameters.push_back({x.path, x.writable});
                return r;
            });
        if (const auto* s = std::get_if<cwmp::SetParameterValues>(&rpc))
            return outcome(dev.set_values(s->parameters), [](cpe::Unit) { return cwmp::SetParameterValuesResponse{0}; });
        if (const auto* a = std::get_if<cwmp::AddObject>(&rpc))
            return outcome(dev.add_object(a->object_name), [](std::uint32_t n) { return cwmp::AddObjectResponse{n, 0}; });
        if (const auto* s = std::get_if<cwmp::SetParameterAttributes>(&rpc)) {
            for (const auto& p : s->parameters) {
                auto b = outcome(dev.notification_changed(p.name, p.notification),
                                 [](cpe::Unit) -> cwmp::Body { return cwmp::SetParameterAttributesResponse{}; });
                if (std::holds_alternative<cwmp::Fault>(b)) return b;
            }
            return cwmp::SetParameterAttributesResponse{};
        }
        if (const auto* r = std::get_if<cwmp::Reboot>(&rpc))
            return outcome(dev.reboot(r->command_key), [](cpe::Unit) { return cwmp::RebootResponse{}; });
        if (const auto* d = std::get_if<cwmp::Download>(&rpc))
            return outcome(dev.download(*d), [](cpe::Unit) { return cwmp::DownloadResponse{}; });
        return cwmp::Fault{9000, "Method not supported", {}};
    }

    cmp::Response ask(const std::shared_ptr<const mapping::ReverseMapping>& m, cmp::Request req,
                      mapping::ReverseContext ctx = {}) {
        req.header = {"RG-1", "tx-9", "2026-12-03T12:00:00Z"};
        mapping::ReverseCall call(m, std::move(req), ctx);
        for (int guard = 0; guard < 100; ++guard) {
            auto step = call.next();
            if (auto* r = std::get_if<cmp::Response>(&step)) return *r;
            call.on_rpc_result(handle(std::get<cwmp::Body>(step)));
        }
        FAIL("no answer");
        return {};
    }

    // What the CPE would inform after gateway messages: their VALUE CHANGEs.
    cwmp::Inform inform_after(const std::vector<cmp::Request>& gateway_messages) {
        cwmp::Inform inform;
        inform.events = {{"4 VALUE CHANGE", ""}};
        for (const auto& msg : gateway_messages)
            for (auto& v : dev.translate_event(msg)) inform.parameters.push_back(std::move(v));
        return inform;
    }
};

cmp::Request request(std::string function, cmp::Record args = {}) {
    cmp::Request r;
    r.function = std::move(function);
    r.args = std::move(args);
    return r;
}

// Every scalar of a record as path -> value ("dev[2].ipAddr").
void flatten(const cmp::Record& r, const std::string& prefix, std::map<std::string, std::string>& out) {
    for (const auto& f : r.fields) {
        if (!f.is_list()) {
            out[prefix + f.name] = std::get<0>(f.value);
            continue;
        }
        const auto& items = std::get<1>(f.value);
        for (std::size_t i = 0; i < items.size(); ++i) flatten(items[i], prefix + f.name + "[" + std::to_string(i) + "].", out);
    }
}

std::vector<std::filesystem::path> tables() {
    std::vector<std::filesystem::path> out;
    for (const char* n : {"tr098.yaml", "tr098-tr157.yaml", "tr106.yaml"})
        out.push_back(std::filesystem::path(BRIDGE_SOURCE_DIR) / "mappings" / n);
    return out;
}

}  // namespace

TEST_CASE("reverse round trip: what the HOMS reads through both bridges is what the gateway holds") {
    for (const auto& file : tables()) {
        CAPTURE(file);
        auto table = mapping::Table::load_file(file.string());
        REQUIRE(table);
        auto m = mapping::ReverseMapping::make(*table);
        mt::Sim sim;
        VirtualCpe cpe{mapping::TableDevice(*table), sim, {}};
        std::vector<cmp::Request> gets = {request("getRgInfo"),   request("getRgCpuRsc"), request("getRgMemRsc"),
                                          request("getRgDiskRsc"), request("getRgNetInfo"), request("getRgTime"),
                                          request("getHomeDevList"), request("getRgLog")};
        for (const char* ifn : {"WAN", "LAN", "WLAN"}) gets.push_back(request("getRgTrafficInfo", cmp::Record{}.set("ifName", ifn)));
        // A selecting argument: the hosts of one class.
        const std::string type = sim(request("getHomeDevList"))->fields.list("dev")->at(0).get("deviceType");
        gets.push_back(request("getHomeDevList", cmp::Record{}.set("deviceType", type)));
        const std::string disk = sim(request("getRgDiskRsc"))->fields.list("disk")->back().get("name");
        gets.push_back(request("getRgDiskRsc", cmp::Record{}.set("diskId", disk)));
        for (const auto& g : gets) {
            CAPTURE(g.function);
            CAPTURE(g.args.get("ifName"));
            cpe.log.clear();
            cmp::Response through = cpe.ask(m, g);
            INFO(through.result_msg);
            REQUIRE(through.result_code == 0);
            CHECK(cpe.log.size() == 1);  // one GetParameterValues with every name
            CHECK((*table)->catalogue().validate(through));
            auto direct = sim(g);
            REQUIRE(direct);
            std::map<std::string, std::string> want, got;
            flatten(direct->fields, "", want);
            flatten(through.fields, "", got);
            for (const auto& [k, v] : want) {
                CAPTURE(k);
                auto it = got.find(k);
                REQUIRE_MESSAGE(it != got.end(), "missing through the bridges: " << k);
                if (k.find("cpuTime") != std::string::npos) continue;  // the gateway clock ran on between the reads
                CHECK(it->second == v);
            }
            CHECK(got.size() == want.size());
        }
    }
}

TEST_CASE("reverse round trip: writes, reboot, home device control and events reach the gateway") {
    for (const auto& file : tables()) {
        CAPTURE(file);
        auto table = mapping::Table::load_file(file.string());
        REQUIRE(table);
        auto m = mapping::ReverseMapping::make(*table);
        mt::Sim sim;
        VirtualCpe cpe{mapping::TableDevice(*table), sim, {}};
        mapping::ReverseEventState state;
        mapping::ReverseContext ctx;
        ctx.state = &state;

        // setRgTime and setRgNetInfo through the CPE's parameters.
        auto t = cpe.ask(m, request("setRgTime", cmp::Record{}.set("ntpServer2", "ntp.example.net")));
        INFO(t.result_msg);
        CHECK(t.result_code == 0);
        CHECK(sim(request("getRgTime"))->fields.get("ntpServer2") == "ntp.example.net");
        cmp::Record lan;
        lan.set("dhcpMin", "192.168.1.50").set("leaseTime", "7200");
        auto n = cpe.ask(m, request("setRgNetInfo", cmp::Record{}.add_list("lan", {lan})));
        INFO(n.result_msg);
        CHECK(n.result_code == 0);
        auto net = sim(request("getRgNetInfo"));
        CHECK(net->fields.list("lan")->at(0).get("dhcpMin") == "192.168.1.50");
        CHECK(net->fields.list("lan")->at(0).get("leaseTime") == "7200");

        // A home device: the HOMS controls it and watches a variable.
        auto list = sim(request("getHomeDevList"));
        std::string lamp;
        for (const auto& d : *list->fields.list("dev"))
            if (d.get("devId").rfind("uuid:", 0) == 0) lamp = d.get("devId");
        REQUIRE_FALSE(lamp.empty());
        std::string service;
        for (const auto& d : *list->fields.list("dev")) {
            if (d.get("devId").rfind("uuid:", 0) != 0) continue;
            auto desc = sim(request("getHomeDevDescUrl", cmp::Record{}.set("devId", d.get("devId"))));
            for (const auto& sv : *desc->fields.list("service"))
                if (sv.get("serviceId").find("SwitchPower") != std::string::npos) {
                    lamp = d.get("devId");
                    service = sv.get("serviceId");
                }
        }
        REQUIRE_FALSE(service.empty());
        cmp::Record ctrl;
        ctrl.set("devId", lamp).set("serviceId", service).set("actionName", "GetStatus");
        auto c = cpe.ask(m, request("ctrlHomeDev", ctrl));
        INFO(c.result_msg);
        auto direct = sim(request("ctrlHomeDev", ctrl));
        REQUIRE(direct->ok());
        CHECK(c.result_code == 0);
        CHECK(c.fields == direct->fields);
        // An action the device does not have fails through both bridges (the code is the
        // forward table's set fault, 9002, read back: general_failure).
        ctrl.set("actionName", "Explode");
        CHECK(cpe.ask(m, request("ctrlHomeDev", ctrl)).result_code != 0);

        cmp::Record state_args;
        state_args.set("devId", lamp).set("serviceId", service);
        auto vars = sim(request("getHomeDevState", state_args));
        REQUIRE(vars->ok());
        // Status is SwitchPower's evented variable (Target is not: a subscription to it is refused).
        std::string var, value;
        for (const auto& v : *vars->fields.list("var"))
            if (v.get("name") == "Status") var = v.get("name"), value = v.get("value");
        REQUIRE(var == "Status");
        state_args.add_list("varName", {cmp::Record{}.set("name", var)});
        auto through_state = cpe.ask(m, request("getHomeDevState", state_args));
        INFO(through_state.result_msg);
        REQUIRE(through_state.result_code == 0);
        CHECK(through_state.fields.list("var")->at(0).get("name") == var);
        CHECK(through_state.fields.list("var")->at(0).get("value") == value);

        mapping::ReverseCall sub(m, [&] {
            auto r = request("applyHomeDevEvent", state_args);
            r.header = {"RG-1", "tx-10", "2026-12-03T12:00:00Z"};
            return r;
        }(), ctx);
        cmp::Response subscribed;
        for (int guard = 0; guard < 50; ++guard) {
            auto step = sub.next();
            if (auto* r = std::get_if<cmp::Response>(&step)) {
                subscribed = *r;
                break;
            }
            sub.on_rpc_result(cpe.handle(std::get<cwmp::Body>(step)));
        }
        INFO(subscribed.result_msg);
        REQUIRE(subscribed.result_code == 0);
        REQUIRE(sub.follow_ups().size() == 1);
        CHECK(sub.follow_ups()[0].args.list("var")->at(0).get("name") == var);

        // The HOMS switches the lamp; the watched Status changes on the gateway, which tells the
        // virtual CPE; its VALUE CHANGE reaches the HOMS as notifyHomeDevEvent of the HOMS's subscription.
        sim.model.take_outbox();
        const std::string target = value == "1" ? "0" : "1";
        cmp::Record set_target;
        set_target.set("devId", lamp).set("serviceId", service).set("actionName", "SetTarget");
        set_target.add_list("arg", {cmp::Record{}.set("name", "newTargetValue").set("value", target)});
        REQUIRE(cpe.ask(m, request("ctrlHomeDev", set_target)).result_code == 0);
        auto changed = cpe.inform_after(sim.model.take_outbox());
        auto events = mapping::reverse_events(*m, changed, state);
        REQUIRE(events.size() == 1);
        CHECK(events[0].function == "notifyHomeDevEvent");
        CHECK(events[0].args.get("eventId") == subscribed.fields.get("eventId"));
        CHECK(events[0].args.get("devId") == lamp);
        CHECK(events[0].args.get("seq") == "1");
        CHECK(events[0].args.list("var")->at(0).get("name") == "Status");
        CHECK(events[0].args.list("var")->at(0).get("value") == target);

        // The gateway's own events, through the virtual CPE's VALUE CHANGE, back to the HOMS.
        sim.model.take_outbox();
        const std::string joined = sim.model.force_join();
        auto inform = cpe.inform_after(sim.model.take_outbox());
        auto reads = mapping::reverse_event_reads(*m, inform, state);
        REQUIRE_FALSE(reads.empty());  // a new host reports only Active: its fields are read
        auto read = cpe.handle(cwmp::GetParameterValues{reads});
        REQUIRE(std::holds_alternative<cwmp::GetParameterValuesResponse>(read));
        auto msgs = mapping::reverse_events(*m, inform, state, std::get<cwmp::GetParameterValuesResponse>(read).parameters);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].function == "notifyHomeDevJoin");
        CHECK(msgs[0].args.get("devId") == joined);
        CHECK((*table)->catalogue().validate(cmp::Request{{"RG-1", "1", "2026-12-03T12:00:00Z"}, msgs[0].function, msgs[0].args}));

        auto left = sim.model.force_leave(joined);
        REQUIRE(left);
        inform = cpe.inform_after(sim.model.take_outbox());
        CHECK(mapping::reverse_event_reads(*m, inform, state).empty());  // known since the join
        msgs = mapping::reverse_events(*m, inform, state);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].function == "notifyHomeDevLeave");
        CHECK(msgs[0].args.get("devId") == joined);

        REQUIRE(sim.model.raise_alert("sec"));
        inform = cpe.inform_after(sim.model.take_outbox());
        msgs = mapping::reverse_events(*m, inform, state);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].function == "notifyRgSecAlert");

        // Reboot last: the gateway goes down.
        cpe.log.clear();
        auto rb = cpe.ask(m, request("rebootRg"));
        CHECK(rb.result_code == 0);
        CHECK(std::holds_alternative<cwmp::Reboot>(cpe.log.at(0)));
    }
}
