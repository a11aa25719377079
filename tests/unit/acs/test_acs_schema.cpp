// Everything acs::CpeSession answers a CPE validates against the strict BBF
// schemas (../shared/bbf, xmllint with the strict SOAP catalog), in every
// namespace a CPE may use: InformResponse, the discovery RPCs, the queued
// RPCs, the answers to the CPE's requests and the ACS faults (8000, 8001, 8003).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/unit/acs/acs_helpers.hpp"

using namespace acs_test;
namespace fs = std::filesystem;

namespace {

// Plays one session in version v and returns every envelope the ACS sent.
std::vector<std::pair<std::string, std::string>> session_output(cwmp::Version v) {
    std::vector<std::pair<std::string, std::string>> out;
    auto keep = [&](const std::string& what, const http::Response& r) {
        REQUIRE(r.status == 200);
        out.emplace_back(what, r.body);
        return sent(r);
    };
    acs::CpeRecord record;
    record.watch = {"LANDevice.{i}.Hosts.Host.{i}.Active"};
    acs::RpcQueue queue;
    std::vector<cwmp::Body> queued = {
        cwmp::SetParameterValues{{{"InternetGatewayDevice.ManagementServer.PeriodicInformInterval", "60", "xsd:unsignedInt"}}, "k1"},
        cwmp::AddObject{"InternetGatewayDevice.LANDevice.1.Hosts.Host.", "k2"},
        cwmp::DeleteObject{"InternetGatewayDevice.LANDevice.1.Hosts.Host.2.", "k3"},
        cwmp::Download{"dl", "1 Firmware Upgrade Image", "http://files.example.net/fw.bin", "", "", 1000, "", 0, "", ""},
        cwmp::Reboot{"rb"},
        cwmp::FactoryReset{},
    };
    for (auto& b : queued) REQUIRE(queue.enqueue(b, [](acs::RpcResult) {}));
    acs::CpeSession s(record, queue, "schema0123456789");
    keep("InformResponse", s.start(first_inform(post(inform({{"0 BOOTSTRAP", ""}}), "i1", v)), kT0));
    keep("TransferCompleteResponse", s.on_post(post(cwmp::TransferComplete{"dl0", {}, "", ""}, "t1", v)));
    keep("GetRPCMethodsResponse", s.on_post(post(cwmp::GetRPCMethods{}, "m1", v)));
    keep("Fault8001", s.on_post(post(inform(), "i2", v)));
    http::Request undecodable = empty_post();
    undecodable.body = "<x/>";
    keep("Fault8003", s.on_post(undecodable));
    http::Request kicked = empty_post();
    kicked.body = std::string(R"(<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp=")") +
                  std::string(cwmp::namespace_uri(v)) +
                  R"("><soap-env:Body><cwmp:Kicked><Command>x</Command></cwmp:Kicked></soap-env:Body></soap-env:Envelope>)";
    keep("Fault8000", s.on_post(kicked));

    auto rpc = keep("GetParameterNames", s.on_post(empty_post()));
    rpc = keep("SetParameterAttributes", s.on_post(post(igd_names(), rpc.id, v)));
    rpc = keep("GetParameterValues", s.on_post(post(cwmp::SetParameterAttributesResponse{}, rpc.id, v)));
    http::Response r = s.on_post(post(cwmp::GetParameterValuesResponse{}, rpc.id, v));
    for (const auto& b : queued) {
        rpc = keep(std::string(cwmp::rpc_name(b)), r);
        r = s.on_post(post(cwmp::Fault{9001, "no", {}}, rpc.id, v));
    }
    CHECK(r.status == 204);
    return out;
}

}  // namespace

TEST_CASE("what the ACS sends validates against the strict BBF schemas in every namespace") {
    auto bbf = test_shared::path("bbf/cwmp-any-version.xsd");
    if (!bbf || !test_shared::tool("xmllint", "libxml2-utils")) return;
    fs::path dir = fs::temp_directory_path() / ("acs-schema-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::vector<fs::path> files;
    for (auto v : {cwmp::Version::v1_0, cwmp::Version::v1_1, cwmp::Version::v1_2}) {
        for (const auto& [what, xml] : session_output(v)) {
            fs::path f = dir / (std::string(cwmp::to_string(v)) + "-" + what + ".xml");
            std::ofstream(f, std::ios::binary) << xml;
            files.push_back(f);
        }
    }
    REQUIRE(files.size() == 3 * 15);
    std::string cmd = "XML_CATALOG_FILES='" + (bbf->parent_path() / "soap-catalog-strict.xml").string() +
                      "' xmllint --nonet --noout --schema '" + bbf->string() + "'";
    for (const auto& f : files) cmd += " '" + f.string() + "'";
    const fs::path log = dir / "xmllint.log";
    cmd += " > '" + log.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    REQUIRE(rc != -1);
    REQUIRE(WIFEXITED(rc));
    const std::string output = read_file(log);
    REQUIRE_MESSAGE((WEXITSTATUS(rc) == 0 || WEXITSTATUS(rc) == 3), output);
    for (const auto& f : files) {
        CAPTURE(f.filename().string());
        CHECK_MESSAGE(output.find(f.string() + " validates") != std::string::npos, output);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}
