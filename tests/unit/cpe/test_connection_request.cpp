// The Connection Request decision (TR-069 3.2.2): Digest with per-CPE
// credentials, never a session without authentication, 503 while the gateway
// is offline or the CPE is rate-limited.
#include <doctest/doctest.h>

#include "bridge/cpe/connection_request.hpp"

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

struct Acs {
    http::ClientAuth auth;
    std::string user, pass;
    // Asks once without credentials, answers the challenge, sends the real request.
    http::Request authorized(cpe::ConnectionRequestGate& gate, const std::optional<cpe::CrTarget>& target,
                             std::string path, std::string method = "GET") {
        http::Request r;
        r.method = method;
        r.target = path;
        auto first = gate.decide(r, target, kNow);
        REQUIRE(first.response.status == 401);
        CHECK_FALSE(first.start_session);
        REQUIRE(auth.on_challenge(first.response, {user, pass}));
        r.set("Authorization", *auth.authorization(method, path));
        return r;
    }
};

http::DigestVerifierOptions opts() { return {"cmp-cwmp-bridge", "test-secret", 300, 64}; }

cpe::CrTarget target(bool online = true) { return {"GW-1", "cr-user", "cr-pw", online}; }

}  // namespace

TEST_CASE("an authenticated GET is answered 200 and starts a session") {
    cpe::ConnectionRequestGate gate(opts(), 6);
    Acs acs{{}, "cr-user", "cr-pw"};
    auto req = acs.authorized(gate, target(), "/tok");
    auto d = gate.decide(req, target(), kNow);
    CHECK(d.response.status == 200);
    CHECK(d.response.body.empty());
    CHECK(d.start_session);
    // The same Authorization again is a replay: refused, no session.
    auto replay = gate.decide(req, target(), kNow);
    CHECK(replay.response.status == 401);
    CHECK_FALSE(replay.start_session);
}

TEST_CASE("no session without authentication") {
    cpe::ConnectionRequestGate gate(opts(), 6);
    http::Request bare;
    bare.method = "GET";
    bare.target = "/tok";
    auto d = gate.decide(bare, target(), kNow);
    CHECK(d.response.status == 401);
    REQUIRE(d.response.find("WWW-Authenticate"));
    CHECK(d.response.find("WWW-Authenticate")->rfind("Digest ", 0) == 0);
    CHECK_FALSE(d.start_session);

    SUBCASE("wrong password") {
        Acs acs{{}, "cr-user", "wrong"};
        auto req = acs.authorized(gate, target(), "/tok");
        CHECK(gate.decide(req, target(), kNow).response.status == 401);
    }
    SUBCASE("wrong user") {
        Acs acs{{}, "someone", "cr-pw"};
        auto req = acs.authorized(gate, target(), "/tok");
        CHECK_FALSE(gate.decide(req, target(), kNow).start_session);
    }
    SUBCASE("unknown path: the same challenge, never a session") {
        Acs acs{{}, "cr-user", "cr-pw"};
        auto req = acs.authorized(gate, std::nullopt, "/other");
        auto u = gate.decide(req, std::nullopt, kNow);
        CHECK(u.response.status == 401);
        CHECK_FALSE(u.start_session);
    }
    SUBCASE("a digest computed for another path") {
        Acs acs{{}, "cr-user", "cr-pw"};
        auto req = acs.authorized(gate, target(), "/tok");
        req.target = "/tok2";
        CHECK(gate.decide(req, target(), kNow).response.status == 401);
    }
    SUBCASE("Basic credentials") {
        http::Request basic = bare;
        basic.set("Authorization", "Basic Y3ItdXNlcjpjci1wdw==");
        CHECK(gate.decide(basic, target(), kNow).response.status == 401);
    }
}

