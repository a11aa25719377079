// CPE -> ACS authentication and the ACS -> CPE Connection Request client.
#include <doctest/doctest.h>

#include "bridge/acs/connection_request.hpp"
#include "bridge/acs/cpe_auth.hpp"
#include "bridge/http/encoding.hpp"

namespace {

constexpr std::int64_t kNow = 1'800'000'000;

std::shared_ptr<acs::CredentialTable> table() {
    auto t = std::make_shared<acs::CredentialTable>();
    REQUIRE(t->set_default({{"cpe", "shared-secret"}, {"cr", "cr-secret"}}));
    REQUIRE(t->add("00D09E-RG-SN1", {{"sn1", "own-secret"}, {"sn1-cr", "sn1-cr-secret"}}));
    return t;
}

http::Request inform_head() {
    http::Request r;
    r.method = "POST";
    r.target = "/acs";
    return r;
}

// What a CPE sends after the challenge.
http::Request answered(acs::CpeAuthenticator& auth, http::Credentials creds) {
    http::ClientAuth client;
    REQUIRE(client.on_challenge(auth.challenge(kNow), std::move(creds)));
    http::Request r = inform_head();
    auto authz = client.authorization("POST", "/acs");
    REQUIRE(authz);
    r.set("Authorization", *authz);
    return r;
}

}  // namespace

TEST_CASE("per-CPE credentials claim only their CPE; the default pair only CPEs without their own") {
    auto t = table();
    CHECK(t->may_claim("sn1", "00D09E-RG-SN1"));
    CHECK_FALSE(t->may_claim("cpe", "00D09E-RG-SN1"));
    CHECK(t->may_claim("cpe", "00D09E-RG-SN2"));
    CHECK_FALSE(t->may_claim("sn1", "00D09E-RG-SN2"));
    CHECK(t->connection_request("00D09E-RG-SN1").username == "sn1-cr");
    CHECK(t->connection_request("00D09E-RG-SN2").username == "cr");
    CHECK(t->password_for("sn1") == "own-secret");
    CHECK_FALSE(t->password_for("nobody"));
    auto clash = t->add("other", {{"sn1", "different"}, {}});
    REQUIRE_FALSE(clash);
    CHECK(clash.error().code == "acs.credentials");
}

TEST_CASE("Digest from the CPE: right, wrong, replayed, missing; Basic only when allowed") {
    acs::CpeAuthenticator auth(table(), {{"acs-test", "fixed-secret", 300, 64}, false});
    auto ok = auth.check(answered(auth, {"sn1", "own-secret"}), kNow);
    CHECK(ok.verdict == http::Verdict::ok);
    CHECK(ok.username == "sn1");

    auto replay = answered(auth, {"cpe", "shared-secret"});
    CHECK(auth.check(replay, kNow).verdict == http::Verdict::ok);
    CHECK(auth.check(replay, kNow).verdict == http::Verdict::bad);

    CHECK(auth.check(answered(auth, {"sn1", "wrong"}), kNow).verdict == http::Verdict::bad);
    CHECK(auth.check(inform_head(), kNow).verdict == http::Verdict::missing);
    CHECK(auth.check(answered(auth, {"cpe", "shared-secret"}), kNow + 3600).verdict == http::Verdict::stale);

    http::Request basic = inform_head();
    basic.set("Authorization", "Basic " + http::base64_encode("cpe:shared-secret"));
    CHECK(auth.check(basic, kNow).verdict == http::Verdict::bad);
    auto challenge = auth.challenge(kNow);
    CHECK(challenge.status == 401);
    CHECK(challenge.find_all("WWW-Authenticate").size() == 1);

    acs::CpeAuthenticator with_basic(table(), {{"acs-test", "fixed-secret", 300, 64}, true});
    auto b = with_basic.check(basic, kNow);
    CHECK(b.verdict == http::Verdict::ok);
    CHECK(b.username == "cpe");
    CHECK(with_basic.challenge(kNow).find_all("WWW-Authenticate").size() == 2);
}

TEST_CASE("Connection Request: 401 with Digest, then 200") {
    // The CPE's side of it: the project's own Connection Request verifier.
    http::DigestVerifier cpe({"cpe-realm", "k", 300, 16});
    auto lookup = [](std::string_view user) -> std::optional<std::string> {
        if (user == "cr") return std::string("cr-secret");
        return std::nullopt;
    };
    acs::ConnectionRequestClient client(*http::Url::parse("http://10.0.0.7:7547/cr/path"), {"cr", "cr-secret"});
    auto step = client.start();
    REQUIRE(step.kind == acs::ConnectionRequestClient::Step::Kind::send);
    CHECK(step.request.method == "GET");
    CHECK(step.request.target == "/cr/path");
    CHECK_FALSE(step.request.find("Authorization"));

    http::Response challenge;
    challenge.status = 401;
    challenge.headers.push_back({"WWW-Authenticate", cpe.challenge_at(kNow)});
    step = client.on_response(challenge);
    REQUIRE(step.kind == acs::ConnectionRequestClient::Step::Kind::send);
    const std::string* authz = step.request.find("Authorization");
    REQUIRE(authz);
    CHECK(cpe.verify(*authz, "GET", "/cr/path", lookup, kNow) == http::Verdict::ok);

    http::Response ok;
    ok.status = 200;
    CHECK(client.on_response(ok).kind == acs::ConnectionRequestClient::Step::Kind::done);
}

TEST_CASE("Connection Request failures: rejected credentials, none configured, other statuses") {
    http::Response challenge;
    challenge.status = 401;
    challenge.headers.push_back({"WWW-Authenticate", R"(Digest realm="r", nonce="n", qop="auth")"});
    acs::ConnectionRequestClient wrong(*http::Url::parse("http://10.0.0.7:7547/"), {"cr", "bad"}, 2);
    wrong.start();
    CHECK(wrong.on_response(challenge).kind == acs::ConnectionRequestClient::Step::Kind::send);
    CHECK(wrong.on_response(challenge).kind == acs::ConnectionRequestClient::Step::Kind::send);
    auto gave_up = wrong.on_response(challenge);
    CHECK(gave_up.kind == acs::ConnectionRequestClient::Step::Kind::failed);
    CHECK(gave_up.error.find("bad") == std::string::npos);

    acs::ConnectionRequestClient none(*http::Url::parse("http://10.0.0.7:7547/"), {});
    none.start();
    CHECK(none.on_response(challenge).kind == acs::ConnectionRequestClient::Step::Kind::failed);

    acs::ConnectionRequestClient busy(*http::Url::parse("http://10.0.0.7:7547/"), {"cr", "x"});
    busy.start();
    http::Response r503;
    r503.status = 503;
    CHECK(busy.on_response(r503).kind == acs::ConnectionRequestClient::Step::Kind::failed);
}
