#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "bridge/cmp/catalogue.hpp"

using namespace cmp;

namespace {

std::vector<std::string> names_of(const std::vector<FieldSpec>& specs) {
    std::vector<std::string> v;
    for (const auto& s : specs) v.push_back(s.name);
    return v;
}

using Names = std::vector<std::string>;

Request valid_disk_request() {
    Request q;
    q.header = {"GW-0001", "tx-1", "2024-11-25T10:20:00Z"};
    q.function = "getRgDiskRsc";
    q.args.set("diskId", "usb1");
    return q;
}

Response valid_disk_response() {
    Response r;
    r.header = {"GW-0001", "tx-1", "2024-11-25T10:20:01Z"};
    r.function = "getRgDiskRsc";
    Record d;
    d.set("name", "usb1").set("totalMB", "30000").set("usedMB", "1000").set("freeMB", "29000");
    d.set("fsType", "vfat").set("status", "mounted");
    r.fields.add_list("disk", {d});
    return r;
}

}  // namespace

TEST_CASE("builtin catalogue holds every function of design/cmp-functions.md") {
    const auto& cat = Catalogue::builtin();
    const std::set<std::string> from_gateway = {
        "regRg", "authRg", "keepAliveRg", "deregRg", "notifyHomeDevEvent", "notifyHomeDevJoin",
        "notifyHomeDevLeave", "notifyRgUpgradeResult", "notifyRgSecAlert", "notifyRgRscAlert"};
    const std::set<std::string> to_gateway = {
        "getRgInfo", "getRgCpuRsc", "getRgMemRsc", "getRgDiskRsc", "getRgNetInfo", "setRgNetInfo",
        "getRgTrafficInfo", "getRgTime", "setRgTime", "rebootRg", "resetRg", "upgradeRgFirmware",
        "getRgLog", "backupRgConfig", "restoreRgConfig", "getHomeDevList", "getHomeDevDescUrl",
        "ctrlHomeDev", "getHomeDevState", "applyHomeDevEvent", "releaseHomeDevEvent"};
    CHECK(cat.functions().size() == from_gateway.size() + to_gateway.size());
    for (const auto& n : from_gateway) {
        const FunctionSpec* f = cat.find(n);
        REQUIRE_MESSAGE(f, n);
        CHECK_MESSAGE(f->direction == Direction::from_gateway, n);
        CHECK_FALSE(f->idempotent);
    }
    for (const auto& n : to_gateway) {
        const FunctionSpec* f = cat.find(n);
        REQUIRE_MESSAGE(f, n);
        CHECK_MESSAGE(f->direction == Direction::to_gateway, n);
        CHECK_MESSAGE(f->idempotent == (n.rfind("get", 0) == 0), n);
    }
    CHECK(cat.find("nope") == nullptr);
}

TEST_CASE("catalogue fields are named as in the design") {
    const auto& cat = Catalogue::builtin();
    CHECK(names_of(cat.find("getRgInfo")->response) ==
          Names{"manufacturer", "oui", "modelName", "productClass", "serialNumber", "hwVersion", "swVersion", "upTime"});
    CHECK(names_of(cat.find("regRg")->request) ==
          Names{"rgId", "manufacturer", "oui", "modelName", "productClass", "serialNumber", "hwVersion", "swVersion",
                "rgIpAddr", "rgCtrlUrl"});
    CHECK(names_of(cat.find("regRg")->response) == Names{"sessionId", "nonce", "keepAliveIntv"});
    const auto* disk = cat.find("getRgDiskRsc");
    CHECK(names_of(disk->request) == Names{"diskId"});
    CHECK_FALSE(disk->request[0].required);
    REQUIRE(disk->response.size() == 1);
    CHECK(disk->response[0].type == Type::List);
    CHECK(names_of(disk->response[0].item_fields) ==
          Names{"name", "totalMB", "usedMB", "freeMB", "fsType", "status"});
    CHECK(disk->response[0].item_fields[1].unit == "MB");
    const auto* cpu = cat.find("getRgCpuRsc");
    CHECK(cpu->response_field("cpuUsage")->unit == "%");
    CHECK(names_of(cpu->response_field("proc")->item_fields) == Names{"pid", "cmd", "size", "cpuTime", "state"});
    CHECK(names_of(cat.find("getHomeDevList")->response_field("dev")->item_fields) ==
          Names{"devId", "deviceType", "friendlyName", "manufacturer", "modelName", "ipAddr", "macAddr", "active"});
    CHECK(names_of(cat.find("getRgNetInfo")->response_field("wan")->item_fields) ==
          Names{"type", "status", "ipAddr", "mask", "gateway", "dns", "mac", "upTime"});
    CHECK(names_of(cat.find("getRgNetInfo")->response_field("lan")->item_fields) ==
          Names{"ipAddr", "mask", "dhcpEnable", "dhcpMin", "dhcpMax", "leaseTime"});
    CHECK(names_of(cat.find("getRgTime")->response) ==
          Names{"ntpServer1", "ntpServer2", "ntpServer3", "ntpServer4", "ntpServer5", "localTimeZone",
                "currentLocalTime"});
    CHECK(names_of(cat.find("upgradeRgFirmware")->request) ==
          Names{"fwUrl", "fwVersion", "fileSize", "userName", "password", "delaySec"});
    CHECK(cat.find("upgradeRgFirmware")->request_field("password")->sensitive);
    CHECK(names_of(cat.find("notifyRgUpgradeResult")->request) ==
          Names{"fwVersion", "resultCode", "startTime", "completeTime"});
    CHECK(names_of(cat.find("applyHomeDevEvent")->request) == Names{"devId", "serviceId", "varName", "duration"});
    CHECK(names_of(cat.find("applyHomeDevEvent")->response) == Names{"eventId"});
    CHECK(names_of(cat.find("releaseHomeDevEvent")->request) == Names{"eventId"});
}

