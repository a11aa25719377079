// Forgeries at the listener: every one refused with 401 before any hook runs,
// logged with its verdict and never with a secret; the legacy SEED mode.
#include "tests/unit/cmp/listener_test_util.hpp"

#include "bridge/cmp/seed_cipher.hpp"

using namespace lt;
namespace rc = cmp::result_code;

namespace {

const std::string kSecret = "gw1-secret-never-logged-4f9a";
const std::string kOther = "gw2-secret-never-logged-77c1";

struct Bench {
    FakeHost host;
    cmp::Listener listener{host};
    Bench() {
        host.add("GW-0001", kSecret);
        host.add("GW-0002", kOther);
        host.add("GW-SEED", kSecret + "-seed", true);
    }
    // A registration signed as given, sent at `now`.
    http::Response send(const std::string& rg, const std::string& key, std::int64_t sign_ts, std::int64_t now,
                        const std::string& nonce = cmp::make_nonce()) {
        Gw gw{listener, {rg, key}};
        http::Request req = request(gw);
        req.set(cmp::kAuthHeader, cmp::sign(key, rg, "POST", kPath, req.body, sign_ts, nonce));
        return listener.handle(req, "203.0.113.5", now);
    }
    http::Request request(Gw& gw) {
        auto out = cmp::make_http_request(gw.msg("regRg", gw.registration()), kPath, cmp::PeerKeys{gw.keys.rg_id, ""},
                                          gw.now);
        REQUIRE(out);
        return out->http;
    }
};

void check_refused(const http::Response& res) {
    CHECK(res.status == 401);
    CHECK_FALSE(res.find(cmp::kAuthHeader));  // 401s are never signed
    auto fault = cmp::decode_response(res.body);
    REQUIRE(fault);
    CHECK(fault->result_code == rc::unauthorized);
    CHECK(fault->result_msg == "authentication failed");
}

}  // namespace

TEST_CASE("forged, replayed, stale, wrongly keyed and unsigned messages are refused and logged without secrets") {
    Bench b;
    StderrCapture log;

    // Wrong key (an attacker guessing), and another gateway's key.
    check_refused(b.send("GW-0001", "guessed-secret", kNow, kNow));
    check_refused(b.send("GW-0001", kOther, kNow, kNow));
    // Stale and future timestamps (window 300 s).
    check_refused(b.send("GW-0001", kSecret, kNow - 301, kNow));
    check_refused(b.send("GW-0001", kSecret, kNow + 301, kNow));
    // Replay of a message that was accepted once.
    const std::string nonce = cmp::make_nonce();
    CHECK(b.send("GW-0001", kSecret, kNow, kNow, nonce).status == 200);
    check_refused(b.send("GW-0001", kSecret, kNow, kNow + 1, nonce));
    // Unknown gateway.
    check_refused(b.send("GW-9999", kSecret, kNow, kNow));
    // Missing and malformed headers.
    Gw gw{b.listener, {"GW-0001", kSecret}};
    http::Request bare = b.request(gw);
    check_refused(b.listener.handle(bare, "203.0.113.5", kNow));
    http::Request garbled = b.request(gw);
    garbled.set(cmp::kAuthHeader, "rgId=\"GW-0001\", ts=\"1\", mac=\"" + kSecret + "\"");
    check_refused(b.listener.handle(garbled, "203.0.113.5", kNow));
    // Body changed after signing.
    http::Request tampered = b.request(gw);
    tampered.set(cmp::kAuthHeader, cmp::sign(kSecret, "GW-0001", "POST", kPath, tampered.body, kNow, cmp::make_nonce()));
    tampered.body.replace(tampered.body.find("SN-GW-0001"), 10, "SN-EVIL-01");
    check_refused(b.listener.handle(tampered, "203.0.113.5", kNow));
    // Signed by GW-0002 with its own key, but speaking for GW-0001 in the SOAP header.
    Gw impostor{b.listener, {"GW-0001", kOther}};
    http::Request spoof = b.request(impostor);
    spoof.set(cmp::kAuthHeader, cmp::sign(kOther, "GW-0002", "POST", kPath, spoof.body, kNow, cmp::make_nonce()));
    check_refused(b.listener.handle(spoof, "203.0.113.5", kNow));

    const std::string text = log.text();
    log.restore();
    for (const char* verdict : {"bad_mac", "stale", "replay", "unknown_gateway", "missing", "malformed"})
        CHECK_MESSAGE(text.find(verdict) != std::string::npos, verdict);
    CHECK(text.find("203.0.113.5") != std::string::npos);
    CHECK(text.find("X-CMP-Auth rgId 'GW-0002' but header rgId 'GW-0001'") != std::string::npos);
    CHECK(text.find(kSecret) == std::string::npos);
    CHECK(text.find(kOther) == std::string::npos);
    CHECK(text.find("mac=") == std::string::npos);  // headers are never echoed
    CHECK(b.host.registrations.empty());
    CHECK(b.listener.authenticated("GW-0001") == false);
}

