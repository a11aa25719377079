// The CMP listener driven with crafted HTTP requests: the session protocol,
// validation, SOAP Faults, and the hooks it calls on the host.
#include "tests/unit/cmp/listener_test_util.hpp"

using namespace lt;
namespace rc = cmp::result_code;

TEST_CASE_FIXTURE(OneGateway, "registration, authentication, keep-alive, notification, deregistration") {

    http::Response raw;
    auto r = gw.call(gw.msg("regRg", gw.registration()), &raw);
    REQUIRE(r);  // read_http_response verified the response signature
    CHECK(raw.status == 200);
    CHECK(raw.find(cmp::kAuthHeader));
    CHECK(r->ok());
    CHECK(r->header.rg_id == "GW-0001");
    CHECK(r->header.transaction_id == "t1");
    CHECK(r->fields.get("keepAliveIntv") == "300");
    CHECK(r->fields.get("nonce").size() == 32);
    gw.session = r->fields.get("sessionId");
    gw.nonce = r->fields.get("nonce");
    CHECK(host.registrations.empty());  // not before authRg
    CHECK_FALSE(listener.authenticated("GW-0001"));

    CHECK(gw.auth() == rc::success);
    REQUIRE(host.registrations.size() == 1);
    CHECK(host.registrations[0].rg_id == "GW-0001");
    CHECK(host.registrations[0].enrolled);
    CHECK(host.registrations[0].rebooted);
    CHECK(host.registrations[0].info.get("serialNumber") == "SN-GW-0001");
    CHECK(listener.authenticated("GW-0001"));
    CHECK(gw.auth() == rc::unauthorized);  // the nonce is single-use

    CHECK(gw.keepalive() == rc::success);
    CHECK(host.alive_calls.size() == 1);
    CHECK(gw.join() == rc::success);
    REQUIRE(host.notifications.size() == 1);
    CHECK(host.notifications[0].function == "notifyHomeDevJoin");
    host.notification_code = rc::general_failure;
    CHECK(gw.join() == rc::general_failure);  // the host's verdict is the answer

    cmp::Record bye;
    bye.set("rgId", "GW-0001").set("reason", "reboot");
    CHECK(gw.call(gw.msg("deregRg", bye))->result_code == rc::success);
    REQUIRE(host.gone_calls.size() == 1);
    CHECK(host.gone_calls[0] == "GW-0001:reboot");
    CHECK_FALSE(listener.authenticated("GW-0001"));
    CHECK(gw.join() == rc::unauthorized);
    CHECK(gw.keepalive() == rc::unauthorized);
}

TEST_CASE_FIXTURE(OneGateway, "nothing but regRg/authRg before authentication; wrong digest closes the session") {
    CHECK(gw.join() == rc::unauthorized);
    CHECK(host.notifications.empty());
    REQUIRE(gw.reg() == rc::success);
    CHECK(gw.keepalive() == rc::unauthorized);  // session not proven yet
    StderrCapture log;
    std::string forged = cmp::auth_digest("wrong-secret", gw.nonce, "GW-0001", gw.session);
    CHECK(gw.auth(forged) == rc::unauthorized);
    CHECK(gw.auth() == rc::unauthorized);  // the session is gone
    std::string text = log.text();
    log.restore();
    CHECK(text.find("wrong authDigest") != std::string::npos);
    CHECK(text.find(forged) == std::string::npos);
    CHECK(host.registrations.empty());
    // A fresh registration works.
    REQUIRE(gw.reg() == rc::success);
    CHECK(gw.auth() == rc::success);
    CHECK(host.registrations.size() == 1);
}

TEST_CASE_FIXTURE(OneGateway, "registration refused by the host, and an expired registration") {
    host.refuse_registration = true;
    REQUIRE(gw.reg() == rc::success);
    CHECK(gw.auth() == rc::unauthorized);
    CHECK_FALSE(listener.authenticated("GW-0001"));
    host.refuse_registration = false;
    REQUIRE(gw.reg() == rc::success);
    gw.now += 121;  // authRg must follow within two minutes
    CHECK(gw.auth() == rc::unauthorized);
}