TEST_CASE("validate accepts well-formed messages") {
    const auto& cat = Catalogue::builtin();
    CHECK(cat.validate(valid_disk_request()));
    CHECK(cat.validate(valid_disk_response()));
    Request q = valid_disk_request();
    q.args.fields.clear();  // diskId is optional
    CHECK(cat.validate(q));
}

TEST_CASE("validate reports unknown function, unknown and missing fields, bad types") {
    const auto& cat = Catalogue::builtin();
    auto expect = [](const core::Status& st, std::string_view code, std::string_view fragment) {
        REQUIRE_FALSE(st);
        CHECK(st.error().code == code);
        CHECK_MESSAGE(st.error().message.find(fragment) != std::string::npos, st.error().message);
    };
    Request q = valid_disk_request();
    q.function = "getRgDisk";
    expect(cat.validate(q), "cmp.unknown_function", "getRgDisk");

    q = valid_disk_request();
    q.args.set("color", "red");
    expect(cat.validate(q), "cmp.unknown_field", "getRgDiskRsc.color");

    q = valid_disk_request();
    q.args.fields.push_back(q.args.fields[0]);
    expect(cat.validate(q), "cmp.duplicate_field", "diskId");

    q = valid_disk_request();
    q.args.add_list("diskId", {});
    expect(cat.validate(q), "cmp.bad_type", "expected string, got a list");

    q = valid_disk_request();
    q.header.time_stamp = "yesterday";
    expect(cat.validate(q), "cmp.bad_header", "timeStamp");
    q = valid_disk_request();
    q.header.rg_id.clear();
    expect(cat.validate(q), "cmp.bad_header", "rgId");
    q = valid_disk_request();
    q.header.transaction_id.clear();
    expect(cat.validate(q), "cmp.bad_header", "transactionId");

    Response r = valid_disk_response();
    (*r.fields.list("disk"))[0].set("totalMB", "-5");
    expect(cat.validate(r), "cmp.bad_type", "getRgDiskRscResponse.disk[0].totalMB: '-5' is not a valid unsignedInt");
    r = valid_disk_response();
    (*r.fields.list("disk"))[0].erase("fsType");
    expect(cat.validate(r), "cmp.missing_field", "disk[0].fsType");
    r = valid_disk_response();
    r.fields.set("disk", "flat");
    expect(cat.validate(r), "cmp.bad_type", "expected a list");
    r = valid_disk_response();
    r.fields.fields.clear();
    expect(cat.validate(r), "cmp.missing_field", "getRgDiskRscResponse.disk");
    r.result_code = result_code::resource_unavailable;  // failed responses need no fields
    CHECK(cat.validate(r));
    r.fields.set("bogus", "1");
    expect(cat.validate(r), "cmp.unknown_field", "bogus");
}

