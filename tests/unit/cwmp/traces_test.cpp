// Recorded CWMP traffic from ../shared/traces: GenieACS sessions, a real
// Baicells eNodeB capture and the cwmp_ex parser fixtures (valid and invalid).
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "bridge/cwmp/codec.hpp"
#include "samples.hpp"

using namespace cwmp;
namespace fs = std::filesystem;

namespace {

// Fails the test when ../shared/traces is missing (test_shared::path).
#define REQUIRE_SHARED(var)             \
    auto var = cwmp_test::shared_dir(); \
    if (!var) return

core::Result<Envelope> decode_file(const fs::path& p) { return decode(cwmp_test::read_file(p)); }

// What we decode we can write and read back unchanged.
void check_reencodes(const Envelope& env) {
    auto again = decode(encode(env));
    REQUIRE(again.ok());
    CHECK(*again == env);
}

using Check = std::function<void(const Envelope&)>;

void run_session(const fs::path& dir, const std::map<std::string, Check>& checks) {
    auto files = cwmp_test::files_in(dir, ".xml");
    CHECK(files.size() == checks.size());
    for (const auto& f : files) {
        CAPTURE(f.filename().string());
        auto r = decode_file(f);
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().code + ": " + r.error().message));
        CHECK(r->version == Version::v1_0);
        auto it = checks.find(f.filename().string());
        REQUIRE(it != checks.end());
        it->second(*r);
        check_reencodes(*r);
    }
}