TEST_CASE_FIXTURE(OneGateway, "keep-alive timeout: gone; the re-registration that follows is not a reboot") {
    REQUIRE(gw.reg() == rc::success);
    REQUIRE(gw.auth() == rc::success);
    listener.expire(gw.now + 900);  // exactly three intervals: still fine
    CHECK(host.gone_calls.empty());
    listener.expire(gw.now + 901);
    REQUIRE(host.gone_calls.size() == 1);
    CHECK(host.gone_calls[0] == "GW-0001:keep-alive timeout");
    gw.now += 902;
    CHECK(gw.keepalive() == rc::unauthorized);
    REQUIRE(gw.reg() == rc::success);
    REQUIRE(gw.auth() == rc::success);
    REQUIRE(host.registrations.size() == 2);
    CHECK_FALSE(host.registrations[1].rebooted);
    // Registering again over a live session: the gateway restarted.
    REQUIRE(gw.reg() == rc::success);
    REQUIRE(gw.auth() == rc::success);
    CHECK(host.registrations[2].rebooted);
}

TEST_CASE_FIXTURE(OneGateway, "a bridge that lost the session (restart): keep-alive refused, no BOOT on re-registration") {
    gw.session = "s-from-the-previous-bridge";
    CHECK(gw.keepalive() == rc::unauthorized);
    REQUIRE(gw.reg() == rc::success);
    REQUIRE(gw.auth() == rc::success);
    REQUIRE(host.registrations.size() == 1);
    CHECK_FALSE(host.registrations[0].rebooted);
}

TEST_CASE_FIXTURE(OneGateway, "validation: resultCode 2 and 3, SOAPAction mismatch and malformed XML as SOAP Faults") {

    cmp::Record missing = gw.registration();
    missing.erase("serialNumber");
    CHECK(gw.call(gw.msg("regRg", missing))->result_code == rc::invalid_argument);
    cmp::Record other = gw.registration();
    other.set("rgId", "GW-0002");  // body rgId must repeat the header's
    CHECK(gw.call(gw.msg("regRg", other))->result_code == rc::invalid_argument);
    cmp::Record extra = gw.registration();
    extra.set("bogus", "1");
    CHECK(gw.call(gw.msg("regRg", extra))->result_code == rc::invalid_argument);
    cmp::Record bad_type;
    bad_type.set("rgId", "GW-0001").set("sessionId", "s").set("upTime", "soon");
    CHECK(gw.call(gw.msg("keepAliveRg", bad_type))->result_code == rc::invalid_argument);
    CHECK(gw.call(gw.msg("getRgInfo"))->result_code == rc::unknown_function);  // HOMS -> gateway only
    CHECK(gw.call(gw.msg("noSuchFunction"))->result_code == rc::unknown_function);

    // SOAPAction naming another function than the body.
    auto out = cmp::make_http_request(gw.msg("regRg", gw.registration()), kPath, gw.keys, gw.now);
    REQUIRE(out);
    out->http.set("SOAPAction", cmp::soap_action("deregRg"));
    http::Response res = listener.handle(out->http, "192.0.2.7", gw.now);
    CHECK(res.status == 500);
    auto fault = cmp::read_http_response(res, kPath, gw.keys, out->nonce, gw.now, "regRg");
    REQUIRE(fault);
    CHECK(fault->result_code == rc::malformed_message);

    // Not XML at all, but properly signed: a signed Fault with the CMP detail.
    http::Request junk = out->http;
    junk.body = "<not-closed";
    junk.set("SOAPAction", cmp::soap_action("regRg"));
    std::string nonce = cmp::make_nonce();
    junk.set(cmp::kAuthHeader, cmp::sign(gw.keys.secret, "GW-0001", "POST", kPath, junk.body, gw.now, nonce));
    res = listener.handle(junk, "192.0.2.7", gw.now);
    CHECK(res.status == 500);
    CHECK(res.body.find("CMPFault") != std::string::npos);
    auto decoded = cmp::read_http_response(res, kPath, gw.keys, nonce, gw.now, "regRg");
    REQUIRE(decoded);
    CHECK(decoded->result_code == rc::malformed_message);
    CHECK(host.registrations.empty());
}

