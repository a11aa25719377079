#include <doctest/doctest.h>

#include <set>

#include "bridge/http/encoding.hpp"

using namespace http;

TEST_CASE("encoding: base64 (RFC 4648 test vectors)") {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"}};
    for (auto [plain, enc] : vectors) {
        CHECK(base64_encode(plain) == enc);
        auto dec = base64_decode(enc);
        REQUIRE(dec);
        CHECK(*dec == plain);
    }
    CHECK(base64_encode("Aladdin:open sesame") == "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    CHECK(base64_encode(std::string("\xfb\xff", 2)) == "+/8=");
    for (std::string_view bad : {"Zg=", "Zg", "Z===", "Zm9v!A==", "Zg==Zg==", "Z=g=", " Zg=="})
        CHECK_MESSAGE(!base64_decode(bad), bad);
}

TEST_CASE("encoding: base64url and hex") {
    CHECK(base64url_encode(std::string("\xfb\xff", 2)) == "-_8");
    auto back = base64url_decode("-_8");
    REQUIRE(back);
    CHECK(*back == std::string("\xfb\xff", 2));
    CHECK_FALSE(base64url_decode("a+b="));
    CHECK_FALSE(base64url_decode("abcde"));

    CHECK(hex_encode(std::string("\x00\xab\xff", 3)) == "00abff");
    auto h = hex_decode("00ABff");
    REQUIRE(h);
    CHECK(*h == std::string("\x00\xab\xff", 3));
    CHECK_FALSE(hex_decode("abc"));
    CHECK_FALSE(hex_decode("zz"));
}

TEST_CASE("encoding: random tokens are URL-safe and distinct") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        std::string t = random_token(16);
        CHECK(t.size() == 22);
        CHECK(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos);
        seen.insert(t);
    }
    CHECK(seen.size() == 200);
    CHECK(random_bytes(0).empty());
    CHECK(random_bytes(33).size() == 33);
}

TEST_CASE("percent encoding: what the caller keeps stays, every other byte is %XX; decoding is strict") {
    CHECK(http::percent_encode("A-b_c.9~", http::unreserved) == "A-b_c.9~");
    CHECK(http::percent_encode("a/b c%\xff", http::unreserved) == "a%2Fb%20c%25%FF");
    CHECK(http::percent_encode("x=1,y", [](unsigned char c) { return c != ',' && c != '='; }) == "x%3D1%2Cy");
    CHECK(http::percent_decode("a%2Fb%20c%25%ff") == std::optional<std::string>("a/b c%\xff"));
    CHECK(http::percent_decode("%41") == std::optional<std::string>("A"));
    CHECK_FALSE(http::percent_decode("a%2"));
    CHECK_FALSE(http::percent_decode("a%"));
    CHECK_FALSE(http::percent_decode("a%zz"));
}
