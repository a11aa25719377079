#include <doctest/doctest.h>

#include "bridge/cmp/message.hpp"

using namespace cmp;

TEST_CASE("Record: set replaces or appends, keeps order") {
    Record r;
    r.set("a", "1").set("b", "2").set("a", "3");
    REQUIRE(r.fields.size() == 2);
    CHECK(r.fields[0].name == "a");
    CHECK(*r.scalar("a") == "3");
    CHECK(r.get("b") == "2");
    CHECK(r.get("zz", "dflt") == "dflt");
    CHECK(r.scalar("zz") == nullptr);
    CHECK(r.list("a") == nullptr);
}

TEST_CASE("Record: lists") {
    Record item;
    item.set("name", "sda1");
    Record r;
    r.add_list("disk", {item, item});
    REQUIRE(r.list("disk"));
    CHECK(r.list("disk")->size() == 2);
    CHECK(r.scalar("disk") == nullptr);
    CHECK(r.find("disk")->is_list());
    r.add_list("disk", {});
    CHECK(r.list("disk")->empty());
    CHECK(r.fields.size() == 1);
    CHECK(r.erase("disk"));
    CHECK_FALSE(r.erase("disk"));
    CHECK(r.fields.empty());
}

TEST_CASE("Record equality is deep") {
    Record a, b;
    Record i;
    i.set("x", "1");
    a.add_list("l", {i});
    b.add_list("l", {i});
    CHECK(a == b);
    (*b.list("l"))[0].set("x", "2");
    CHECK_FALSE(a == b);
}

TEST_CASE("make_response copies correlation fields") {
    Request q;
    q.header = {"GW-1", "t-9", "2024-01-01T00:00:00Z"};
    q.function = "getRgInfo";
    auto r = make_response(q, result_code::busy, "later");
    CHECK(r.function == "getRgInfo");
    CHECK(r.header.rg_id == "GW-1");
    CHECK(r.header.transaction_id == "t-9");
    CHECK(r.header.time_stamp.empty());
    CHECK(r.result_code == 5);
    CHECK_FALSE(r.ok());
}

TEST_CASE("result code names and retryability") {
    CHECK(result_code_name(0) == "success");
    CHECK(result_code_name(result_code::device_not_found) == "device_not_found");
    CHECK(result_code_name(result_code::peer_fault) == "peer_fault");
    CHECK(result_code_name(99) == "unknown");
    CHECK(result_code_name(-1) == "unknown");
    CHECK(is_retryable(result_code::busy));
    CHECK(is_retryable(result_code::timeout));
    CHECK_FALSE(is_retryable(result_code::invalid_argument));
}

TEST_CASE("names") {
    CHECK(is_valid_name("getRgInfo"));
    CHECK(is_valid_name("X_HUAWEI_Foo-1.2"));
    CHECK_FALSE(is_valid_name(""));
    CHECK_FALSE(is_valid_name("1abc"));
    CHECK_FALSE(is_valid_name("a b"));
    CHECK_FALSE(is_valid_name("a:b"));
    CHECK_FALSE(is_valid_name("<x>"));
}

TEST_CASE("dateTime format and parse") {
    CHECK(format_date_time(0) == "1970-01-01T00:00:00Z");
    CHECK(format_date_time(1732530000) == "2024-11-25T10:20:00Z");
    CHECK(format_date_time(951782400) == "2000-02-29T00:00:00Z");
    CHECK(parse_date_time("2024-11-25T10:20:00Z") == 1732530000);
    CHECK(parse_date_time("2024-11-25T10:20:00") == 1732530000);
    CHECK(parse_date_time("2024-11-25T13:20:00+03:00") == 1732530000);
    CHECK(parse_date_time("2024-11-25T07:20:00.123-03:00") == 1732530000);
    CHECK(parse_date_time("2013-08-16T17:14:42.000Z") == 1376673282);
    CHECK(parse_date_time("0001-01-01T00:00:00Z").has_value());
    for (std::int64_t t : {0LL, 86399LL, 951868800LL, 4102444800LL, 1732530000LL})
        CHECK(parse_date_time(format_date_time(t)) == t);
    for (const char* bad : {"", "2024-11-25", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                            "2024-11-25T24:00:00Z", "2024-11-25T10:20:00ZZ", "2024-11-25 10:20:00Z",
                            "2024-11-25T10:20:00.Z", "2024-11-25T10:20:00+3:00", "abcd-11-25T10:20:00Z"})
        CHECK_MESSAGE(!parse_date_time(bad), bad);
}