TEST_CASE("legacy SEED gateway: encrypted both ways, no downgrade, no padding oracle") {
    REQUIRE(cmp::seed_available());
    Bench b;
    const std::string secret = kSecret + "-seed";
    Gw gw{b.listener, {"GW-SEED", secret, true}};

    http::Response raw;
    auto r = gw.call(gw.msg("regRg", gw.registration()), &raw);
    REQUIRE(r);  // decrypted and signature-checked by read_http_response
    CHECK(r->ok());
    CHECK(raw.find(cmp::kEncHeader));
    CHECK(*raw.find("Content-Type") == cmp::kLegacyContentType);
    CHECK(raw.body.find("regRgResponse") == std::string::npos);  // not readable on the wire
    gw.session = r->fields.get("sessionId");
    gw.nonce = r->fields.get("nonce");
    CHECK(gw.auth() == rc::success);

    StderrCapture log;
    // The same gateway sending plain text: refused (the mode is configured, not negotiated).
    Gw plain{b.listener, {"GW-SEED", secret, false}};
    auto out = cmp::make_http_request(plain.msg("regRg", plain.registration()), kPath, plain.keys, kNow);
    CHECK(b.listener.handle(out->http, "203.0.113.5", kNow).status == 415);
    // A plain gateway sending encrypted bodies.
    Gw enc{b.listener, {"GW-0001", kSecret, true}};
    out = cmp::make_http_request(enc.msg("regRg", enc.registration()), kPath, enc.keys, kNow);
    CHECK(b.listener.handle(out->http, "203.0.113.5", kNow).status == 415);
    // Correctly MACed garbage (only the key holder can make it): the same 401 as a bad MAC.
    out = cmp::make_http_request(gw.msg("regRg", gw.registration()), kPath, gw.keys, kNow);
    http::Request garbage = out->http;
    garbage.body = std::string(32, 'x');
    garbage.set(cmp::kAuthHeader, cmp::sign(secret, "GW-SEED", "POST", kPath, garbage.body, kNow, cmp::make_nonce()));
    http::Response refused = b.listener.handle(garbage, "203.0.113.5", kNow);
    check_refused(refused);
    http::Request forged = out->http;
    forged.set(cmp::kAuthHeader, cmp::sign("guess", "GW-SEED", "POST", kPath, forged.body, kNow, cmp::make_nonce()));
    http::Response refused2 = b.listener.handle(forged, "203.0.113.5", kNow);
    check_refused(refused2);
    CHECK(refused.body == refused2.body);
    const std::string text = log.text();
    log.restore();
    CHECK(text.find("plain message from a gateway in legacy SEED mode") != std::string::npos);
    CHECK(text.find(secret) == std::string::npos);
}

TEST_CASE("legacy mode needs X-CMP-Auth even where the deployment turned authentication off") {
    FakeHost host;
    host.add("GW-SEED", "seed-secret-0123456789", true);
    cmp::ListenerOptions o;
    o.require_auth = false;
    cmp::Listener listener(host, o);
    Gw gw{listener, {"GW-SEED", "seed-secret-0123456789", true}};
    auto out = cmp::make_http_request(gw.msg("regRg", gw.registration()), kPath, gw.keys, kNow);
    REQUIRE(out);
    http::Request unsigned_req = out->http;
    http::remove_header(unsigned_req.headers, cmp::kAuthHeader);
    CHECK(listener.handle(unsigned_req, "203.0.113.5", kNow).status == 401);
    CHECK(listener.handle(out->http, "203.0.113.5", kNow).status == 200);
}
