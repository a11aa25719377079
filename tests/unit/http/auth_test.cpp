// Digest and Basic authentication: published test vectors, challenge parsing,
// and the client against the server-side verifier.
#include <doctest/doctest.h>

#include <cctype>
#include <set>

#include "bridge/http/auth.hpp"
#include "bridge/http/auth_params.hpp"
#include "bridge/http/digest.hpp"

using namespace http;

namespace {

constexpr std::string_view kRfc2617Challenge =
    "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

Response unauthorized(std::initializer_list<std::string_view> challenges) {
    Response r;
    r.status = 401;
    for (auto c : challenges) r.headers.push_back({"WWW-Authenticate", std::string(c)});
    return r;
}

AuthChallenge parse_one(std::string_view header) {
    auto r = parse_auth_header(header);
    REQUIRE(r.ok());
    REQUIRE(r->size() == 1);
    return r->front();
}

std::string param_of(std::string_view header, std::string_view name) {
    auto c = parse_one(header);
    const std::string* v = c.param(name);
    return v ? *v : std::string("<absent>");
}

PasswordLookup only(std::string user, std::string password) {
    return [user, password](std::string_view u) -> std::optional<std::string> {
        if (u == user) return password;
        return std::nullopt;
    };
}

}  // namespace

TEST_CASE("digest: RFC 2617 and RFC 7616 worked examples") {
    DigestInput in;
    in.username = "Mufasa";
    in.password = "Circle Of Life";
    in.realm = "testrealm@host.com";
    in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
    in.cnonce = "0a4f113b";
    in.nc = "00000001";
    in.qop = "auth";
    in.method = "GET";
    in.uri = "/dir/index.html";
    CHECK(digest_response(in) == "6629fae49393a05397450978507c4ef1");

    in.password = "Circle of Life";
    in.realm = "http-auth@example.org";
    in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    CHECK(digest_response(in) == "8ca523f5e9506fed4657c9700eebdbec");
    in.algorithm = DigestAlgorithm::sha256;
    CHECK(digest_response(in) == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");

    CHECK(parse_digest_algorithm("md5-SESS") == DigestAlgorithm::md5_sess);
    CHECK_FALSE(parse_digest_algorithm("SHA-512-256"));
}

TEST_CASE("client auth: default cnonces are 128 random bits, never repeated across pool refills") {
    ClientAuth auth;
    REQUIRE(auth.on_challenge(unauthorized({kRfc2617Challenge}), {"Mufasa", "Circle Of Life"}).ok());
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {  // more than one pool of 32
        auto h = auth.authorization("POST", "/acs");
        REQUIRE(h);
        std::string c = param_of(*h, "cnonce");
        CHECK(c.size() == 32);
        for (char ch : c) CHECK(std::isxdigit(static_cast<unsigned char>(ch)));
        seen.insert(c);
    }
    CHECK(seen.size() == 100);
}

TEST_CASE("client auth: RFC 2617 example through ClientAuth, then pre-authorization") {
    ClientAuth auth;
    auth.set_cnonce_source([] { return std::string("0a4f113b"); });
    CHECK_FALSE(auth.authorization("GET", "/dir/index.html"));
    REQUIRE(auth.on_challenge(unauthorized({kRfc2617Challenge}), {"Mufasa", "Circle Of Life"}).ok());
    CHECK(auth.scheme() == ClientAuth::Scheme::digest);
    CHECK_FALSE(auth.stale());

    auto h = auth.authorization("GET", "/dir/index.html");
    REQUIRE(h);
    CHECK(*h == "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
                "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
                "response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", "
                "qop=auth, nc=00000001, cnonce=\"0a4f113b\"");

    // Later requests reuse the nonce with a growing nonce count.
    auto h2 = auth.authorization("POST", "/dir/index.html");
    REQUIRE(h2);
    CHECK(param_of(*h2, "nc") == "00000002");
    CHECK(param_of(*h2, "nonce") == "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    CHECK(param_of(*h2, "response") != "6629fae49393a05397450978507c4ef1");
    CHECK(param_of(*auth.authorization("POST", "/"), "nc") == "00000003");

    // A new challenge restarts the count.
    REQUIRE(auth.on_challenge(unauthorized({kRfc2617Challenge}), {"Mufasa", "Circle Of Life"}).ok());
    CHECK(param_of(*auth.authorization("GET", "/"), "nc") == "00000001");

    auth.reset();
    CHECK(auth.scheme() == ClientAuth::Scheme::none);
    CHECK_FALSE(auth.authorization("GET", "/"));
}

TEST_CASE("client auth: RFC 2069 digest, MD5-sess and Basic") {
    ClientAuth auth;
    auth.set_cnonce_source([] { return std::string("0a4f113b"); });
    REQUIRE(auth.on_challenge(unauthorized({"Digest realm=\"testrealm@host.com\", "
                                            "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\""}),
                              {"Mufasa", "Circle Of Life"})
                .ok());
    auto h = auth.authorization("GET", "/dir/index.html");
    REQUIRE(h);
    CHECK(param_of(*h, "response") == "670fd8c2df070c60b045671b8b24ff02");
    CHECK(param_of(*h, "nc") == "<absent>");
    CHECK(param_of(*h, "cnonce") == "<absent>");
    CHECK(param_of(*h, "qop") == "<absent>");
    CHECK(param_of(*h, "algorithm") == "<absent>");

    int calls = 0;
    auth.set_cnonce_source([&] { return "0a4f113b" + std::string(calls++ ? "x" : ""); });
    REQUIRE(auth.on_challenge(unauthorized({"Digest realm=\"testrealm@host.com\", qop=\"auth\", algorithm=MD5-sess, "
                                            "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\""}),
                              {"Mufasa", "Circle Of Life"})
                .ok());
    auth.authorization("GET", "/dir/index.html");
    h = auth.authorization("GET", "/dir/index.html");
    REQUIRE(h);
    CHECK(param_of(*h, "algorithm") == "MD5-sess");
    CHECK(param_of(*h, "cnonce") == "0a4f113b");  // HA1 is bound to the first cnonce
    CHECK(param_of(*h, "response") == "d16df0df0d92cef8935129145e21b5e1");

    // -sess without qop cannot carry its cnonce: not usable, and nothing else offered.
    CHECK_FALSE(auth.on_challenge(unauthorized({"Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess"}), {"u", "p"})
                    .ok());

    REQUIRE(auth.on_challenge(unauthorized({"Basic realm=\"WallyWorld\""}), {"Aladdin", "open sesame"}).ok());
    CHECK(auth.scheme() == ClientAuth::Scheme::basic);
    CHECK(*auth.authorization("POST", "/") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    auto colon = auth.on_challenge(unauthorized({"Basic realm=\"x\""}), {"a:b", "secret-pw"});
    REQUIRE_FALSE(colon.ok());
    CHECK(colon.error().message.find("secret-pw") == std::string::npos);
}

TEST_CASE("client auth: choosing among several challenges") {
    ClientAuth auth;
    // Separate headers, Basic first: Digest still wins.
    REQUIRE(auth.on_challenge(unauthorized({"Basic realm=\"b\"", "Digest realm=\"d\", nonce=\"n1\", qop=\"auth\""}),
                              {"u", "p"})
                .ok());
    CHECK(auth.scheme() == ClientAuth::Scheme::digest);
    CHECK(param_of(*auth.authorization("POST", "/"), "realm") == "d");

    // One header holding several challenges, with commas inside quoted strings.
    REQUIRE(auth.on_challenge(unauthorized({"Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
                                            "Basic realm=\"simple\", DIGEST REALM=\"a, \\\"b\\\"\", "
                                            "Nonce=\"x,y\", QOP=\"auth-int, AUTH\", stale=TRUE"}),
                              {"u", "p"})
                .ok());
    CHECK(auth.scheme() == ClientAuth::Scheme::digest);
    CHECK(auth.stale());
    auto h = *auth.authorization("POST", "/");
    CHECK(param_of(h, "realm") == "a, \"b\"");
    CHECK(param_of(h, "nonce") == "x,y");
    CHECK(param_of(h, "qop") == "auth");

    // Unsupported Digest variants fall back to Basic.
    REQUIRE(auth.on_challenge(unauthorized({"Digest realm=\"d\", nonce=\"n\", algorithm=SHA-512-256",
                                            "Digest realm=\"d\", nonce=\"n\", qop=\"auth-int\"",
                                            "Negotiate YIIB+w==, Basic realm=\"b\""}),
                              {"u", "p"})
                .ok());
    CHECK(auth.scheme() == ClientAuth::Scheme::basic);

    // A malformed header does not hide a good one.
    REQUIRE(auth.on_challenge(unauthorized({"Digest realm=\"unterminated", "Digest realm=\"ok\", nonce=\"n\""}),
                              {"u", "p"})
                .ok());
    CHECK(param_of(*auth.authorization("POST", "/"), "realm") == "ok");

    auto none = auth.on_challenge(unauthorized({"Negotiate abc", "Bearer realm=\"x\""}), {"u", "p"});
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code == "http.auth_unsupported");
    CHECK(none.error().message.find("negotiate") != std::string::npos);
    auto empty = auth.on_challenge(unauthorized({}), {"u", "p"});
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().code == "http.auth_no_challenge");
}

TEST_CASE("auth params: grammar corner cases") {
    auto c = parse_auth_header("Basic");
    REQUIRE(c.ok());
    REQUIRE(c->size() == 1);
    CHECK((*c)[0].scheme == "basic");

    c = parse_auth_header("Negotiate a/b+c==, Digest realm=x ,, nonce = \"n\" ,");
    REQUIRE(c.ok());
    REQUIRE(c->size() == 2);
    CHECK((*c)[0].token68 == "a/b+c==");
    CHECK(*(*c)[1].param("realm") == "x");
    CHECK(*(*c)[1].param("NONCE") == "n");

    c = parse_auth_header("Digest realm=\"back\\\\slash\"");
    REQUIRE(c.ok());
    CHECK(*(*c)[0].param("realm") == "back\\slash");

    for (std::string_view bad : {"Digest realm=\"open", "Digest realm=\"a\" nonce=\"b\"",
                                 "Digest realm=\"a\r\nb\"", "=x", "Digest\"x\""})
        CHECK_MESSAGE(!parse_auth_header(bad).ok(), bad);

    CHECK(quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    auto items = split_list(" auth , auth-int,,");
    REQUIRE(items.size() == 2);
    CHECK(items[1] == "auth-int");
}

TEST_CASE("verifier: round trip with the client, nc replay, wrong password, stale nonce") {
    DigestVerifierOptions opt;
    opt.realm = "cr@bridge";
    opt.nonce_lifetime = 300;
    DigestVerifier v(opt);
    const auto lookup = only("acs", "s3cret");
    const std::int64_t t0 = 1'700'000'000;

    CHECK(v.verify("", "GET", lookup, t0) == Verdict::missing);

    const std::string ch = v.challenge_at(t0);
    auto parsed = parse_one(ch);
    CHECK(parsed.scheme == "digest");
    CHECK(*parsed.param("realm") == "cr@bridge");
    CHECK(*parsed.param("qop") == "auth");
    CHECK(*parsed.param("algorithm") == "MD5");
    CHECK(parsed.param("opaque"));
    CHECK_FALSE(parsed.param("stale"));
    CHECK(v.challenge_at(t0) != ch);  // salted: unique per challenge

    ClientAuth client;
    REQUIRE(client.on_challenge(unauthorized({ch}), {"acs", "s3cret"}).ok());
    const std::string a1 = *client.authorization("GET", "/cr/tok");
    CHECK(v.verify(a1, "GET", "/cr/tok", lookup, t0 + 1) == Verdict::ok);
    CHECK(v.verify(a1, "GET", "/cr/tok", lookup, t0 + 2) == Verdict::bad);  // replayed nc
    const std::string a2 = *client.authorization("GET", "/cr/tok");
    CHECK(v.verify(a2, "GET", lookup, t0 + 3) == Verdict::ok);
    CHECK(v.verify(a2, "GET", lookup, t0 + 3) == Verdict::bad);
    // An nc lower than the last one is a replay too.
    CHECK(v.verify(a1, "GET", "/cr/tok", lookup, t0 + 4) == Verdict::bad);

    const std::string a3 = *client.authorization("GET", "/cr/tok");
    CHECK(v.verify(a3, "POST", "/cr/tok", lookup, t0 + 5) == Verdict::bad);   // method is in the digest
    CHECK(v.verify(a3, "GET", "/cr/other", lookup, t0 + 5) == Verdict::bad);  // uri bound to the target
    CHECK(v.verify(a3, "GET", "/cr/tok", only("acs", "wrong"), t0 + 5) == Verdict::bad);
    CHECK(v.verify(a3, "GET", "/cr/tok", only("someone-else", "s3cret"), t0 + 5) == Verdict::bad);
    CHECK(v.verify(a3, "GET", "/cr/tok", lookup, t0 + 5) == Verdict::ok);

    // Expired nonce with a correct digest: stale, and the client recovers.
    const std::string a4 = *client.authorization("GET", "/cr/tok");
    CHECK(v.verify(a4, "GET", "/cr/tok", lookup, t0 + 301) == Verdict::stale);
    const std::string stale_ch = v.challenge_at(t0 + 301, true);
    CHECK(*parse_one(stale_ch).param("stale") == "true");
    REQUIRE(client.on_challenge(unauthorized({stale_ch}), {"acs", "s3cret"}).ok());
    CHECK(client.stale());
    CHECK(v.verify(*client.authorization("GET", "/cr/tok"), "GET", "/cr/tok", lookup, t0 + 302) == Verdict::ok);

    // Expired nonce with a wrong digest is just bad.
    ClientAuth wrong;
    REQUIRE(wrong.on_challenge(unauthorized({ch}), {"acs", "nope"}).ok());
    CHECK(v.verify(*wrong.authorization("GET", "/x"), "GET", lookup, t0 + 1000) == Verdict::bad);
}

TEST_CASE("verifier: forged, foreign and malformed credentials") {
    DigestVerifierOptions opt;
    opt.realm = "r";
    opt.secret = "server-secret";
    DigestVerifier v(opt);
    DigestVerifierOptions other_opt = opt;
    other_opt.secret = "another-secret";
    DigestVerifier other(other_opt);
    const auto lookup = only("u", "p");
    const std::int64_t t0 = 1'700'000'000;

    // Same options, same secret: nonces are interchangeable (stateless).
    DigestVerifier twin(opt);
    ClientAuth c;
    REQUIRE(c.on_challenge(unauthorized({twin.challenge_at(t0)}), {"u", "p"}).ok());
    CHECK(v.verify(*c.authorization("GET", "/"), "GET", lookup, t0) == Verdict::ok);

    // A nonce from a different secret is rejected even with a correct digest.
    REQUIRE(c.on_challenge(unauthorized({other.challenge_at(t0)}), {"u", "p"}).ok());
    CHECK(v.verify(*c.authorization("GET", "/"), "GET", lookup, t0) == Verdict::bad);

    // A made-up nonce, a nonce from the future, the wrong realm.
    REQUIRE(c.on_challenge(unauthorized({"Digest realm=\"r\", nonce=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", "
                                         "qop=\"auth\""}),
                           {"u", "p"})
                .ok());
    CHECK(v.verify(*c.authorization("GET", "/"), "GET", lookup, t0) == Verdict::bad);
    REQUIRE(c.on_challenge(unauthorized({v.challenge_at(t0 + 3600)}), {"u", "p"}).ok());
    CHECK(v.verify(*c.authorization("GET", "/"), "GET", lookup, t0) == Verdict::bad);
    std::string ch = v.challenge_at(t0);
    std::string wrong_realm = ch;
    wrong_realm.replace(wrong_realm.find("realm=\"r\""), 9, "realm=\"q\"");
    REQUIRE(c.on_challenge(unauthorized({wrong_realm}), {"u", "p"}).ok());
    CHECK(v.verify(*c.authorization("GET", "/"), "GET", lookup, t0) == Verdict::bad);

    // Tampering with any field breaks it; without qop there is no replay protection, so no.
    REQUIRE(c.on_challenge(unauthorized({ch}), {"u", "p"}).ok());
    std::string good = *c.authorization("GET", "/");
    std::string upper = good;
    auto rpos = upper.find("response=\"") + 10;
    for (std::size_t i = rpos; i < rpos + 32; ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
    CHECK(v.verify(upper, "GET", lookup, t0) == Verdict::ok);  // hex case is not significant
    std::string no_qop = *c.authorization("GET", "/");
    no_qop.replace(no_qop.find(", qop=auth"), 10, "");
    CHECK(v.verify(no_qop, "GET", lookup, t0) == Verdict::bad);
    std::string bad_opaque = *c.authorization("GET", "/");
    bad_opaque.replace(bad_opaque.find("opaque=\"") + 8, 1, "#");
    CHECK(v.verify(bad_opaque, "GET", lookup, t0) == Verdict::bad);

    CHECK(v.verify("Basic dTpw", "GET", lookup, t0) == Verdict::bad);
    CHECK(v.verify("Digest garbage", "GET", lookup, t0) == Verdict::bad);
    CHECK(v.verify("Digest username=\"u\"", "GET", lookup, t0) == Verdict::bad);
    CHECK(v.verify("   ", "GET", lookup, t0) == Verdict::missing);
    CHECK(v.verify(good, "GET", PasswordLookup{}, t0) == Verdict::bad);
}

TEST_CASE("verifier: the nc record is bounded and forgetting never allows a replay") {
    DigestVerifierOptions opt;
    opt.max_tracked_nonces = 2;
    DigestVerifier v(opt);
    const auto lookup = only("u", "p");
    const std::int64_t t0 = 1'700'000'000;
    ClientAuth c1, c2, c3;
    REQUIRE(c1.on_challenge(unauthorized({v.challenge_at(t0)}), {"u", "p"}).ok());
    REQUIRE(c2.on_challenge(unauthorized({v.challenge_at(t0 + 1)}), {"u", "p"}).ok());
    REQUIRE(c3.on_challenge(unauthorized({v.challenge_at(t0 + 2)}), {"u", "p"}).ok());
    const std::string h1 = *c1.authorization("GET", "/");
    CHECK(v.verify(h1, "GET", lookup, t0 + 3) == Verdict::ok);
    CHECK(v.verify(*c2.authorization("GET", "/"), "GET", lookup, t0 + 3) == Verdict::ok);
    CHECK(v.verify(*c3.authorization("GET", "/"), "GET", lookup, t0 + 3) == Verdict::ok);  // evicts c1's record
    CHECK(v.verify(h1, "GET", lookup, t0 + 4) == Verdict::stale);
    CHECK(v.verify(*c1.authorization("GET", "/"), "GET", lookup, t0 + 4) == Verdict::stale);
    CHECK(v.verify(*c2.authorization("GET", "/"), "GET", lookup, t0 + 4) == Verdict::ok);
}

TEST_CASE("verify_basic") {
    const auto lookup = only("Aladdin", "open sesame");
    CHECK(verify_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", lookup) == Verdict::ok);
    CHECK(verify_basic("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", lookup) == Verdict::ok);
    CHECK(verify_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZg==", lookup) == Verdict::bad);  // "open sesamf"
    CHECK(verify_basic("Basic QWxhZGRpbg==", lookup) == Verdict::bad);                  // no colon
    CHECK(verify_basic("Basic !!!", lookup) == Verdict::bad);
    CHECK(verify_basic("Digest realm=\"x\"", lookup) == Verdict::bad);
    CHECK(verify_basic("", lookup) == Verdict::missing);
    CHECK(verify_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", only("Other", "open sesame")) == Verdict::bad);
}
