// cpe::SessionAnswers with a fake clock: a read asked again within the window
// is answered from memory; after it, with other arguments, after a failure or
// after anything that may have changed the gateway, it goes to the gateway.
#include <doctest/doctest.h>

#include "bridge/cpe/session_answers.hpp"

using namespace std::chrono_literals;
using cpe::SessionAnswers;

namespace {

const SessionAnswers::Clock::time_point t0{std::chrono::hours(1)};

cmp::Request request(std::string function, cmp::Record args = {}) {
    cmp::Request r;
    r.function = std::move(function);
    r.args = std::move(args);
    return r;
}

cmp::Response answer(const std::string& function, std::string serial, int code = cmp::result_code::success) {
    cmp::Response r;
    r.function = function;
    r.result_code = code;
    r.fields.set("serialNumber", std::move(serial));
    return r;
}

// Sends and keeps in one go, as the driver does for a call that reached the gateway.
void call(SessionAnswers& a, const cmp::Request& req, const core::Result<cmp::Response>& res,
          SessionAnswers::Clock::time_point now) {
    auto ticket = a.sending(req);
    a.keep(req, res, ticket, now);
}

}  // namespace

TEST_CASE("a read asked again within the window is answered from memory, not after it") {
    SessionAnswers a(cmp::Catalogue::builtin(), 2000ms);
    const auto info = request("getRgInfo");
    CHECK(a.find(info, t0) == nullptr);
    call(a, info, answer("getRgInfo", "SN-1"), t0);
    const cmp::Response* hit = a.find(info, t0 + 5ms);
    REQUIRE(hit != nullptr);
    CHECK(hit->fields.get("serialNumber") == "SN-1");
    CHECK(a.find(info, t0 + 2000ms) != nullptr);  // the window's last instant
    CHECK(a.find(info, t0 + 2001ms) == nullptr);
    // The header is the transport's: another transactionId is the same read.
    auto again = info;
    again.header = {"GW-1", "77", "2026-12-03T22:00:00Z"};
    CHECK(a.find(again, t0 + 1ms) != nullptr);
}

TEST_CASE("a window of 0 keeps nothing") {
    SessionAnswers a(cmp::Catalogue::builtin(), 0ms);
    const auto info = request("getRgInfo");
    call(a, info, answer("getRgInfo", "SN-1"), t0);
    CHECK(a.find(info, t0) == nullptr);
    CHECK(a.size() == 0);
}

TEST_CASE("the same function with other arguments is another read") {
    SessionAnswers a(cmp::Catalogue::builtin(), 2000ms);
    cmp::Record wan1, wan2;
    wan1.set("devId", "1");
    wan2.set("devId", "2");
    call(a, request("getHomeDevState", wan1), answer("getHomeDevState", "w1"), t0);
    CHECK(a.find(request("getHomeDevState", wan2), t0 + 1ms) == nullptr);
    CHECK(a.find(request("getHomeDevState"), t0 + 1ms) == nullptr);
    REQUIRE(a.find(request("getHomeDevState", wan1), t0 + 1ms) != nullptr);
    // A newer answer to the same read replaces the older one.
    call(a, request("getHomeDevState", wan1), answer("getHomeDevState", "w1-new"), t0 + 1500ms);
    CHECK(a.size() == 1);
    REQUIRE(a.find(request("getHomeDevState", wan1), t0 + 3000ms) != nullptr);
    CHECK(a.find(request("getHomeDevState", wan1), t0 + 3000ms)->fields.get("serialNumber") == "w1-new");
}

TEST_CASE("a failed answer is not kept: a gateway error or a transport error") {
    SessionAnswers a(cmp::Catalogue::builtin(), 2000ms);
    const auto info = request("getRgInfo");
    call(a, info, answer("getRgInfo", "", cmp::result_code::busy), t0);
    CHECK(a.find(info, t0 + 1ms) == nullptr);
    call(a, info, core::Result<cmp::Response>(core::make_error("net.timeout", "no answer")), t0);
    CHECK(a.find(info, t0 + 1ms) == nullptr);
    CHECK(a.size() == 0);
}

TEST_CASE("a call that is not a read forgets every answer, at once and when it is answered") {
    SessionAnswers a(cmp::Catalogue::builtin(), 2000ms);
    const auto info = request("getRgInfo"), net = request("getRgNetInfo");
    call(a, info, answer("getRgInfo", "SN-1"), t0);
    call(a, net, answer("getRgNetInfo", "n"), t0);
    REQUIRE(a.size() == 2);
    cmp::Record ntp;
    ntp.set("ntpServer1", "ntp.example.net");
    const auto set = request("setRgTime", ntp);
    auto ticket = a.sending(set);
    CHECK(a.find(info, t0 + 1ms) == nullptr);
    CHECK(a.find(net, t0 + 1ms) == nullptr);
    // A read answered while the set was under way may predate the change.
    call(a, info, answer("getRgInfo", "SN-2"), t0 + 1ms);
    a.keep(set, answer("setRgTime", ""), ticket, t0 + 2ms);
    CHECK(a.find(info, t0 + 3ms) == nullptr);
    // A function the catalogue does not know is not a read either.
    call(a, info, answer("getRgInfo", "SN-3"), t0 + 4ms);
    REQUIRE(a.find(info, t0 + 5ms) != nullptr);
    call(a, request("someVendorThing"), answer("someVendorThing", ""), t0 + 5ms);
    CHECK(a.find(info, t0 + 6ms) == nullptr);
}

TEST_CASE("a read sent before a forget is not kept when its answer comes after it") {
    SessionAnswers a(cmp::Catalogue::builtin(), 2000ms);
    const auto info = request("getRgInfo");
    auto ticket = a.sending(info);
    a.forget();  // a value-change event arrived while the read was on its way
    a.keep(info, answer("getRgInfo", "SN-old"), ticket, t0);
    CHECK(a.find(info, t0 + 1ms) == nullptr);
}

TEST_CASE("forget() forgets") {
    SessionAnswers a(cmp::Catalogue::builtin(), 2000ms);
    const auto info = request("getRgInfo");
    call(a, info, answer("getRgInfo", "SN-1"), t0);
    REQUIRE(a.find(info, t0) != nullptr);
    a.forget();
    CHECK(a.find(info, t0) == nullptr);
    CHECK(a.size() == 0);
}

TEST_CASE("at most kMaxAnswers are kept, the oldest goes first") {
    SessionAnswers a(cmp::Catalogue::builtin(), 2000ms);
    for (std::size_t i = 0; i <= SessionAnswers::kMaxAnswers; ++i) {
        cmp::Record idx;
        idx.set("devId", std::to_string(i));
        call(a, request("getHomeDevState", idx), answer("getHomeDevState", "w"), t0);
    }
    CHECK(a.size() == SessionAnswers::kMaxAnswers);
    cmp::Record first, last;
    first.set("devId", "0");
    last.set("devId", std::to_string(SessionAnswers::kMaxAnswers));
    CHECK(a.find(request("getHomeDevState", first), t0) == nullptr);
    CHECK(a.find(request("getHomeDevState", last), t0) != nullptr);
}
