// The scripted HOMS's script: loading (and the errors a script author sees),
// field paths, expectations, ${variables}, call arguments with lists.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/tools/homs_script.hpp"

namespace {

core::Result<HomsScript> load_text(const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / "homs-script-test.yaml";
    std::ofstream(path) << text;
    auto s = load_homs_script(path.string());
    std::filesystem::remove(path);
    return s;
}

cmp::Record disks() {
    cmp::Record a, b, r;
    a.set("name", "flash0").set("totalMB", "128");
    b.set("name", "usb1").set("totalMB", "29806");
    r.set("diskCount", "2").add_list("disk", {a, b});
    return r;
}

}  // namespace

TEST_CASE("a script with every kind of step") {
    auto s = load_text(R"(steps:
  - wait_registered: 3
    timeout: 2.5
  - wait_registered: GW-0002
  - call: getRgDiskRsc
    gateway: "#2"
    args: {diskId: usb1}
    expect:
      resultCode: any
      fields: {"disk[0].name": usb1, "disk[0].fsType": {regex: "vfat|ext4"}}
      absent: ["disk[1]"]
    save: {d: "disk[0].name"}
  - wait_event: notifyHomeDevJoin
    since: previous
  - sleep: 0.25
)");
    REQUIRE(s);
    REQUIRE(s->steps.size() == 5);
    CHECK(s->steps[0].kind == HomsStep::Kind::wait_registered);
    CHECK(s->steps[0].count == 3);
    CHECK(s->steps[0].timeout == std::chrono::milliseconds(2500));
    CHECK(s->steps[1].gateway == "GW-0002");
    CHECK(s->steps[1].count == 0);
    const HomsStep& call = s->steps[2];
    CHECK(call.kind == HomsStep::Kind::call);
    CHECK(call.line == 5);
    CHECK(call.gateway == "#2");
    CHECK_FALSE(call.expect_result);
    REQUIRE(call.fields.size() == 2);
    CHECK(call.fields[1].is_regex);
    CHECK(call.absent == std::vector<std::string>{"disk[1]"});
    CHECK(call.save.at("d") == "disk[0].name");
    CHECK(s->steps[3].since_previous);
    CHECK(s->steps[3].gateway.empty());  // any gateway
    CHECK(s->steps[4].duration == std::chrono::milliseconds(250));
}

TEST_CASE("script errors name the line") {
    auto unknown = load_text("steps:\n  - sleep: 1\n  - dance: 2\n");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("line 3") != std::string::npos);
    auto regex = load_text("steps:\n  - call: getRgInfo\n    expect: {fields: {oui: {regex: \"[\"}}}\n");
    REQUIRE_FALSE(regex);
    CHECK(regex.error().message.find("bad regex") != std::string::npos);
    auto since = load_text("steps:\n  - wait_event: regRg\n    since: yesterday\n");
    REQUIRE_FALSE(since);
    CHECK_FALSE(load_text("nothing: here\n"));
    CHECK_FALSE(load_text("steps:\n  - call: getRgInfo\n    args: [1, 2]\n"));
}

TEST_CASE("field paths, expectations and variables") {
    const cmp::Record r = disks();
    CHECK(field_at(r, "diskCount") == std::optional<std::string>("2"));
    CHECK(field_at(r, "disk[1].name") == std::optional<std::string>("usb1"));
    CHECK_FALSE(field_at(r, "disk[2].name"));
    CHECK_FALSE(field_at(r, "disk"));         // a list, not a value
    CHECK_FALSE(field_at(r, "diskCount.x"));  // a scalar has no children
    CHECK(path_exists(r, "disk[1]"));
    CHECK_FALSE(path_exists(r, "disk[2]"));

    Variables vars{{"big", "29806"}};
    CHECK(check_fields({{"disk[0].name", "flash0", false}, {"disk[1].totalMB", "${big}", false}}, {}, r, vars).empty());
    CHECK(check_fields({{"disk[1].name", "usb[0-9]", true}}, {"disk[2]"}, r, vars).empty());
    const std::string wrong = check_fields({{"disk[0].name", "usb1", false}, {"nope", "x", false}}, {"disk[1]"}, r, vars);
    CHECK(wrong.find("disk[0].name is 'flash0', expected 'usb1'") != std::string::npos);
    CHECK(wrong.find("nope is missing") != std::string::npos);
    CHECK(wrong.find("disk[1] is present") != std::string::npos);
    // A regex matches the whole value.
    CHECK_FALSE(check_fields({{"disk[1].name", "usb", true}}, {}, r, vars).empty());
    CHECK(check_fields({{"diskCount", "${unset}", false}}, {}, r, vars).find("never saved") != std::string::npos);

    CHECK(substitute("a ${big} b", vars).value() == "a 29806 b");
    CHECK_FALSE(substitute("${other}", vars));
}

TEST_CASE("call arguments: scalars with variables, lists of records") {
    YAML::Node args = YAML::Load("{ntpServer1: \"${host}\", var: [{name: Status}, {name: Level}]}");
    auto rec = make_args(args, {{"host", "pool.ntp.org"}});
    REQUIRE(rec);
    CHECK(rec->get("ntpServer1") == "pool.ntp.org");
    REQUIRE(rec->list("var"));
    CHECK(rec->list("var")->size() == 2);
    CHECK((*rec->list("var"))[1].get("name") == "Level");
    CHECK_FALSE(make_args(YAML::Load("{x: \"${missing}\"}"), {}));
    CHECK(make_args(YAML::Node(), {})->fields.empty());
}
