#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "bridge/cmp/message_auth.hpp"

using namespace cmp;

namespace {

const std::string kBody = "<s:Envelope>...</s:Envelope>";
const std::int64_t kNow = 1732530000;

SecretLookup secrets() {
    static const std::map<std::string, std::string, std::less<>> table = {{"GW-0001", "s3cret-one"},
                                                                         {"GW-0002", "s3cret-two"}};
    return [](std::string_view id) -> std::optional<std::string> {
        auto it = table.find(id);
        if (it == table.end()) return std::nullopt;
        return it->second;
    };
}

std::string nonce(int n) {
    std::string s = "00112233445566778899aabbccdd";
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x", n);
    return s + buf;
}

}  // namespace

TEST_CASE("string to sign and a known-answer MAC") {
    std::string sts = auth_string_to_sign("POST", "/cmp", 1732530000, "0123456789abcdef", "");
    CHECK(sts == "POST\n/cmp\n1732530000\n0123456789abcdef\n"
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // openssl: printf 'POST\n/cmp\n1732530000\n0123456789abcdef\ne3b0...b855' | openssl dgst -sha256 -hmac key -binary | base64
    std::string h = sign("key", "GW-0001", "POST", "/cmp", "", 1732530000, "0123456789abcdef");
    CHECK(h.rfind("rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"0123456789abcdef\", mac=\"", 0) == 0);
    CHECK(h == "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"0123456789abcdef\", mac=\"y+wPPPne076k7psv2K1pjmp/5cvRHoK2l9ZyFF5hH0E=\"");
}

// Each thread keeps one HMAC context, re-keyed per message: a key must never carry over to the
// next message, not even to one with an empty key (a null key pointer would have kept it).
TEST_CASE("known-answer MACs with keys changing from message to message, the empty key included") {
    auto mac_of = [](std::string_view key) {
        std::string h = sign(key, "GW-0001", "POST", "/cmp", "", 1732530000, "0123456789abcdef");
        return h.substr(h.find("mac=\"") + 5, 44);
    };
    // python3: hmac.new(key, sts, hashlib.sha256), sts as in the test above
    for (int round = 0; round < 2; ++round) {
        CHECK(mac_of("key") == "y+wPPPne076k7psv2K1pjmp/5cvRHoK2l9ZyFF5hH0E=");
        CHECK(mac_of("") == "7KfF2pKY6BnSGl9FNrXU/gcZyzQaigB52GT7bRi5lYM=");
        CHECK(mac_of("other-key") == "5PBfLUsMH3RXXS9UoTjps7LzZ37cTQENf202YZbQQE0=");
    }
    // A response: the status code in place of the method.
    std::string r = sign("key", "GW-0001", "200", "/cmp/GW-0001", "<x/>", 1732530000, "0123456789abcdef");
    CHECK(r.substr(r.find("mac=\"") + 5, 44) == "TledNJcpIfwpExV7ebiYaWyDlPxqlSb0X7dGCBcd1Ks=");
    CHECK(verify_response(r, 200, "/cmp/GW-0001", "<x/>", kNow, std::chrono::seconds(300), "key", "GW-0001",
                          "0123456789abcdef") == Verdict::ok);
}

TEST_CASE("threads sign and verify at once, each with its own contexts") {
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t, &failures] {
            const std::string secret = "secret-of-thread-" + std::to_string(t);
            const std::string other = "secret-of-thread-" + std::to_string(t + 1);
            for (int i = 0; i < 300; ++i) {
                std::string body = kBody + std::to_string(i);
                std::string n = nonce(i);
                std::string h = sign(secret, "GW-0001", "200", "/cmp", body, kNow, n);
                if (verify_response(h, 200, "/cmp", body, kNow, std::chrono::seconds(300), secret, "GW-0001", n) !=
                    Verdict::ok)
                    ++failures;
                if (verify_response(h, 200, "/cmp", body, kNow, std::chrono::seconds(300), other, "GW-0001", n) !=
                    Verdict::bad_mac)
                    ++failures;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
}

TEST_CASE("good MAC verifies and yields the gateway id") {
    Verifier v;
    std::string h = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow, nonce(1));
    std::string rg;
    CHECK(v.verify(h, "POST", "/cmp", kBody, kNow, secrets(), &rg) == Verdict::ok);
    CHECK(rg == "GW-0001");
    CHECK(v.cached() == 1);
}

TEST_CASE("any change to what the MAC covers is detected") {
    Verifier v;
    std::string h = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow, nonce(1));
    CHECK(v.verify(h, "POST", "/cmp", kBody + " ", kNow, secrets()) == Verdict::bad_mac);
    CHECK(v.verify(h, "POST", "/cmp2", kBody, kNow, secrets()) == Verdict::bad_mac);
    CHECK(v.verify(h, "PUT", "/cmp", kBody, kNow, secrets()) == Verdict::bad_mac);
    std::string other_ts = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow, nonce(1));
    other_ts.replace(other_ts.find("ts=\"") + 4, 10, std::to_string(kNow + 1));
    CHECK(v.verify(other_ts, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::bad_mac);
    // Claiming another gateway's id: its key does not match.
    std::string spoof = sign("s3cret-one", "GW-0002", "POST", "/cmp", kBody, kNow, nonce(2));
    CHECK(v.verify(spoof, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::bad_mac);
    CHECK(v.cached() == 0);  // nothing unauthenticated reaches the replay cache
}

TEST_CASE("wrong key, unknown gateway") {
    Verifier v;
    std::string h = sign("wrong", "GW-0001", "POST", "/cmp", kBody, kNow, nonce(1));
    CHECK(v.verify(h, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::bad_mac);
    std::string u = sign("x", "GW-9999", "POST", "/cmp", kBody, kNow, nonce(1));
    std::string rg;
    CHECK(v.verify(u, "POST", "/cmp", kBody, kNow, secrets(), &rg) == Verdict::unknown_gateway);
    CHECK(rg == "GW-9999");
    CHECK(v.verify(u, "POST", "/cmp", kBody, kNow, SecretLookup{}) == Verdict::unknown_gateway);
}

TEST_CASE("replayed nonce is refused, per gateway") {
    Verifier v;
    std::string h = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow, nonce(1));
    CHECK(v.verify(h, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::ok);
    CHECK(v.verify(h, "POST", "/cmp", kBody, kNow + 10, secrets()) == Verdict::replay);
    // Same nonce, other gateway: independent.
    std::string h2 = sign("s3cret-two", "GW-0002", "POST", "/cmp", kBody, kNow, nonce(1));
    CHECK(v.verify(h2, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::ok);
    // Once the timestamp left the window, the message is stale rather than a replay.
    CHECK(v.verify(h, "POST", "/cmp", kBody, kNow + 301, secrets()) == Verdict::stale);
}

TEST_CASE("a restarted verifier that restores what the observer recorded refuses the replay") {
    struct Seen {
        std::string rg, nonce;
        std::int64_t ts;
    };
    std::vector<Seen> recorded;
    Verifier before;
    before.set_observer([&](std::string_view rg, std::string_view n, std::int64_t ts) {
        recorded.push_back({std::string(rg), std::string(n), ts});
    });
    std::string h = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow, nonce(7));
    CHECK(before.verify(h, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::ok);
    // Refused and forged messages are not recorded.
    CHECK(before.verify(h, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::replay);
    CHECK(before.verify(sign("wrong", "GW-0001", "POST", "/cmp", kBody, kNow, nonce(8)), "POST", "/cmp", kBody, kNow,
                        secrets()) == Verdict::bad_mac);
    REQUIRE(recorded.size() == 1);
    CHECK(recorded[0].rg == "GW-0001");
    CHECK(recorded[0].nonce == nonce(7));
    CHECK(recorded[0].ts == kNow);

    // A new process: without the record the capture would pass, with it it is a replay.
    Verifier fresh;
    CHECK(fresh.verify(h, "POST", "/cmp", kBody, kNow + 34, secrets()) == Verdict::ok);
    Verifier restarted;
    for (auto& r : recorded) restarted.restore(r.rg, r.nonce, r.ts);
    CHECK(restarted.verify(h, "POST", "/cmp", kBody, kNow + 34, secrets()) == Verdict::replay);
    // Other messages of the gateway still pass.
    std::string other = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow + 34, nonce(9));
    CHECK(restarted.verify(other, "POST", "/cmp", kBody, kNow + 34, secrets()) == Verdict::ok);
}

TEST_CASE("stale timestamps, both directions, window edges") {
    Verifier v;
    for (std::int64_t skew : {-301, 301, -100000, 100000}) {
        std::string h = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow + skew, nonce(3));
        CHECK_MESSAGE(v.verify(h, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::stale, skew);
    }
    int n = 10;
    for (std::int64_t skew : {-300, 300, 0}) {
        std::string h = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow + skew, nonce(n++));
        CHECK_MESSAGE(v.verify(h, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::ok, skew);
    }
    Verifier narrow(std::chrono::seconds(5));
    std::string h = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow - 6, nonce(99));
    CHECK(narrow.verify(h, "POST", "/cmp", kBody, kNow, secrets()) == Verdict::stale);
}

TEST_CASE("missing and malformed headers") {
    Verifier v;
    CHECK(v.verify("", "POST", "/", kBody, kNow, secrets()) == Verdict::missing);
    CHECK(v.verify("   ", "POST", "/", kBody, kNow, secrets()) == Verdict::missing);
    std::string good = sign("s3cret-one", "GW-0001", "POST", "/", kBody, kNow, nonce(1));
    const std::string mac = good.substr(good.find("mac=\""));
    const std::string bad[] = {
        "garbage",
        "rgId=GW-0001, ts=\"1\", nonce=\"00112233445566778899\", " + mac,                 // unquoted
        "ts=\"1732530000\", nonce=\"00112233445566778899\", " + mac,                       // no rgId
        "rgId=\"\", ts=\"1732530000\", nonce=\"00112233445566778899\", " + mac,            // empty rgId
        "rgId=\"GW-0001\", ts=\"-5\", nonce=\"00112233445566778899\", " + mac,             // negative
        "rgId=\"GW-0001\", ts=\"99999999999999999999\", nonce=\"00112233445566778899\", " + mac,
        "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"short\", " + mac,
        "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"zz112233445566778899\", " + mac,
        "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"00112233445566778899\", mac=\"abc=\"",
        "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"00112233445566778899\", mac=\"" + std::string(44, '!') + "\"",
        "rgId=\"GW-0001\", rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"00112233445566778899\", " + mac,
        "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"00112233445566778899\", " + mac + ", alg=\"x\"",
        "rgId=\"GW-0001\" ts=\"1732530000\" nonce=\"00112233445566778899\" " + mac,       // no commas
        "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"00112233445566778899\", " + mac + ",",
        "rgId=\"GW\\\"1\", ts=\"1732530000\", nonce=\"00112233445566778899\", " + mac,
        "rgId=\"GW-0001\", ts=\"1732530000\", nonce=\"00112233445566778899\", mac=\"" + mac.substr(5, 20),
    };
    for (const auto& h : bad) CHECK_MESSAGE(v.verify(h, "POST", "/", kBody, kNow, secrets()) == Verdict::malformed, h);
    // Parameter order and optional whitespace are free.
    auto p = parse_auth_header(good);
    REQUIRE(p);
    std::string reordered = " " + mac + " ,nonce=\"" + p->nonce + "\",ts = \"" + std::to_string(p->ts) +
                            "\",\trgId=\"GW-0001\"";
    CHECK(v.verify(reordered, "POST", "/", kBody, kNow, secrets()) == Verdict::ok);
}

TEST_CASE("a full replay cache never lets an evicted nonce through") {
    Verifier v(std::chrono::seconds(300), 4);
    for (int i = 0; i < 4; ++i) {
        std::string h = sign("s3cret-one", "GW-0001", "POST", "/", kBody, kNow - 100 + i, nonce(i));
        CHECK(v.verify(h, "POST", "/", kBody, kNow, secrets()) == Verdict::ok);
    }
    CHECK(v.cached() == 4);
    std::string fifth = sign("s3cret-one", "GW-0001", "POST", "/", kBody, kNow, nonce(4));
    CHECK(v.verify(fifth, "POST", "/", kBody, kNow, secrets()) == Verdict::ok);
    CHECK(v.cached() == 4);
    // nonce(0) was evicted; replaying it must still fail.
    std::string first = sign("s3cret-one", "GW-0001", "POST", "/", kBody, kNow - 100, nonce(0));
    CHECK(v.verify(first, "POST", "/", kBody, kNow, secrets()) == Verdict::replay);
    // Entries leave the cache once their timestamp leaves the window.
    std::string later = sign("s3cret-one", "GW-0001", "POST", "/", kBody, kNow + 250, nonce(5));
    CHECK(v.verify(later, "POST", "/", kBody, kNow + 250, secrets()) == Verdict::ok);
    CHECK(v.cached() < 4);
}

TEST_CASE("responses are signed with the status and bound to the request nonce") {
    std::string n = nonce(7);
    std::string h = sign("s3cret-one", "GW-0001", "200", "/cmp", kBody, kNow, n);
    auto w = std::chrono::seconds(300);
    CHECK(verify_response(h, 200, "/cmp", kBody, kNow, w, "s3cret-one", "GW-0001", n) == Verdict::ok);
    CHECK(verify_response(h, 500, "/cmp", kBody, kNow, w, "s3cret-one", "GW-0001", n) == Verdict::bad_mac);
    CHECK(verify_response(h, 200, "/cmp", kBody, kNow, w, "other", "GW-0001", n) == Verdict::bad_mac);
    CHECK(verify_response(h, 200, "/cmp", kBody, kNow, w, "s3cret-one", "GW-0001", nonce(8)) == Verdict::replay);
    CHECK(verify_response(h, 200, "/cmp", kBody, kNow, w, "s3cret-one", "GW-0002", n) == Verdict::unknown_gateway);
    CHECK(verify_response(h, 200, "/cmp", kBody, kNow + 400, w, "s3cret-one", "GW-0001", n) == Verdict::stale);
    CHECK(verify_response("", 200, "/cmp", kBody, kNow, w, "s3cret-one", "GW-0001", n) == Verdict::missing);
    // A request signature can never pass as a response (method differs).
    std::string req = sign("s3cret-one", "GW-0001", "POST", "/cmp", kBody, kNow, n);
    CHECK(verify_response(req, 200, "/cmp", kBody, kNow, w, "s3cret-one", "GW-0001", n) == Verdict::bad_mac);
}

TEST_CASE("authRg digest and nonces") {
    std::string d = auth_digest("s3cret-one", "abcdef0123456789", "GW-0001", "sess-1");
    CHECK(d.size() == 44);
    CHECK(check_auth_digest(d, "s3cret-one", "abcdef0123456789", "GW-0001", "sess-1"));
    CHECK_FALSE(check_auth_digest(d, "s3cret-two", "abcdef0123456789", "GW-0001", "sess-1"));
    CHECK_FALSE(check_auth_digest(d, "s3cret-one", "abcdef0123456780", "GW-0001", "sess-1"));
    CHECK_FALSE(check_auth_digest(d.substr(1), "s3cret-one", "abcdef0123456789", "GW-0001", "sess-1"));
    std::string a = make_nonce(), b = make_nonce();
    CHECK(a.size() == 32);
    CHECK(a != b);
    CHECK(to_string(Verdict::replay) == "replay");
}

TEST_CASE("derived per-gateway secrets for self-registration") {
    // printf 'cmp-gateway-secret-v1\nGW-0042' | openssl dgst -sha256 -hmac 'registration-master-secret'
    CHECK(derive_gateway_secret("registration-master-secret", "GW-0042") ==
          "b131cb0114fa2ec0a0daa7c5e19e1e196d064396224a60ae379547cdbb0c3366");
    CHECK(derive_gateway_secret("registration-master-secret", "GW-0043") !=
          derive_gateway_secret("registration-master-secret", "GW-0042"));
    CHECK(derive_gateway_secret("another-master", "GW-0042") !=
          derive_gateway_secret("registration-master-secret", "GW-0042"));
}
