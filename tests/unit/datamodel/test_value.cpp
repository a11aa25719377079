// check_value / canonical_value: the 9006 (type) vs 9007 (value) split.
#include <doctest/doctest.h>

#include "bridge/datamodel/model.hpp"

using namespace datamodel;

namespace {

ParamType of(ParamType::Base b) {
    ParamType t;
    t.base = b;
    return t;
}

std::string code(const ParamType& t, std::string_view v, bool from_acs = true) {
    auto st = check_value(t, v, from_acs);
    return st.ok() ? "ok" : st.error().code;
}

}  // namespace

TEST_CASE("xsd types and base names") {
    CHECK(of(ParamType::UnsignedInt).xsd_type() == "xsd:unsignedInt");
    CHECK(of(ParamType::Base64).xsd_type() == "xsd:base64");
    CHECK(of(ParamType::HexBinary).xsd_type() == "xsd:hexBinary");
    ParamType l = of(ParamType::Int);
    l.list = true;
    CHECK(l.xsd_type() == "xsd:string");
    for (int b = ParamType::String; b <= ParamType::Decimal; ++b) {
        auto base = static_cast<ParamType::Base>(b);
        CHECK(base_from_name(base_name(base)) == base);
    }
    CHECK_FALSE(base_from_name("float").has_value());
}

TEST_CASE("booleans accept true/false/1/0 and canonicalise to true/false") {
    auto t = of(ParamType::Boolean);
    for (auto v : {"true", "false", "1", "0", " 1 "}) CHECK(code(t, v) == "ok");
    for (auto v : {"TRUE", "yes", "2", "", "on"}) CHECK(code(t, v) == "type");
    CHECK(canonical_value(t, "1") == "true");
    CHECK(canonical_value(t, "0") == "false");
    CHECK(canonical_value(t, "true") == "true");
}

TEST_CASE("integers: base range is a type error, facet range a value error") {
    auto u = of(ParamType::UnsignedInt);
    CHECK(code(u, "0") == "ok");
    CHECK(code(u, "4294967295") == "ok");
    CHECK(code(u, "4294967296") == "type");
    CHECK(code(u, "-1") == "type");
    CHECK(code(u, "12a") == "type");
    CHECK(code(u, "") == "type");
    CHECK(code(u, "1.5") == "type");
    u.min = 1;
    CHECK(code(u, "0") == "value");
    CHECK(code(u, "86400") == "ok");

    auto i = of(ParamType::Int);
    CHECK(code(i, "-2147483648") == "ok");
    CHECK(code(i, "2147483648") == "type");
    CHECK(code(i, "+5") == "ok");
    i.ranges = {Range{-1, -1}, Range{1, 10}};
    i.update_bounds();
    CHECK(i.min == -1);
    CHECK(i.max == 10);
    CHECK(code(i, "-1") == "ok");
    CHECK(code(i, "0") == "value");
    CHECK(code(i, "11") == "value");

    auto ul = of(ParamType::UnsignedLong);
    CHECK(code(ul, "18446744073709551615") == "ok");
    CHECK(code(ul, "18446744073709551616") == "type");
    auto l = of(ParamType::Long);
    CHECK(code(l, "-9223372036854775808") == "ok");
    CHECK(code(l, "9223372036854775808") == "type");
    CHECK(code(l, "123456789012345678901234") == "type");

    CHECK(canonical_value(of(ParamType::UnsignedInt), "+007") == "7");
    CHECK(canonical_value(of(ParamType::Int), "-0") == "0");
    CHECK(canonical_value(of(ParamType::Long), "-000120") == "-120");
    CHECK(canonical_value(of(ParamType::Int), "abc") == "abc");
}

TEST_CASE("dateTime with or without fraction, Z or offset, or local") {
    auto t = of(ParamType::DateTime);
    for (auto v : {"2013-08-16T17:14:42Z", "2013-08-16T17:14:42.000Z", "2013-08-16T17:14:42+02:00",
                   "2013-08-16T17:14:42.123456-05:30", "2013-08-16T17:14:42", "0001-01-01T00:00:00Z",
                   "2024-02-29T23:59:59Z"})
        CHECK_MESSAGE(code(t, v) == "ok", v);
    for (auto v : {"2013-08-16", "2013-08-16 17:14:42Z", "2013-13-16T17:14:42Z", "2013-02-30T00:00:00Z",
                   "2023-02-29T00:00:00Z", "2013-08-16T24:00:00Z", "2013-08-16T17:14:42.Z",
                   "2013-08-16T17:14:42+0200", "0000-01-01T00:00:00Z", "yesterday", ""})
        CHECK_MESSAGE(code(t, v) == "type", v);
}

