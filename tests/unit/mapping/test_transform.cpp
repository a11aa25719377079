// Transforms, field paths and templates.
#include "bridge/mapping/fieldpath.hpp"
#include "bridge/mapping/transform.hpp"
#include "tests/unit/mapping/helpers.hpp"

using mapping::FieldPath;
using mapping::Template;
using mapping::Transform;

TEST_CASE("enum map: gateway words to TR-069 words and back") {
    Transform t;
    t.map = {{"mounted", "Online"}, {"unmounted", "Offline"}};
    CHECK(t.read("mounted") == "Online");
    CHECK(t.read("weird") == "weird");  // never hidden
    CHECK(*t.write("Offline") == "unmounted");
    CHECK_FALSE(t.write("Standby"));
}

TEST_CASE("booleans in other words") {
    Transform t;
    t.boolean = std::pair<std::string, std::string>{"on", "off"};
    CHECK(t.read("on") == "true");
    CHECK(t.read("off") == "false");
    CHECK(*t.write("1") == "on");
    CHECK(*t.write("false") == "off");
    CHECK_FALSE(t.write("maybe"));
}

TEST_CASE("scale and units") {
    std::string why;
    auto f = mapping::unit_factor("MB", "KB", &why);
    REQUIRE(f);
    Transform t;
    t.multiply = f->first;
    t.divide = f->second;
    CHECK(t.read("3") == "3072");
    CHECK(*t.write("4096") == "4");
    CHECK_FALSE(t.write("1000"));  // not a whole MB
    auto g = mapping::unit_factor("ms", "s", &why);
    REQUIRE(g);
    Transform s;
    s.multiply = g->first;
    s.divide = g->second;
    CHECK(s.read("2500") == "2");  // rounds down
    CHECK(*s.write("3") == "3000");
    CHECK_FALSE(mapping::unit_factor("MB", "s", &why));
    CHECK(why.find("cannot convert") != std::string::npos);
    CHECK_FALSE(mapping::unit_factor("parsec", "KB", &why));
}

TEST_CASE("wrap: unsignedLong counters into 32-bit TR-098 counters") {
    Transform t;
    t.wrap_bits = 32;
    CHECK(t.read("4294967296") == "0");
    CHECK(t.read("4294967301") == "5");
    CHECK(t.read("18446744073709551615") == "4294967295");
    CHECK(t.read("n/a") == "n/a");
    CHECK_FALSE(t.invertible());
    CHECK_FALSE(t.write("1"));
}

TEST_CASE("tail: the newest lines that fit") {
    Transform t;
    t.tail = 10;
    CHECK(t.read("short") == "short");
    CHECK(t.read("line one\nline two\nline 3") == "line 3");
    CHECK(t.read("abcdefghijklmnop") == "ghijklmnop");  // no line break: the last bytes
    CHECK_FALSE(t.invertible());
}

TEST_CASE("extract, default") {
    Transform t;
    t.extract = std::regex("^(?:GMT|UTC)?([+-][0-9]{2}:[0-9]{2})$");
    CHECK(t.read("GMT+03:00") == "+03:00");
    CHECK(t.read("CET-1CEST") == "CET-1CEST");
    CHECK_FALSE(t.invertible());
}

TEST_CASE("dateTime formats") {
    Transform t;
    t.time = Transform::Time::unix_seconds;
    CHECK(t.read("1732528800") == "2024-11-25T10:00:00Z");
    CHECK(*t.write("2024-11-25T10:00:00Z") == "1732528800");
    Transform p;
    p.time = Transform::Time::pattern;
    p.time_pattern = "%d/%m/%Y %H:%M:%S";
    CHECK(p.read("25/11/2024 10:00:00") == "2024-11-25T10:00:00Z");
    CHECK(p.read("garbage") == "garbage");
    CHECK(*p.write("2024-11-25T10:00:00Z") == "25/11/2024 10:00:00");
    Transform i;
    i.time = Transform::Time::iso;
    CHECK(i.read("2024-11-25T10:00:00") == "2024-11-25T10:00:00Z");
    CHECK(i.read("2024-11-25T13:00:00+03:00") == "2024-11-25T13:00:00+03:00");
    CHECK(mapping::valid_time_pattern("%Y%m%d"));
    CHECK_FALSE(mapping::valid_time_pattern("%H:%M"));
    CHECK_FALSE(mapping::valid_time_pattern("%Y-%m-%d %Q"));
}

