#pragma once
// Helpers shared by the simulator model tests.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/cmp/message_auth.hpp"
#include "examples/cmp-gateway-sim/gateway_model.hpp"

namespace simtest {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline cmp::Record rec(std::initializer_list<std::pair<const char*, std::string>> kv) {
    cmp::Record r;
    for (const auto& [k, v] : kv) r.set(k, v);
    return r;
}

// A gateway and its clock.
struct Bench {
    explicit Bench(std::string id = "GW-0001", sim::ModelOptions o = {}, sim::Seed s = {})
        : gw(std::move(id), Clock::time_point{}, std::move(o), std::move(s)) {}

    sim::GatewayModel gw;
    Clock::time_point now{};
    int tx = 0;

    void run(std::chrono::seconds d) {
        now += d;
        gw.advance_to(now);
    }

    cmp::Response call(const std::string& fn, cmp::Record args = {}) {
        cmp::Request q;
        q.header = {gw.id(), "hx-" + std::to_string(++tx), "2024-11-25T10:20:00Z"};
        q.function = fn;
        q.args = std::move(args);
        return gw.handle(q);
    }

    // Completes a registration as HOMS would, and drops the messages it produces.
    void register_now(std::string keepalive = "300") {
        cmp::Request reg = gw.make_registration();
        cmp::Response r = cmp::make_response(reg);
        r.fields.set("sessionId", "sess-1").set("nonce", "00112233445566778899aabbccddeeff");
        r.fields.set("keepAliveIntv", std::move(keepalive));
        gw.on_response(r);
    }

    std::vector<cmp::Request> outbox_of(const std::string& fn) {
        std::vector<cmp::Request> out;
        for (auto& m : gw.take_outbox())
            if (m.function == fn) out.push_back(std::move(m));
        return out;
    }

    const sim::HomeDevice& device_of_type(const std::string& type_fragment) const {
        for (const auto& d : gw.home().devices())
            if (d.device_type.find(type_fragment) != std::string::npos) return d;
        FAIL("no device of type " << type_fragment);
        return gw.home().devices().front();
    }
};

// Every gateway -> HOMS message must be valid CMP and survive the wire.
inline void check_outgoing(const cmp::Request& m) {
    const auto& cat = cmp::Catalogue::builtin();
    auto st = cat.validate(m);
    CHECK_MESSAGE(st, m.function << ": " << (st ? "" : st.error().message));
    const cmp::FunctionSpec* spec = cat.find(m.function);
    REQUIRE(spec);
    CHECK(spec->direction == cmp::Direction::from_gateway);
    auto back = cmp::decode_request(cmp::encode(m), {}, &cat);
    REQUIRE(back);
    CHECK(*back == m);
}

}  // namespace simtest
