// A real Huawei BM632w (IGD:1.1 + vendor extensions, genieacs-sim dump in
// ../shared/data): the standard parameters it reports must be in the model
// with a compatible type, and its values must pass check_value, except for
// the deviations of this firmware listed below (which the bridge must relay,
// so check_value is for ACS writes, never a filter on gateway reports).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "bridge/datamodel/model.hpp"
#include "tests/shared_paths.hpp"

using namespace datamodel;

namespace {

// One CSV record; fields may be "quoted, with commas".
std::vector<std::string> csv_fields(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            out.back().push_back('"');
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            out.emplace_back();
        } else if (c != '\r') {
            out.back().push_back(c);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("a real IGD:1.1 gateway's values pass the IGD:1.1 facts but for its known deviations") {
    const auto csv = test_shared::path("data/genieacs-sim_data_model_202BC1-BM632w-8KA8WA1151100043.csv");
    if (!csv) return;
    auto m = Model::load("datamodels/InternetGatewayDevice-1.1.dm");
    REQUIRE(m.ok());
    std::ifstream in(*csv);
    std::string line;
    std::getline(in, line);  // header
    int checked = 0, type_differs = 0;
    std::set<std::string> deviations;
    while (std::getline(in, line)) {
        auto f = csv_fields(line);
        REQUIRE(f.size() == 5);
        const std::string &path = f[0], &value = f[3], &xsi = f[4];
        if (f[1] == "true" || path.rfind("InternetGatewayDevice.", 0) != 0 || path.find(".X_") != std::string::npos)
            continue;
        const Node* n = m->find(path);
        if (!n) continue;  // IGD:1.2+ parameters this firmware also has
        CAPTURE(path);
        CAPTURE(value);
        if (n->type.xsd_type() != xsi) {
            ++type_differs;  // e.g. Channel sent as xsd:int: interop the CWMP layer must tolerate
            continue;
        }
        auto st = check_value(n->type, value, false);
        if (!st) {
            CHECK(st.error().code == kErrValue);
            deviations.insert(path + "=" + value);
        }
        ++checked;
    }
    CHECK(checked > 210);
    // Range minimum 1 reported as 0, and non-standard enumeration values.
    CHECK(deviations == std::set<std::string>{
                            "InternetGatewayDevice.IPPingDiagnostics.DataBlockSize=0",
                            "InternetGatewayDevice.IPPingDiagnostics.NumberOfRepetitions=0",
                            "InternetGatewayDevice.IPPingDiagnostics.Timeout=0",
                            "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.BeaconType=WPAWPA2",
                            "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Standard=b/g/n",
                            "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Status=up",
                            "InternetGatewayDevice.WANDevice.1.WANCommonInterfaceConfig.WANAccessType=WiMAX",
                        });
    CHECK(type_differs <= 3);
}