TEST_CASE("validate: body rgId must match the header, sensitive values stay hidden") {
    const auto& cat = Catalogue::builtin();
    Request q;
    q.header = {"GW-1", "t", "2024-11-25T10:20:00Z"};
    q.function = "deregRg";
    q.args.set("rgId", "GW-2");
    auto st = cat.validate(q);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == "cmp.rg_id_mismatch");
    q.args.set("rgId", "GW-1");
    CHECK(cat.validate(q));

    Request u;
    u.header = q.header;
    u.function = "upgradeRgFirmware";
    u.args.set("fwUrl", "http://x/fw.bin").set("fwVersion", "V2").set("fileSize", "10");
    u.args.set("userName", "u").set("password", std::string("se\x01cret"));
    auto bad = cat.validate(u);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("cret") == std::string::npos);
}

TEST_CASE("lexical spaces") {
    CHECK(valid_lexical(Type::Int, "-2147483648"));
    CHECK_FALSE(valid_lexical(Type::Int, "2147483648"));
    CHECK(valid_lexical(Type::Int, " +7 "));
    CHECK_FALSE(valid_lexical(Type::Int, "+-7"));
    CHECK_FALSE(valid_lexical(Type::Int, "-"));
    CHECK(valid_lexical(Type::UnsignedInt, "4294967295"));
    CHECK_FALSE(valid_lexical(Type::UnsignedInt, "4294967296"));
    CHECK_FALSE(valid_lexical(Type::UnsignedInt, "-1"));
    CHECK_FALSE(valid_lexical(Type::UnsignedInt, ""));
    CHECK_FALSE(valid_lexical(Type::UnsignedInt, "1.5"));
    CHECK(valid_lexical(Type::UnsignedLong, "18446744073709551615"));
    CHECK_FALSE(valid_lexical(Type::UnsignedLong, "18446744073709551616"));
    for (const char* b : {"true", "false", "1", "0", "\ntrue "}) CHECK(valid_lexical(Type::Boolean, b));
    for (const char* b : {"TRUE", "yes", "", "2"}) CHECK_FALSE(valid_lexical(Type::Boolean, b));
    CHECK(valid_lexical(Type::DateTime, "2024-11-25T10:20:00Z"));
    CHECK_FALSE(valid_lexical(Type::DateTime, "now"));
    CHECK(valid_lexical(Type::String, "tab\tnewline\n<&>"));
    CHECK_FALSE(valid_lexical(Type::String, std::string("nul\0byte", 8)));
}

TEST_CASE("catalogue construction refuses inconsistent tables") {
    FunctionSpec f;
    f.name = "x";
    CHECK_THROWS_AS(Catalogue({f, f}), std::invalid_argument);
    FunctionSpec bad_name;
    bad_name.name = "has space";
    CHECK_THROWS_AS(Catalogue({bad_name}), std::invalid_argument);
    FunctionSpec list_without_items;
    list_without_items.name = "y";
    list_without_items.response.push_back(FieldSpec{"l", Type::List});
    CHECK_THROWS_AS(Catalogue({list_without_items}), std::invalid_argument);
    FunctionSpec reserved;
    reserved.name = "z";
    reserved.response.push_back(FieldSpec{"resultCode", Type::Int});
    CHECK_THROWS_AS(Catalogue({reserved}), std::invalid_argument);
    FunctionSpec ok;
    ok.name = "renamedFn";
    ok.request.push_back(FieldSpec{"a", Type::String, true});
    Catalogue c({ok});
    CHECK(c.find("renamedFn"));
}

TEST_CASE("docs/cmp-protocol.md documents every function and field of the catalogue") {
    std::ifstream in(std::string(BRIDGE_SOURCE_DIR) + "/docs/cmp-protocol.md");
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    for (const auto& f : Catalogue::builtin().functions()) {
        auto at = doc.find("\n### " + f.name + "\n");
        REQUIRE_MESSAGE(at != std::string::npos, "no section for " << f.name);
        auto end = doc.find("\n### ", at + 5);
        std::string section = doc.substr(at, end == std::string::npos ? std::string::npos : end - at);
        std::function<void(const std::vector<FieldSpec>&)> check = [&](const std::vector<FieldSpec>& specs) {
            for (const auto& s : specs) {
                CHECK_MESSAGE(section.find("`" + s.name + "`") != std::string::npos, f.name << ": " << s.name);
                check(s.item_fields);
            }
        };
        check(f.request);
        check(f.response);
    }
}