TEST_CASE("name/value pairs and joined lists") {
    std::vector<std::pair<std::string, std::string>> p = {{"a", "1"}, {"b,c", "x=y%"}};
    std::string text = mapping::encode_pairs(p);
    CHECK(text == "a=1,b%2Cc=x%3Dy%25");
    CHECK(*mapping::decode_pairs(text) == p);
    CHECK(mapping::decode_pairs(" a = 1 , b=2 ")->size() == 2);
    CHECK(mapping::decode_pairs("")->empty());
    CHECK_FALSE(mapping::decode_pairs("novalue"));
    CHECK_FALSE(mapping::decode_pairs("a=%G1"));
    CHECK_FALSE(mapping::decode_pairs("a=%4"));
    Transform j;
    j.join = "serviceId";
    cmp::Record x, y;
    x.set("serviceId", "s1");
    y.set("serviceId", "s2");
    CHECK(j.read_list({x, y}) == "s1,s2");
}

TEST_CASE("templates") {
    auto t = Template::parse("{devId}::upnp:rootdevice");
    REQUIRE(t);
    CHECK(t->refs() == std::vector<std::string>{"devId"});
    CHECK(t->expand([](std::string_view n) { return n == "devId" ? std::optional<std::string>("uuid:1") : std::nullopt; }) ==
          "uuid:1::upnp:rootdevice");
    std::string missing;
    CHECK(t->expand({}, &missing) == "::upnp:rootdevice");
    CHECK(missing == "devId");
    CHECK(Template::parse("a {{literal}}")->expand({}) == "a {literal}");
    CHECK_FALSE(Template::parse("{open"));
    CHECK_FALSE(Template::parse("close}"));
    CHECK_FALSE(Template::parse("{}"));
    CHECK(Template::parse("plain")->is_literal());
}

TEST_CASE("field paths: find, select, build") {
    cmp::Record rec;
    cmp::Record lan;
    lan.set("ipAddr", "192.168.1.1");
    cmp::Record v1, v2;
    v1.set("name", "Status").set("value", "1");
    v2.set("name", "Target").set("value", "0");
    rec.add_list("lan", {lan}).add_list("var", {v1, v2}).set("upTime", "5");

    CHECK(*FieldPath::parse("upTime")->scalar(rec) == "5");
    CHECK(*FieldPath::parse("lan[0].ipAddr")->scalar(rec) == "192.168.1.1");
    CHECK_FALSE(FieldPath::parse("lan[1].ipAddr")->scalar(rec));
    CHECK_FALSE(FieldPath::parse("lan.ipAddr")->scalar(rec));
    auto byname = *FieldPath::parse("var[name={Name}].value");
    mapping::Vars vars = [](std::string_view n) { return n == "Name" ? std::optional<std::string>("Target") : std::nullopt; };
    CHECK(*byname.scalar(rec, vars) == "0");
    CHECK(byname.refs() == std::vector<std::string>{"Name"});
    CHECK(FieldPath::parse("lan[0]")->record(rec)->get("ipAddr") == "192.168.1.1");
    CHECK(FieldPath::parse("var")->list(rec)->size() == 2);

    cmp::Record out;
    FieldPath::parse("lan[0].dhcpMin")->assign(out, "10.0.0.2");
    FieldPath::parse("lan[0].dhcpMax")->assign(out, "10.0.0.9");
    FieldPath::parse("arg[name=x].value")->assign(out, "7");
    REQUIRE(out.list("lan"));
    CHECK(out.list("lan")->size() == 1);
    CHECK((*out.list("lan"))[0].get("dhcpMax") == "10.0.0.9");
    CHECK((*out.list("arg"))[0].get("name") == "x");
    CHECK((*out.list("arg"))[0].get("value") == "7");

    for (auto bad : {"", "a..b", "a[", "a[x]", "a[0]b", "1abc", "a[=1]", "a.b[99999]"})
        if (*bad) CHECK_FALSE(FieldPath::parse(bad));
    const auto& net = cmp::Catalogue::builtin().find("getRgNetInfo")->response;
    CHECK(FieldPath::parse("lan[0].ipAddr")->check(net));
    CHECK_FALSE(FieldPath::parse("lan.ipAddr")->check(net));
    CHECK_FALSE(FieldPath::parse("lan[0].nope")->check(net));
    CHECK_FALSE(FieldPath::parse("lan[0].ipAddr.x")->check(net));
    CHECK_FALSE(FieldPath::parse("lan[nope=1].ipAddr")->check(net));
}
