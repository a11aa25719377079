// GatewayModel handlers of the home-device functions: list, description,
// control, state and event subscriptions.
#include <algorithm>
#include <cstdio>

#include "examples/cmp-gateway-sim/gateway_model.hpp"
#include "examples/cmp-gateway-sim/sim_util.hpp"

namespace sim {
namespace {

using cmp::Record;
using cmp::Request;
using cmp::Response;
namespace rc = cmp::result_code;

std::vector<std::string> var_names(const Request& req) {
    std::vector<std::string> names;
    if (const auto* l = req.args.list("varName"))
        for (const Record& r : *l) names.push_back(r.get("name"));
    return names;
}

}  // namespace

std::variant<std::pair<HomeDevice*, Service*>, Response> GatewayModel::resolve(const Request& req) {
    const std::string dev_id = req.args.get("devId");
    HomeDevice* dev = home_.find(dev_id);
    if (!dev) return fail(req, rc::device_not_found, "no home device " + dev_id);
    if (!dev->active) return fail(req, rc::resource_unavailable, dev_id + " is not on the LAN");
    Service* svc = nullptr;
    if (const std::string* sid = req.args.scalar("serviceId")) {
        svc = dev->service(*sid);
        if (!svc) return fail(req, rc::device_error, dev_id + " has no service " + *sid);
    }
    return std::pair{dev, svc};
}

Response GatewayModel::dev_list(const Request& req) {
    const std::string type = req.args.get("deviceType");
    std::vector<Record> devs;
    for (const HomeDevice& d : home_.devices()) {
        if (!type.empty() && d.device_type != type) continue;
        Record r;
        r.set("devId", d.dev_id).set("deviceType", d.device_type);
        if (!d.friendly_name.empty()) r.set("friendlyName", d.friendly_name);
        if (!d.manufacturer.empty()) r.set("manufacturer", d.manufacturer);
        if (!d.model_name.empty()) r.set("modelName", d.model_name);
        r.set("ipAddr", d.ip).set("macAddr", d.mac).set("active", d.active ? "true" : "false");
        devs.push_back(std::move(r));
    }
    Response r = cmp::make_response(req);
    r.fields.add_list("dev", std::move(devs));
    return r;
}

Response GatewayModel::dev_desc(const Request& req) {
    auto found = resolve(req);
    if (auto* err = std::get_if<Response>(&found)) return *err;
    HomeDevice* dev = std::get<0>(found).first;
    if (dev->desc_url.empty()) return fail(req, rc::not_supported, dev->dev_id + " is not a UPnP device");
    std::vector<Record> services;
    for (const Service& s : dev->services) {
        Record r;
        r.set("serviceType", s.type).set("serviceId", s.id).set("scpdUrl", s.scpd_url);
        r.set("controlUrl", s.control_url).set("eventSubUrl", s.event_url);
        services.push_back(std::move(r));
    }
    Response r = cmp::make_response(req);
    r.fields.set("descUrl", dev->desc_url).add_list("service", std::move(services));
    return r;
}

Response GatewayModel::dev_ctrl(const Request& req) {
    auto found = resolve(req);
    if (auto* err = std::get_if<Response>(&found)) return *err;
    auto [dev, svc] = std::get<0>(found);
    std::vector<std::pair<std::string, std::string>> args;
    if (const auto* l = req.args.list("arg"))
        for (const Record& a : *l) args.emplace_back(a.get("name"), a.get("value"));
    std::vector<Change> changes;
    auto outcome = home_.invoke(*dev, *svc, req.args.get("actionName"), args, changes);
    if (!outcome.ok) return fail(req, rc::device_error, outcome.error);
    publish(changes);
    std::vector<Record> out;
    for (auto& [n, v] : outcome.out) {
        Record r;
        r.set("name", n).set("value", v);
        out.push_back(std::move(r));
    }
    Response r = cmp::make_response(req);
    r.fields.add_list("outArg", std::move(out));
    return r;
}

Response GatewayModel::dev_state(const Request& req) {
    auto found = resolve(req);
    if (auto* err = std::get_if<Response>(&found)) return *err;
    Service* svc = std::get<0>(found).second;
    std::vector<std::string> names = var_names(req);
    if (names.empty())
        for (const StateVar& v : svc->vars) names.push_back(v.name);
    std::vector<Record> vars;
    for (const auto& n : names) {
        const StateVar* v = svc->var(n);
        if (!v) return fail(req, rc::device_error, svc->id + " has no state variable " + n);
        Record r;
        r.set("name", v->name).set("value", v->value);
        vars.push_back(std::move(r));
    }
    Response r = cmp::make_response(req);
    r.fields.add_list("var", std::move(vars));
    return r;
}

Response GatewayModel::dev_subscribe(const Request& req) {
    auto found = resolve(req);
    if (auto* err = std::get_if<Response>(&found)) return *err;
    auto [dev, svc] = std::get<0>(found);
    std::vector<std::string> names = var_names(req);
    for (const auto& n : names) {
        const StateVar* v = svc->var(n);
        if (!v) return fail(req, rc::device_error, svc->id + " has no state variable " + n);
        if (!v->evented) return fail(req, rc::device_error, n + " is not an evented variable");
    }
    Subscription s;
    char buf[24];
    std::snprintf(buf, sizeof buf, "%06llx", static_cast<unsigned long long>(salt_ & 0xFFFFFF));
    s.id = std::string("evt-") + buf + "-" + std::to_string(next_sub_++);
    s.dev_id = dev->dev_id;
    s.service_id = svc->id;
    s.vars = names;
    const auto duration = std::stoll(req.args.get("duration", "0"));
    s.expires_s = duration > 0 ? now_s_ + duration : 0;
    // The UPnP initial event: every subscribed variable with its current value, seq 0.
    std::vector<Record> vars;
    for (const StateVar& v : svc->vars) {
        if (!v.evented || (!names.empty() && std::find(names.begin(), names.end(), v.name) == names.end())) continue;
        Record r;
        r.set("name", v.name).set("value", v.value);
        vars.push_back(std::move(r));
    }
    cmp::Request n = outgoing("notifyHomeDevEvent");
    n.args.set("eventId", s.id).set("devId", s.dev_id).add_list("var", std::move(vars)).set("seq", "0");
    emit(std::move(n));
    Response r = cmp::make_response(req);
    r.fields.set("eventId", s.id);
    subs_.push_back(std::move(s));
    return r;
}

Response GatewayModel::dev_unsubscribe(const Request& req) {
    const std::string id = req.args.get("eventId");
    auto it = std::find_if(subs_.begin(), subs_.end(), [&](const Subscription& s) { return s.id == id; });
    if (it == subs_.end()) return fail(req, rc::subscription_not_found, "no subscription " + id);
    subs_.erase(it);
    return cmp::make_response(req);
}

}  // namespace sim
