#pragma once
// A fake host and a scripted gateway for driving cmp::Listener with crafted
// HTTP requests (no sockets), plus stderr capture for the log assertions.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/stderr_capture.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/listener.hpp"
#include "bridge/cmp/wire.hpp"

namespace lt {

inline constexpr std::int64_t kNow = 1732530000;
inline const std::string kPath = "/cmp";

struct FakeHost : cmp::ListenerHost {
    std::map<std::string, cmp::GatewayAccess, std::less<>> gateways;  // enrolled ones
    std::map<std::string, std::string, std::less<>> enrollable;     // rgId -> secret
    std::vector<cmp::Registration> registrations;
    std::vector<std::string> alive_calls, gone_calls;
    std::vector<cmp::Request> notifications;
    bool refuse_registration = false;
    bool defer = false;  // enrollments come back from Listener::process()
    int notification_code = 0;

    std::optional<cmp::GatewayAccess> access(std::string_view rg) override {
        if (auto it = gateways.find(rg); it != gateways.end()) return it->second;
        if (auto it = enrollable.find(rg); it != enrollable.end())
            return cmp::GatewayAccess{{std::string(rg), it->second, false}, false};
        return std::nullopt;
    }
    bool registered(const cmp::Registration& r) override {
        registrations.push_back(r);
        return !refuse_registration;
    }
    bool defer_enrollment(const cmp::Registration&) override { return defer; }
    void alive(std::string_view rg) override { alive_calls.emplace_back(rg); }
    void gone(std::string_view rg, std::string_view reason) override {
        gone_calls.push_back(std::string(rg) + ":" + std::string(reason));
    }
    int notification(const cmp::Request& m) override {
        notifications.push_back(m);
        return notification_code;
    }
    void add(std::string id, std::string secret, bool legacy = false) {
        gateways[id] = cmp::GatewayAccess{{id, std::move(secret), legacy}, true};
    }
};

// One gateway talking to a listener; every exchange is checked on the way back.
struct Gw {
    cmp::Listener& listener;
    cmp::PeerKeys keys;
    std::int64_t now = kNow;
    int tx = 0;
    std::string session, nonce;

    cmp::Request msg(std::string fn, cmp::Record args = {}) {
        cmp::Request m;
        m.header = {keys.rg_id, "t" + std::to_string(++tx), cmp::format_date_time(now)};
        m.function = std::move(fn);
        m.args = std::move(args);
        return m;
    }
    // Sends and decodes (verifying the signature and decrypting as a gateway would).
    core::Result<cmp::Response> call(const cmp::Request& m, http::Response* raw = nullptr) {
        auto out = cmp::make_http_request(m, kPath, keys, now);
        REQUIRE(out);
        http::Response res = listener.handle(out->http, "192.0.2.7", now);
        if (raw) *raw = res;
        return cmp::read_http_response(res, kPath, keys, out->nonce, now, m.function);
    }
    cmp::Record registration(std::string ctrl = "http://192.0.2.7:7548/cmp") {
        cmp::Record r;
        r.set("rgId", keys.rg_id).set("manufacturer", "Huawei").set("oui", "202BC1").set("modelName", "BM632w");
        r.set("productClass", "BM632w").set("serialNumber", "SN-" + keys.rg_id).set("hwVersion", "1");
        r.set("swVersion", "V1").set("rgIpAddr", "192.0.2.7").set("rgCtrlUrl", std::move(ctrl));
        return r;
    }
    int reg(std::string ctrl = "http://192.0.2.7:7548/cmp") {
        auto r = call(msg("regRg", registration(std::move(ctrl))));
        REQUIRE(r);
        if (r->ok()) {
            session = r->fields.get("sessionId");
            nonce = r->fields.get("nonce");
        }
        return r->result_code;
    }
    int auth(std::string digest = {}) {
        cmp::Record a;
        if (digest.empty()) digest = cmp::auth_digest(keys.secret, nonce, keys.rg_id, session);
        a.set("rgId", keys.rg_id).set("sessionId", session).set("authDigest", digest);
        auto r = call(msg("authRg", a));
        REQUIRE(r);
        return r->result_code;
    }
    int keepalive() {
        cmp::Record k;
        k.set("rgId", keys.rg_id).set("sessionId", session).set("upTime", "100");
        auto r = call(msg("keepAliveRg", k));
        REQUIRE(r);
        return r->result_code;
    }
    int join(std::string dev = "mac-001122334455") {
        cmp::Record j;
        j.set("devId", std::move(dev)).set("deviceType", "Computer");
        auto r = call(msg("notifyHomeDevJoin", j));
        REQUIRE(r);
        return r->result_code;
    }
};

// The usual bench: one enrolled gateway, GW-0001, in front of a listener.
struct OneGateway {
    FakeHost host;
    cmp::Listener listener;
    Gw gw;
    explicit OneGateway(cmp::ListenerOptions o = {})
        : listener(host, o), gw{listener, {"GW-0001", "s3cret-one-0123456789"}} {
        host.add("GW-0001", gw.keys.secret);
    }
};

using test_util::StderrCapture;

}  // namespace lt
