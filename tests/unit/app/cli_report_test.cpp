// validate/replay --format json|junit: what a CI system reads.
#include <doctest/doctest.h>

#include <string>

#include "bridge/app/cli_report.hpp"

using app::report::Item;

namespace {
std::vector<Item> sample() {
    Item ok{"mappings/tr098.yaml"};
    ok.summary = "InternetGatewayDevice:1.4";
    Item bad{"my \"table\".yaml", Item::Status::failed, "2 errors"};
    bad.problems.push_back({"my \"table\".yaml", 3, 5, "unknown key 'obects' <here>", "did you mean 'objects'?"});
    bad.problems.push_back({"base.yaml", 7, 1, "missing 'model'", ""});
    Item gone{"gone.yaml", Item::Status::error, "cannot read gone.yaml"};
    return {ok, bad, gone};
}
}  // namespace

TEST_CASE("json: one object per file with its status and every error's position") {
    std::string j = app::report::json("validate", sample());
    CHECK(j.starts_with("{\"command\":\"validate\",\"ok\":false,\"files\":["));
    CHECK(j.find("{\"file\":\"mappings/tr098.yaml\",\"status\":\"passed\"") != std::string::npos);
    CHECK(j.find(R"({"file":"my \"table\".yaml","line":3,"column":5,"message":"unknown key 'obects' <here>",)"
                 R"("detail":"did you mean 'objects'?"})") != std::string::npos);
    CHECK(j.find(R"({"file":"base.yaml","line":7,"column":1,"message":"missing 'model'"})") != std::string::npos);
    CHECK(j.find("\"status\":\"error\"") != std::string::npos);
    std::vector<Item> all_ok{sample()[0]};
    CHECK(app::report::json("replay", all_ok).find("\"ok\":true") != std::string::npos);
}

TEST_CASE("junit: a testcase per file, failure with the first message, error for unreadable files") {
    std::string x = app::report::junit("validate", sample());
    CHECK(x.find("<testsuite name=\"cmp-cwmp-bridge validate\" tests=\"3\" failures=\"1\" errors=\"1\"") !=
          std::string::npos);
    CHECK(x.find("<testcase classname=\"cmp-cwmp-bridge validate\" name=\"mappings/tr098.yaml\" time=\"0.000\"/>") !=
          std::string::npos);
    // Attribute and text escaping: the quotes and the angle brackets of the message.
    CHECK(x.find("name=\"my &quot;table&quot;.yaml\"") != std::string::npos);
    CHECK(x.find("<failure message=\"2 errors\">my &quot;table&quot;.yaml:3:5: unknown key &apos;obects&apos; "
                 "&lt;here&gt;\ndid you mean &apos;objects&apos;?\nbase.yaml:7:1: missing &apos;model&apos;\n</failure>") !=
          std::string::npos);
    CHECK(x.find("<error message=\"cannot read gone.yaml\">") != std::string::npos);
    // XML 1.0 cannot carry control characters at all.
    Item ctl{"x.yaml", Item::Status::failed, "bad\x01"};
    CHECK(app::report::junit("replay", {ctl}).find("message=\"bad?\"") != std::string::npos);
}

TEST_CASE("formats are parsed from their option names only") {
    app::report::Format f{};
    CHECK((app::report::parse_format("junit", f) && f == app::report::Format::junit));
    CHECK((app::report::parse_format("json", f) && f == app::report::Format::json));
    CHECK_FALSE(app::report::parse_format("xml", f));
}