std::string lower_alnum(std::string_view s) {
    std::string out;
    for (char c : s)
        if (std::isalnum(static_cast<unsigned char>(c)))
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

TEST_CASE("GenieACS 1.2.16 session 1 (BOOTSTRAP, GPN, GPV, SPV, Reboot)") {
    REQUIRE_SHARED(shared);
    run_session(
        *shared / "traces" / "genieacs-1.2.16-session1",
        {
            {"01-acs-InformResponse.xml",
             [](const Envelope& e) {
                 CHECK(e.id == "1");
                 CHECK(std::get<InformResponse>(e.body).max_envelopes == 1);
             }},
            {"01-cpe-Inform.xml",
             [](const Envelope& e) {
                 const auto& m = std::get<Inform>(e.body);
                 CHECK(m.device_id == DeviceId{"ExampleCorp", "001122", "RG1000", "SN0001"});
                 CHECK(m.events == std::vector<EventStruct>{{"0 BOOTSTRAP", ""}, {"1 BOOT", ""}});
                 CHECK(m.current_time == "2024-01-01T00:00:00Z");
                 REQUIRE(m.parameters.size() == 5);
                 CHECK(m.parameters[0] == ParameterValue{"InternetGatewayDevice.DeviceSummary",
                                                         "InternetGatewayDevice:1.4[](Baseline:1)", "xsd:string"});
                 CHECK(m.parameters[4].value.empty());
             }},
            {"02-acs-GetParameterNames.xml",
             [](const Envelope& e) {
                 CHECK(e.id == "1a21217dbe60000");
                 CHECK(std::get<GetParameterNames>(e.body) == GetParameterNames{"InternetGatewayDevice.", true});
             }},
            {"03-acs-GetParameterNames.xml",
             [](const Envelope& e) {
                 CHECK(std::get<GetParameterNames>(e.body).parameter_path == "InternetGatewayDevice.ManagementServer.");
             }},
            {"03-cpe-GetParameterNamesResponse.xml",
             [](const Envelope& e) {
                 const auto& p = std::get<GetParameterNamesResponse>(e.body).parameters;
                 REQUIRE(p.size() == 3);
                 CHECK(p[0] == ParameterInfo{"InternetGatewayDevice.DeviceInfo.", false});
             }},
            {"04-acs-GetParameterValues.xml",
             [](const Envelope& e) {
                 CHECK(std::get<GetParameterValues>(e.body).names ==
                       std::vector<std::string>{"InternetGatewayDevice.ManagementServer.PeriodicInformInterval",
                                                "InternetGatewayDevice.ManagementServer.URL"});
             }},
            {"04-cpe-GetParameterNamesResponse.xml",
             [](const Envelope& e) {
                 const auto& p = std::get<GetParameterNamesResponse>(e.body).parameters;
                 REQUIRE(p.size() == 4);
                 CHECK(p[2] == ParameterInfo{"InternetGatewayDevice.ManagementServer.PeriodicInformInterval", true});
             }},
            {"05-acs-SetParameterValues.xml",
             [](const Envelope& e) {
                 const auto& m = std::get<SetParameterValues>(e.body);
                 CHECK(m.parameter_key.empty());
                 CHECK(m.parameters ==
                       std::vector<ParameterValue>{{"InternetGatewayDevice.ManagementServer.PeriodicInformInterval",
                                                    "900", "xsd:unsignedInt"}});
             }},
            {"05-cpe-GetParameterValuesResponse.xml",
             [](const Envelope& e) {
                 const auto& p = std::get<GetParameterValuesResponse>(e.body).parameters;
                 REQUIRE(p.size() == 2);
                 CHECK(p[1] == ParameterValue{"InternetGatewayDevice.ManagementServer.URL", "http://127.0.0.1:7547/",
                                              "xsd:string"});
             }},
            {"06-acs-Reboot.xml", [](const Envelope& e) { CHECK(std::get<Reboot>(e.body).command_key.empty()); }},
            {"06-cpe-SetParameterValuesResponse.xml",
             [](const Envelope& e) { CHECK(std::get<SetParameterValuesResponse>(e.body).status == 0); }},
            {"07-cpe-RebootResponse.xml",
             [](const Envelope& e) {
                 CHECK(e.id == "1a21217dbe60200");
                 CHECK(std::holds_alternative<RebootResponse>(e.body));
             }},
        });
}

TEST_CASE("GenieACS 1.2.16 session 2 (1 BOOT, M Reboot)") {
    REQUIRE_SHARED(shared);
    run_session(
        *shared / "traces" / "genieacs-1.2.16-session2",
        {
            {"01-acs-InformResponse.xml",
             [](const Envelope& e) { CHECK(std::get<InformResponse>(e.body).max_envelopes == 1); }},
            {"01-cpe-Inform.xml",
             [](const Envelope& e) {
                 CHECK(std::get<Inform>(e.body).events == std::vector<EventStruct>{{"1 BOOT", ""}, {"M Reboot", ""}});
             }},
        });
}

TEST_CASE("Baicells QRTB eNodeB with magma's ACS: every message decodes") {
    REQUIRE_SHARED(shared);
    auto files = cwmp_test::files_in(*shared / "traces" / "magma-baicells-qrtb" / "msgs", ".xml");
    CHECK(files.size() >= 28);
    std::map<std::string, Envelope> by_name;
    for (const auto& f : files) {
        CAPTURE(f.filename().string());
        std::string xml = cwmp_test::read_file(f);
        if (xml.find_first_not_of(" \t\r\n") == std::string::npos) continue;
        auto r = decode(xml);
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().code + ": " + r.error().message));
        CHECK(r->version == Version::v1_0);
        // File names say which RPC they hold: NNN-cK-req|resp-<RPC>.xml.
        std::string stem = f.stem().string();
        CHECK(stem.substr(stem.rfind('-') + 1) == rpc_name(r->body));
        check_reencodes(*r);
        by_name.emplace(f.filename().string(), std::move(*r));
    }
    const auto& inform = std::get<Inform>(by_name.at("001-c1-req-Inform.xml").body);
    CHECK(inform.device_id == DeviceId{"Baicells", "48BF74", "FAP/pBS31010/CA", "1202000291213VB0009"});
    CHECK(inform.events == std::vector<EventStruct>{{"2 PERIODIC", ""}});
    CHECK(inform.current_time == "2022-04-25T10:11:42-06:00");
    REQUIRE(inform.parameters.size() == 19);
    CHECK(inform.parameters[1] == ParameterValue{"Device.DeviceInfo.ProvisioningCode", "", ""});
    CHECK(inform.parameters[2] == ParameterValue{"Device.DeviceInfo.SAS.RadioEnable", "false", "xsd:boolean"});

    const auto& ack = by_name.at("002-c1-resp-InformResponse.xml");
    CHECK(ack.id == "null");

    const auto& gpv =
        std::get<GetParameterValuesResponse>(by_name.at("005-c1-req-GetParameterValuesResponse.xml").body);
    CHECK(std::find(gpv.parameters.begin(), gpv.parameters.end(),
                    ParameterValue{"Device.FAP.GPS.LockedLongitude", "-105272994", "xsd:int"}) != gpv.parameters.end());

    const auto& spv = std::get<SetParameterValues>(by_name.at("020-c2-resp-SetParameterValues.xml").body);
    CHECK(spv.parameter_key.empty());  // magma omits it
    CHECK(spv.parameters == std::vector<ParameterValue>{{"Device.DeviceInfo.SAS.RadioEnable", "1", "xsd:boolean"}});
    CHECK(std::get<SetParameterValuesResponse>(by_name.at("021-c2-req-SetParameterValuesResponse.xml").body).status ==
          0);
}