TEST_CASE_FIXTURE(OneGateway, "HTTP-level refusals: method and Content-Type") {
    auto out = cmp::make_http_request(gw.msg("regRg", gw.registration()), kPath, gw.keys, gw.now);
    REQUIRE(out);
    http::Request get = out->http;
    get.method = "GET";
    http::Response res = listener.handle(get, "192.0.2.7", gw.now);
    CHECK(res.status == 405);
    CHECK(*res.find("Allow") == "POST");
    http::Request json = out->http;
    json.set("Content-Type", "application/json");
    CHECK(listener.handle(json, "192.0.2.7", gw.now).status == 415);
    http::Request upper = out->http;
    upper.set("Content-Type", "TEXT/XML; Charset=UTF-8");  // media types are case-insensitive
    CHECK(listener.handle(upper, "192.0.2.7", gw.now).status == 200);
}

TEST_CASE("self-registration: an enrollable gateway registers with its own control URL") {
    FakeHost host;
    host.enrollable["GW-0042"] = "derived-secret-0123456789";
    cmp::Listener listener(host);
    Gw gw{listener, {"GW-0042", "derived-secret-0123456789"}};
    CHECK(gw.join() == rc::unauthorized);
    CHECK(gw.reg("ftp://192.0.2.9/cmp") == rc::invalid_argument);
    CHECK(gw.reg("not a url") == rc::invalid_argument);
    REQUIRE(gw.reg("https://192.0.2.9:7548/cmp/GW-0042") == rc::success);
    REQUIRE(gw.auth() == rc::success);
    REQUIRE(host.registrations.size() == 1);
    CHECK_FALSE(host.registrations[0].enrolled);
    CHECK(host.registrations[0].info.get("rgCtrlUrl") == "https://192.0.2.9:7548/cmp/GW-0042");
}

TEST_CASE("laboratory mode: unsigned messages accepted when auth is off, answers unsigned") {
    FakeHost host;
    host.add("GW-0001", "");
    cmp::ListenerOptions o;
    o.require_auth = false;
    cmp::Listener listener(host, o);
    Gw gw{listener, {"GW-0001", ""}};
    http::Response raw;
    auto r = gw.call(gw.msg("regRg", gw.registration()), &raw);
    REQUIRE(r);
    CHECK(r->ok());
    CHECK_FALSE(raw.find(cmp::kAuthHeader));
    gw.session = r->fields.get("sessionId");
    gw.nonce = r->fields.get("nonce");
    CHECK(gw.auth() == rc::success);
    // Unknown gateways still get nothing.
    Gw stranger{listener, {"GW-9999", ""}};
    CHECK(stranger.reg() == rc::unauthorized);
}

TEST_CASE("size and depth limits: a signed message beyond them is a SOAP Fault, never reaches the host") {
    cmp::ListenerOptions o;
    o.limits.max_bytes = 4096;
    o.limits.max_depth = 16;
    OneGateway t(o);
    auto& [host, listener, gw] = t;
    auto out = cmp::make_http_request(gw.msg("regRg", gw.registration()), kPath, gw.keys, gw.now);
    REQUIRE(out);
    const std::string good = out->http.body;
    const auto field = good.find("<serialNumber>");
    REQUIRE(field != std::string::npos);

    auto send = [&](std::string body) {
        http::Request req = out->http;
        req.body = std::move(body);
        const std::string nonce = cmp::make_nonce();
        req.set(cmp::kAuthHeader, cmp::sign(gw.keys.secret, "GW-0001", "POST", kPath, req.body, gw.now, nonce));
        http::Response res = listener.handle(req, "192.0.2.7", gw.now);
        CHECK(res.status == 500);
        auto fault = cmp::read_http_response(res, kPath, gw.keys, nonce, gw.now, "regRg");
        REQUIRE(fault);
        CHECK(fault->result_code == rc::malformed_message);
        return fault->result_msg;
    };
    std::string nested;
    for (int i = 0; i < 20; ++i) nested = "<x>" + nested + "</x>";
    std::string deep = good;
    deep.insert(field, nested);
    CHECK(send(deep).find("nesting") != std::string::npos);
    std::string big = good;
    big.insert(field, "<!-- " + std::string(5000, 'p') + " -->");
    CHECK(send(big).find("bytes") != std::string::npos);
    CHECK(host.registrations.empty());
    // Within the limits the same message is served.
    CHECK(gw.reg() == rc::success);
}

