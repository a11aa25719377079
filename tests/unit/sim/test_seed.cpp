// Seeding the model from the Huawei TR-098 dump.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/shared_paths.hpp"
#include "tests/unit/sim/sim_test_util.hpp"

using namespace simtest;

namespace {
const std::string kData = "data/genieacs-sim_data_model_202BC1-BM632w-8KA8WA1151100043";
}  // namespace

TEST_CASE("load_seed reads the CSV and the JSON dump") {
    for (const char* ext : {".csv", ".json"}) {
        const auto found = test_shared::path(kData + ext);
        if (!found) continue;
        const std::string path = found->string();
        CAPTURE(path);
        auto seed = sim::GatewayModel::load_seed(path);
        REQUIRE_MESSAGE(seed, (seed ? "" : seed.error().message));
        CHECK(seed->manufacturer == "Huawei Technologies Co., Ltd.");
        CHECK(seed->oui == "202BC1");
        CHECK(seed->model_name == "BM632w");
        CHECK(seed->sw_version == "V100R001IRQC56B017");
        CHECK(seed->up_time == 213138);
        CHECK(seed->wan_ip == "172.3.89.139");
        CHECK(seed->wan_dns == "5.42.195.218,5.42.195.219");
        CHECK(seed->wan_counters[1] == 971470946);
        CHECK(seed->lan_ip == "192.168.1.1");
        CHECK(seed->dhcp_min == "192.168.1.2");
        CHECK(seed->dhcp_max == "192.168.1.254");
        CHECK(seed->lease_time == 86400);
        CHECK(seed->dhcp_enable);
        CHECK(seed->ntp[0] == "clock.fmt.he.net");
        CHECK(seed->ntp[4].empty());
        CHECK(seed->time_zone == "GMT+03:00");
        CHECK(cmp::parse_date_time(seed->current_time) == 1376673282);
        REQUIRE(seed->hosts.size() == 6);
        CHECK(seed->hosts[2].name == "Lena-PC");
        CHECK(seed->hosts[2].type == "Computer");
        CHECK(seed->wlan_counters[0] == 1040264440);

        Bench b("GW-0007", {}, *seed);
        auto info = b.call("getRgInfo");
        CHECK(info.fields.get("swVersion") == "V100R001IRQC56B017");
        CHECK(info.fields.get("upTime") == "213138");
        auto list = b.call("getHomeDevList", rec({{"deviceType", "Computer"}}));
        CHECK(list.fields.list("dev")->size() == 6);
    }
}

TEST_CASE("load_seed refuses what it cannot use") {
    auto missing = sim::GatewayModel::load_seed("/nonexistent/dump.csv");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == "sim.seed_unreadable");

    const std::string dir = std::filesystem::temp_directory_path().string();
    auto write = [&](const std::string& name, const std::string& text) {
        std::string p = dir + "/" + std::to_string(::getpid()) + "-" + name;
        std::ofstream(p) << text;
        return p;
    };
    std::string p1 = write("sim_seed_bad.csv", "Parameter,Object,Writable,Value,Value type\n\"unterminated,x\n");
    auto bad_csv = sim::GatewayModel::load_seed(p1);
    REQUIRE_FALSE(bad_csv);
    CHECK(bad_csv.error().code == "sim.seed_malformed");
    std::string p2 = write("sim_seed_other.json", "{\"Device.DeviceInfo.Manufacturer\": [false, \"X\", \"xsd:string\"]}");
    auto other = sim::GatewayModel::load_seed(p2);
    REQUIRE_FALSE(other);
    CHECK(other.error().code == "sim.seed_not_tr098");
    std::string p3 = write("sim_seed_broken.json", "{\"a\": [1, 2");
    auto broken = sim::GatewayModel::load_seed(p3);
    REQUIRE_FALSE(broken);
    CHECK(broken.error().code == "sim.seed_malformed");
    std::string p4 = write("sim_seed_header.csv", "name;value\n");
    CHECK(sim::GatewayModel::load_seed(p4).error().code == "sim.seed_malformed");
    for (const auto& p : {p1, p2, p3, p4}) std::remove(p.c_str());
}