TEST_CASE("an expired nonce: 401 with stale=true and no session, then the fresh nonce works") {
    cpe::ConnectionRequestGate gate(opts(), 6);
    Acs acs{{}, "cr-user", "cr-pw"};
    auto req = acs.authorized(gate, target(), "/tok");
    // Right credentials, but the nonce is past its 300 s lifetime.
    auto late = gate.decide(req, target(), kNow + 301);
    CHECK(late.response.status == 401);
    CHECK_FALSE(late.start_session);
    REQUIRE(late.response.find("WWW-Authenticate"));
    CHECK(late.response.find("WWW-Authenticate")->find("stale=true") != std::string::npos);
    REQUIRE(acs.auth.on_challenge(late.response, {"cr-user", "cr-pw"}));
    CHECK(acs.auth.stale());
    http::Request again;
    again.method = "GET";
    again.target = "/tok";
    again.set("Authorization", *acs.auth.authorization("GET", "/tok"));
    auto ok = gate.decide(again, target(), kNow + 301);
    CHECK(ok.response.status == 200);
    CHECK(ok.start_session);
}

TEST_CASE("credentials changed by the ACS take effect") {
    cpe::ConnectionRequestGate gate(opts(), 6);
    auto t = target();
    t.password = "new-pw";
    Acs old_creds{{}, "cr-user", "cr-pw"};
    auto req = old_creds.authorized(gate, t, "/tok");
    CHECK(gate.decide(req, t, kNow).response.status == 401);
    Acs new_creds{{}, "cr-user", "new-pw"};
    auto req2 = new_creds.authorized(gate, t, "/tok");
    CHECK(gate.decide(req2, t, kNow).start_session);
}

TEST_CASE("only GET") {
    cpe::ConnectionRequestGate gate(opts(), 6);
    Acs acs{{}, "cr-user", "cr-pw"};
    auto req = acs.authorized(gate, target(), "/tok", "POST");
    auto d = gate.decide(req, target(), kNow);
    CHECK(d.response.status == 405);
    CHECK_FALSE(d.start_session);
}

TEST_CASE("503 while the gateway is offline") {
    cpe::ConnectionRequestGate gate(opts(), 6);
    Acs acs{{}, "cr-user", "cr-pw"};
    auto req = acs.authorized(gate, target(false), "/tok");
    auto d = gate.decide(req, target(false), kNow);
    CHECK(d.response.status == 503);
    CHECK_FALSE(d.start_session);
}

TEST_CASE("503 with Retry-After beyond max_per_minute") {
    cpe::ConnectionRequestGate gate(opts(), 2);
    Acs acs{{}, "cr-user", "cr-pw"};
    auto t0 = std::chrono::steady_clock::now();
    auto one = [&](std::chrono::steady_clock::time_point at) {
        http::Request r;
        r.method = "GET";
        r.target = "/tok";
        if (acs.auth.scheme() == http::ClientAuth::Scheme::none) r = acs.authorized(gate, target(), "/tok");
        else r.set("Authorization", *acs.auth.authorization("GET", "/tok"));
        return gate.decide(r, target(), kNow, at);
    };
    CHECK(one(t0).start_session);
    CHECK(one(t0 + std::chrono::seconds(10)).start_session);
    auto limited = one(t0 + std::chrono::seconds(20));
    CHECK(limited.response.status == 503);
    CHECK_FALSE(limited.start_session);
    REQUIRE(limited.response.find("Retry-After"));
    CHECK(*limited.response.find("Retry-After") == "40");
    // Another CPE has its own budget.
    auto other = target();
    other.id = "GW-2";
    http::Request r;
    r.method = "GET";
    r.target = "/tok";
    r.set("Authorization", *acs.auth.authorization("GET", "/tok"));
    CHECK(gate.decide(r, other, kNow, t0 + std::chrono::seconds(20)).start_session);
    CHECK(one(t0 + std::chrono::seconds(61)).start_session);
}

TEST_CASE("target_path drops the query") {
    CHECK(cpe::target_path("/tok?x=1") == "/tok");
    CHECK(cpe::target_path("/tok") == "/tok");
}
