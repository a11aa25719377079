#pragma once
// Test helpers: load a table from text, and drive a TableDevice's Steps with
// a responder (hand-made responses or the simulator's pure gateway model).
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bridge/mapping/table_device.hpp"
#include "examples/cmp-gateway-sim/gateway_model.hpp"

namespace mt {

inline std::shared_ptr<const mapping::Table> load(const std::string& yaml, const std::string& name = "test.yaml") {
    auto t = mapping::Table::load_string(yaml, name);
    INFO(yaml);
    if (!t) FAIL_CHECK(t.error().message);
    REQUIRE(t);
    return *t;
}

inline mapping::Diagnostics diagnose(const std::string& yaml, const std::string& name = "test.yaml") {
    mapping::Diagnostics d;
    mapping::Table::compile_string(yaml, name, {}, d);
    return d;
}

using Responder = std::function<core::Result<cmp::Response>(const cmp::Request&)>;

// Every CMP request a run made, in order.
struct Run {
    std::vector<cmp::Request> calls;
    std::vector<std::size_t> rounds;  // calls per Step
    std::size_t count(const std::string& function) const {
        std::size_t n = 0;
        for (const auto& c : calls) n += c.function == function;
        return n;
    }
};

template <class T>
cpe::Outcome<T> drive(cpe::Step<T> step, const Responder& respond, Run* run = nullptr) {
    int guard = 0;
    while (!step.done) {
        REQUIRE(++guard < 100);
        cpe::CallResults results;
        for (const auto& c : step.calls) {
            if (run) run->calls.push_back(c);
            results.push_back(respond(c));
        }
        if (run) run->rounds.push_back(step.calls.size());
        step = step.resume(std::move(results));
    }
    return std::move(*step.done);
}

template <class T>
T value(cpe::Outcome<T> o) {
    if (auto* f = std::get_if<cwmp::Fault>(&o)) FAIL(f->code << " " << f->string);
    return std::get<0>(std::move(o));
}

inline cwmp::Fault fault(auto o) {
    REQUIRE(std::holds_alternative<cwmp::Fault>(o));
    return std::get<cwmp::Fault>(std::move(o));
}

// A simulated gateway answering in-process (no I/O).
struct Sim {
    sim::GatewayModel model;
    std::uint64_t tx = 1;
    Sim() : model("GW-0001", std::chrono::steady_clock::time_point{}) {
        // Registered, so that its notifications are sent (take_outbox) rather than held.
        cmp::Request reg = model.make_registration();
        cmp::Response r = cmp::make_response(reg);
        r.fields.set("sessionId", "s-1").set("nonce", "00112233445566778899aabbccddeeff").set("keepAliveIntv", "300");
        model.on_response(r);
        model.take_outbox();
    }
    core::Result<cmp::Response> operator()(const cmp::Request& r) {
        cmp::Request req = r;
        req.header = {"GW-0001", std::to_string(tx++), "2024-11-25T10:00:00Z"};
        return model.handle(req);
    }
    Responder responder() {
        return [this](const cmp::Request& r) { return (*this)(r); };
    }
};

inline cmp::Response ok(const std::string& function, cmp::Record fields = {}) {
    cmp::Response r;
    r.function = function;
    r.fields = std::move(fields);
    return r;
}

inline cmp::Response failed(const std::string& function, int code, std::string msg = {}) {
    cmp::Response r;
    r.function = function;
    r.result_code = code;
    r.result_msg = std::move(msg);
    return r;
}

inline std::map<std::string, std::string> by_name(const std::vector<cwmp::ParameterValue>& v) {
    std::map<std::string, std::string> m;
    for (const auto& p : v) m[p.name] = p.value;
    return m;
}

}  // namespace mt