// Issue 11: enrolling a new gateway writes the registry (fsync) and creates a
// CPE; the listener hands it back so none of that runs under its lock, and
// answers the authRg only once the host decided.
TEST_CASE("self-registration deferred: other gateways are served meanwhile, the answer waits for the verdict") {
    FakeHost host;
    host.defer = true;
    cmp::Listener listener(host);
    Gw newcomer{listener, {"GW-NEW1", "derived-secret-0123456789"}};
    host.enrollable["GW-NEW1"] = newcomer.keys.secret;
    Gw known{listener, {"GW-0001", "s3cret-one-0123456789"}};
    host.add("GW-0001", known.keys.secret);

    // The authRg of the newcomer, in two phases.
    auto start_auth = [&](Gw& gw) {
        REQUIRE(gw.reg() == rc::success);
        cmp::Record a;
        a.set("rgId", gw.keys.rg_id).set("sessionId", gw.session)
            .set("authDigest", cmp::auth_digest(gw.keys.secret, gw.nonce, gw.keys.rg_id, gw.session));
        auto out = cmp::make_http_request(gw.msg("authRg", a), kPath, gw.keys, gw.now);
        REQUIRE(out);
        return std::make_pair(listener.process(out->http, "192.0.2.8", gw.now), out->nonce);
    };
    auto read = [&](Gw& gw, const http::Response& res, const std::string& nonce) {
        auto r = cmp::read_http_response(res, kPath, gw.keys, nonce, gw.now, "authRg");
        REQUIRE(r);  // signed with the authRg's nonce, like any answer
        return r->result_code;
    };

    SUBCASE("enrolled") {
        auto [outcome, nonce] = start_auth(newcomer);
        REQUIRE(outcome.pending);
        CHECK(outcome.pending->registration.rg_id == "GW-NEW1");
        CHECK_FALSE(outcome.pending->registration.enrolled);
        CHECK(host.registrations.empty());  // registered() is not called for a deferred enrollment
        // While the host enrolls it: the listener serves everyone else ...
        CHECK(known.reg() == rc::success);
        CHECK(known.auth() == rc::success);
        CHECK(known.keepalive() == rc::success);
        // ... and the newcomer is not authenticated yet: its notifications wait.
        CHECK_FALSE(listener.authenticated("GW-NEW1"));
        CHECK(newcomer.join() == rc::unauthorized);
        CHECK(read(newcomer, listener.finish(*outcome.pending, true, newcomer.now), nonce) == rc::success);
        CHECK(listener.authenticated("GW-NEW1"));
        CHECK(newcomer.keepalive() == rc::success);
        CHECK(newcomer.join() == rc::success);
    }
    SUBCASE("refused by the host") {
        auto [outcome, nonce] = start_auth(newcomer);
        REQUIRE(outcome.pending);
        CHECK(read(newcomer, listener.finish(*outcome.pending, false, newcomer.now), nonce) == rc::unauthorized);
        CHECK_FALSE(listener.authenticated("GW-NEW1"));
        CHECK(newcomer.keepalive() == rc::unauthorized);
    }
    SUBCASE("a new regRg while enrolling supersedes it") {
        auto [outcome, nonce] = start_auth(newcomer);
        REQUIRE(outcome.pending);
        const std::string first_session = newcomer.session;
        REQUIRE(newcomer.reg() == rc::success);
        CHECK(newcomer.session != first_session);
        CHECK(read(newcomer, listener.finish(*outcome.pending, true, newcomer.now), nonce) == rc::unauthorized);
        CHECK(newcomer.auth() == rc::unauthorized);  // the listener's handle() never leaves a deferral unanswered
    }
}
