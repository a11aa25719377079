// HTTP authentication and cookies: the Authorization header a Connection
// Request carries, the WWW-Authenticate challenge and Set-Cookie an ACS sends.
// Input: up to three parts separated by "\n---\n".
#include <string>

#include "bridge/http/auth.hpp"
#include "bridge/http/cookies.hpp"
#include "bridge/http/url.hpp"
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in = fuzz::as_text(data, size);
    std::string_view parts[3];
    for (auto& p : parts) {
        auto cut = in.find("\n---\n");
        p = in.substr(0, cut);
        in = cut == std::string_view::npos ? std::string_view{} : in.substr(cut + 5);
    }
    static http::DigestVerifier verifier(http::DigestVerifierOptions{"cmp-cwmp-bridge", "fuzz-secret", 300, 64});
    http::PasswordLookup lookup = [](std::string_view user) -> std::optional<std::string> {
        if (user == "acs") return std::string("secret");
        return std::nullopt;
    };
    // No input forges a valid digest for a password it does not know.
    auto v = verifier.verify(parts[0], "GET", "/cr/0123456789abcdef", lookup, 1700000000);
    fuzz::require(v != http::Verdict::ok, "a fuzzed Authorization header is never accepted");
    (void)http::verify_basic(parts[0], lookup);

    http::Response challenge;
    challenge.status = 401;
    challenge.set("WWW-Authenticate", parts[1]);
    http::ClientAuth client;
    client.set_cnonce_source([] { return std::string("0a4f113b"); });
    if (client.on_challenge(challenge, {"cpe", "pw"})) {
        auto header = client.authorization("POST", "/acs");
        fuzz::require(header.has_value(), "a challenge we accepted gives an Authorization header");
        fuzz::require(header->find('\n') == std::string::npos && header->find('\r') == std::string::npos,
                      "no header injection through the challenge");
    }

    static const auto url = http::Url::parse("https://acs.example.net:7547/acs");
    http::CookieJar jar;
    jar.set_cookie(*url, parts[2]);
    (void)http::parse_cookie_date(parts[2]);
    return 0;
}
