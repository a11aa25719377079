// The state_backend setting, from bridge.yaml to the store the bridge opens:
// sqlite by default (importing the files an older bridge left), files on
// request, anything else refused at its file:line:col, and no silent switch
// back to files over a database that holds every CPE's state.
#include <doctest/doctest.h>

#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include "bridge/app/bridge.hpp"
#include "bridge/app/config.hpp"
#include "bridge/state/migrate.hpp"
#include "tests/unit/state/state_test_util.hpp"

using namespace state_test;

namespace {

core::Result<app::Config> load(const TempDir& tmp, const std::string& extra) {
    const fs::path file = tmp.path / "bridge.yaml";
    write_file(file, "acs: { url: \"http://127.0.0.1:9/acs\", username: u, password: p }\n"
                     "connection_request: { listen: \"127.0.0.1:0\" }\n"
                     "cmp: { listen: \"127.0.0.1:0\", require_auth: false }\n"
                     "state_dir: state\n" +
                         extra);
    return app::load_config(file.string());
}

}  // namespace

TEST_CASE("state_backend: sqlite by default, files on request, anything else refused where it is written") {
    TempDir tmp;
    auto def = load(tmp, "");
    REQUIRE(def.ok());
    CHECK(def->state_backend == app::StateBackend::sqlite);
    auto files = load(tmp, "state_backend: files\n");
    REQUIRE(files.ok());
    CHECK(files->state_backend == app::StateBackend::files);
    auto sqlite = load(tmp, "state_backend: sqlite\n");
    REQUIRE(sqlite.ok());
    CHECK(sqlite->state_backend == app::StateBackend::sqlite);

    auto bad = load(tmp, "state_backend: postgres\n");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("bridge.yaml:5:16: state_backend: 'postgres' is not a state backend "
                                   "(allowed: sqlite, files)") != std::string::npos);
    auto wrong_type = load(tmp, "state_backend: [sqlite]\n");
    REQUIRE_FALSE(wrong_type.ok());
    CHECK(wrong_type.error().message.find("bridge.yaml:5:16: state_backend: expected a string") != std::string::npos);
}

TEST_CASE("state_backend: the bridge opens the chosen store, migrating old files into the database") {
    TempDir tmp;
    const fs::path dir = tmp.path / "state";
    fs::create_directories(dir);
    write_file(dir / "GW-0001.yaml", "format: 1\ngateway_id: GW-0001\n");

    SUBCASE("files leaves the files where they are") {
        auto cfg = load(tmp, "state_backend: files\n");
        REQUIRE(cfg.ok());
        boost::asio::io_context ioc;
        app::Bridge bridge(ioc, *cfg);
        auto st = bridge.start();
        REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
        bridge.stop();
        CHECK(fs::exists(dir / "GW-0001.yaml"));
        CHECK_FALSE(fs::exists(dir / state::kStateDbName));
    }
    SUBCASE("sqlite imports them, and files is then refused") {
        {
            auto cfg = load(tmp, "");
            REQUIRE(cfg.ok());
            boost::asio::io_context ioc;
            app::Bridge bridge(ioc, *cfg);
            auto st = bridge.start();
            REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
            bridge.stop();
        }
        CHECK_FALSE(fs::exists(dir / "GW-0001.yaml"));
        CHECK(fs::exists(dir / "migrated" / "GW-0001.yaml"));
        auto db = state::SqliteStore::open(dir / state::kStateDbName);
        REQUIRE(db.ok());
        CHECK(**(*db)->load("GW-0001") == "format: 1\ngateway_id: GW-0001\n");
        db->reset();

        auto cfg = load(tmp, "state_backend: files\n");
        REQUIRE(cfg.ok());
        boost::asio::io_context ioc;
        app::Bridge bridge(ioc, *cfg);
        auto st = bridge.start();
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().message.find("state_backend: files would start every CPE afresh") != std::string::npos);
    }
}