TEST_CASE("strings: length in characters, enumerations, patterns") {
    auto t = of(ParamType::String);
    t.max_length = 4;
    CHECK(code(t, "abcd") == "ok");
    CHECK(code(t, "abcde") == "value");
    CHECK(code(t, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9") == "ok");  // 4 characters, 8 bytes
    t.min_length = 2;
    CHECK(code(t, "a") == "value");

    auto e = of(ParamType::String);
    e.enumeration = {"None", "Requested", "Complete"};
    e.readonly_values = {"None", "Complete"};
    CHECK(code(e, "Requested") == "ok");
    CHECK(code(e, "requested") == "value");
    CHECK(code(e, "Complete") == "value");
    CHECK(code(e, "Complete", false) == "ok");

    auto p = of(ParamType::String);
    p.patterns = {"", "([0-9]|[1-5][0-9]|6[0-3]):[0-7]", "Null"};
    for (auto v : {"", "24:3", "Null"}) CHECK(code(p, v) == "ok");
    for (auto v : {"64:3", "24:3x", "x24:3", "null"}) CHECK(code(p, v) == "value");
    auto broken = of(ParamType::String);
    broken.patterns = {"(unclosed"};
    CHECK(code(broken, "anything") == "ok");  // a pattern we cannot compile never refuses
}

TEST_CASE("named types: IPAddress and MACAddress syntax") {
    auto ip = of(ParamType::String);
    ip.named = "IPAddress";
    ip.max_length = 45;
    for (auto v : {"", "192.168.1.254", "1080::800:ba98:3210:11aa:12dd", "::ffff:10.0.0.1"}) CHECK(code(ip, v) == "ok");
    for (auto v : {"192.168.1.256", "192.168.1", "host.example", "1080:::1", "192.168.001.001"})
        CHECK_MESSAGE(code(ip, v) == "value", v);
    auto v4 = ip;
    v4.named = "IPv4Address";
    CHECK(code(v4, "::1") == "value");
    auto v6 = ip;
    v6.named = "IPv6Address";
    CHECK(code(v6, "10.0.0.1") == "value");

    auto mac = of(ParamType::String);
    mac.named = "MACAddress";
    for (auto v : {"", "00:1A:2b:3C:4d:5E"}) CHECK(code(mac, v) == "ok");
    for (auto v : {"00-1A-2B-3C-4D-5E", "001A2B3C4D5E", "00:1A:2B:3C:4D", "00:1A:2B:3C:4D:5G"})
        CHECK_MESSAGE(code(mac, v) == "value", v);
}

TEST_CASE("base64 and hexBinary: syntax is the type, decoded size the value") {
    auto b = of(ParamType::Base64);
    b.max_length = 3;
    CHECK(code(b, "") == "ok");
    CHECK(code(b, "YWJj") == "ok");  // "abc"
    CHECK(code(b, "YW\nJj") == "ok");
    CHECK(code(b, "YWJjZA==") == "value");  // 4 bytes
    CHECK(code(b, "YWJ") == "type");
    CHECK(code(b, "YW=j") == "type");
    CHECK(code(b, "YWJ!") == "type");

    auto h = of(ParamType::HexBinary);
    h.max_length = 2;
    CHECK(code(h, "0aFF") == "ok");
    CHECK(code(h, "0aFF00") == "value");
    CHECK(code(h, "0aF") == "type");
    CHECK(code(h, "zz") == "type");
}

TEST_CASE("lists: items checked one by one, whole-value limits, empty list") {
    auto l = of(ParamType::UnsignedInt);
    l.list = true;
    l.max = 100;
    l.list_max_length = 12;
    l.list_max_items = 3;
    CHECK(code(l, "") == "ok");
    CHECK(code(l, "1,2, 3") == "ok");
    CHECK(code(l, "1,200") == "value");
    CHECK(code(l, "1,x") == "value");  // on the wire a list is a string: never 9006
    CHECK(code(l, "1,2,3,4") == "value");
    CHECK(code(l, "10,20,30,40,5") == "value");
    CHECK(canonical_value(l, "1, 2") == "1, 2");

    auto ips = of(ParamType::String);
    ips.list = true;
    ips.named = "IPAddress";
    CHECK(code(ips, "8.8.8.8,2001:4860:4860::8888") == "ok");
    CHECK(code(ips, "8.8.8.8,dns.google") == "value");
}

TEST_CASE("canonicalize_reported: canonical_value of what passes check_value, everything else unchanged") {
    auto ul = of(ParamType::UnsignedLong);
    auto l = of(ParamType::Long);
    auto u = of(ParamType::UnsignedInt);
    u.max = 100;
    auto dt = of(ParamType::DateTime);
    auto dec = of(ParamType::Decimal);
    auto list = of(ParamType::UnsignedInt);
    list.list = true;
    const std::vector<std::pair<ParamType, std::vector<std::string>>> cases = {
        {of(ParamType::Boolean), {"true", "false", "1", "0", " 1 ", " true", "TRUE", ""}},
        {ul, {"0", "00", "-0", "+7", " 7 ", "007", "18446744073709551615", "018446744073709551615", "18446744073709551616",
              "9223372036854775808", "x"}},
        {l, {"-9223372036854775808", "-09223372036854775808", "9223372036854775807", "-1", "-01", "+0", "1 "}},
        {u, {"100", "0100", "101", "-0", ""}},
        {dt, {"2024-01-01T00:00:00Z", " 2024-01-01T00:00:00Z ", "2024-01-01T00:00:00Z\n", "yesterday"}},
        {dec, {"1.5", " 1.5", "1.5 ", "+.5", "1e3"}},
        {list, {"1,2", " 01, 2", ""}},
        {of(ParamType::String), {" a ", ""}},
    };
    for (const auto& [type, values] : cases)
        for (const auto& v : values) {
            CAPTURE(v);
            std::string got = v;
            canonicalize_reported(type, got);
            CHECK(got == (check_value(type, v, false) ? canonical_value(type, v) : v));
        }
    CHECK(canonical_value(ul, "018446744073709551615") == "18446744073709551615");
    CHECK(canonical_value(l, "-09223372036854775808") == "-9223372036854775808");
    auto big = of(ParamType::UnsignedLong);
    big.max = 5;
    CHECK(check_value(big, "18446744073709551615").error().message == "18446744073709551615 is out of range");
}