TEST_CASE("cwmp_ex fixtures: PASS decode to their RPC, FAIL decode sanely or are refused") {
    REQUIRE_SHARED(shared);
    fs::path dir = *shared / "traces" / "cwmp_ex-parser-fixtures";
    std::istringstream validation(cwmp_test::read_file(dir / "VALIDATION.txt"));
    // Invalid fixtures whose fault lies in a value we must not guess around.
    const std::map<std::string, std::string> refused = {
        {"download__sample2.xml", "cwmp.bad_number"},               // FileSize "foo"
        {"delete_object_response__sample3.xml", "cwmp.bad_value"},  // Status 2
        {"download_response__sample2.xml", "cwmp.bad_value"},
        {"upload_response__sample2.xml", "cwmp.bad_value"},
    };
    int pass = 0, fail = 0, refused_seen = 0;
    for (std::string line; std::getline(validation, line);) {
        bool valid = line.starts_with("PASS ");
        if (!valid && !line.starts_with("FAIL ")) continue;
        std::string file = line.substr(5, line.find_first_of(": ", 5) - 5);
        CAPTURE(file);
        auto r = decode_file(dir / file);
        (valid ? pass : fail)++;
        if (auto it = refused.find(file); it != refused.end()) {
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == it->second);
            CHECK_FALSE(r.error().message.empty());
            ++refused_seen;
            continue;
        }
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().code + ": " + r.error().message));
        // The file name names the RPC: get_rpc_methods_response__sample.xml.
        CHECK(lower_alnum(rpc_name(r->body)) == lower_alnum(file.substr(0, file.find("__"))));
        check_reencodes(*r);
    }
    CHECK(pass == 34);
    CHECK(fail == 39);
    CHECK(refused_seen == static_cast<int>(refused.size()));

    auto fault = decode_file(dir / "fault__sample.xml");
    REQUIRE(fault.ok());
    CHECK(std::get<Fault>(fault->body) == Fault{9005, "Invalid parameter name", {}});
    auto zyxel = decode_file(dir / "inform__sample_2601.xml");
    REQUIRE(zyxel.ok());
    CHECK(zyxel->no_more_requests);
    CHECK(std::get<Inform>(zyxel->body).parameters.size() == 8);
    auto spv = decode_file(dir / "set_parameter_values__sample.xml");  // xsd:type instead of xsi:type
    REQUIRE(spv.ok());
    CHECK(std::get<SetParameterValues>(spv->body).parameters[0] == ParameterValue{"Device.Test", "Foo", ""});
    auto du = decode_file(dir / "change_du_state__sample.xml");  // a 1-2 RPC under the 1-0 namespace
    REQUIRE(du.ok());
    CHECK(std::get<UnknownRpc>(du->body).name == "ChangeDUState");
    auto gpa = decode_file(dir / "get_parameter_attributes_response__sample.xml");
    REQUIRE(gpa.ok());
    CHECK(std::get<GetParameterAttributesResponse>(gpa->body).parameters[1] ==
          ParameterAttribute{"InternetGatewayDevice.DeviceInfo.SoftwareVersion", 2, {"Subscriber"}});
}

TEST_CASE("truncated recordings are refused, each one; corrupted ones are refused or decode sanely") {
    REQUIRE_SHARED(shared);
    // Real sessions: each message decodes as recorded.
    std::vector<fs::path> recorded;
    for (const char* d : {"genieacs-1.2.16-session1", "magma-baicells-qrtb/msgs"})
        for (auto& f : cwmp_test::files_in(*shared / "traces" / d, ".xml")) recorded.push_back(f);
    REQUIRE(recorded.size() >= 10);
    std::vector<fs::path> files = cwmp_test::files_in(*shared / "traces" / "cwmp_ex-parser-fixtures", ".xml");
    files.insert(files.end(), recorded.begin(), recorded.end());
    std::size_t truncated = 0, flips_refused = 0, flips_decoded = 0;
    for (const auto& f : files) {
        CAPTURE(f.string());
        const std::string xml = cwmp_test::read_file(f);
        if (std::find(recorded.begin(), recorded.end(), f) != recorded.end()) {
            auto whole = decode(xml);
            CHECK_MESSAGE(whole.ok(), (whole.ok() ? "" : whole.error().code + ": " + whole.error().message));
        }
        // Cut anywhere before the root element's last '>', a message is not
        // well-formed XML: every cut must be refused, with a reason.
        const std::size_t end = xml.rfind('>');
        REQUIRE(end != std::string::npos);
        for (std::size_t cut = 0; cut < end; cut += 97) {
            CAPTURE(cut);
            auto r = decode(std::string_view(xml).substr(0, cut));
            REQUIRE_FALSE(r.ok());
            CHECK_FALSE(r.error().code.empty());
            ++truncated;
        }
        // A flipped byte may land in text and leave a valid message: then it
        // must decode to something that re-encodes to itself.
        std::string flipped = xml;
        for (std::size_t i = 0; i < flipped.size(); i += 131) {
            CAPTURE(i);
            char saved = flipped[i];
            flipped[i] = "<>&\"/ x\0"[i % 8];
            if (auto r = decode(flipped); r.ok()) {
                check_reencodes(*r);
                ++flips_decoded;
            } else {
                CHECK_FALSE(r.error().code.empty());
                ++flips_refused;
            }
            flipped[i] = saved;
        }
    }
    CHECK(truncated > files.size());
    // Both outcomes happen: the corruption reached the CWMP layer, not only the XML parser.
    CHECK(flips_refused > 0);
    CHECK(flips_decoded > 0);
}
