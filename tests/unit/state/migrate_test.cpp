// From FileStore's <state_dir>/<key>.yaml to <state_dir>/state.db: imported
// whole, moved aside only once committed, the rest of state_dir untouched,
// and a run interrupted before or after the commit finishes cleanly.
#include <doctest/doctest.h>

#include "bridge/state/migrate.hpp"
#include "tests/unit/state/state_test_util.hpp"

using namespace state_test;
using state::SqliteStore;

namespace {

// What an older bridge left in its state directory.
void old_layout(const fs::path& dir) {
    auto files = state::FileStore::open(dir);
    REQUIRE(files.ok());
    REQUIRE((*files)->save("GW-0001", "format: 1\ngateway_id: GW-0001\nbootstrapped: true\n").ok());
    REQUIRE((*files)->save("GW-0002", "format: 1\ngateway_id: GW-0002\n").ok());
    // Not CPE state: the registry of self-registered gateways and the replay log stay.
    fs::create_directories(dir / "registry");
    write_file(dir / "registry" / "GW-9.yaml", "id: GW-9\n");
    write_file(dir / "cmp-replay.log", "1 n GW-0001\n");
    // A crashed FileStore save's temporary: never acknowledged, not imported.
    write_file(dir / "GW-0003.yaml.tmp.0123456789abcdef", "partial");
}

}  // namespace

TEST_CASE("migration: state files are imported, moved aside, everything else untouched") {
    TempDir tmp;
    const fs::path dir = tmp.path / "state";
    old_layout(dir);
    const std::string gw1 = read_file(dir / "GW-0001.yaml");

    auto store = state::open_sqlite_state_dir(dir);
    REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error().message));
    CHECK(*(*store)->keys() == std::vector<std::string>{"GW-0001", "GW-0002"});
    CHECK(**(*store)->load("GW-0001") == gw1);
    CHECK((*store)->commits() == 1);  // one transaction for all files

    CHECK_FALSE(fs::exists(dir / "GW-0001.yaml"));
    CHECK_FALSE(fs::exists(dir / "GW-0002.yaml"));
    CHECK(read_file(dir / "migrated" / "GW-0001.yaml") == gw1);
    CHECK(fs::exists(dir / "migrated" / "GW-0002.yaml"));
    CHECK(mode_of(dir / "migrated") == 0700);
    CHECK(read_file(dir / "registry" / "GW-9.yaml") == "id: GW-9\n");
    CHECK(read_file(dir / "cmp-replay.log") == "1 n GW-0001\n");
    CHECK_FALSE((*store)->load("GW-0003")->has_value());

    // The next start finds nothing to do and changes nothing.
    REQUIRE((*store)->save("GW-0001", "newer").ok());
    store->reset();
    auto again = state::open_sqlite_state_dir(dir);
    REQUIRE(again.ok());
    CHECK(**(*again)->load("GW-0001") == "newer");
    CHECK((*again)->commits() == 0);
}

TEST_CASE("migration: a fresh state directory is created, private, with an empty database") {
    TempDir tmp;
    const fs::path dir = tmp.path / "a" / "state";
    auto store = state::open_sqlite_state_dir(dir);
    REQUIRE(store.ok());
    CHECK(mode_of(dir) == 0700);
    CHECK((*store)->keys()->empty());
    CHECK(fs::exists(dir / "state.db"));
    CHECK_FALSE(fs::exists(dir / "migrated"));
}

TEST_CASE("migration: an import that fails leaves every file in place, and the next start imports them") {
    TempDir tmp;
    const fs::path dir = tmp.path / "state";
    old_layout(dir);
    // Large enough that the transaction cannot fit under the limit below.
    const std::string big = "format: 1\n#" + std::string(3 * 1024 * 1024, 'x') + "\n";
    write_file(dir / "GW-0004.yaml", big);
    {
        auto store = SqliteStore::open(dir / "state.db");
        REQUIRE(store.ok());
        FileSizeLimit full(1024 * 1024);
        auto report = state::migrate_yaml_files(dir, **store);
        REQUIRE_FALSE(report.ok());
        CHECK(report.error().code == "state.io");
        CHECK((*store)->keys()->empty());  // all or nothing
    }
    for (const char* f : {"GW-0001.yaml", "GW-0002.yaml", "GW-0004.yaml"}) CHECK(fs::exists(dir / f));
    CHECK_FALSE(fs::exists(dir / "migrated"));

    auto store = state::open_sqlite_state_dir(dir);
    REQUIRE(store.ok());
    CHECK((*store)->keys()->size() == 3);
    CHECK(**(*store)->load("GW-0004") == big);
    CHECK_FALSE(fs::exists(dir / "GW-0004.yaml"));
}

TEST_CASE("migration: after a crash between the commit and the renames, the database wins") {
    TempDir tmp;
    const fs::path dir = tmp.path / "state";
    old_layout(dir);
    const std::string gw2 = read_file(dir / "GW-0002.yaml");
    {
        // The first run committed both and moved GW-0002 only; then the
        // database was written on (the case where a file must never win).
        auto store = SqliteStore::open(dir / "state.db");
        REQUIRE(store.ok());
        REQUIRE((*store)->save_all({{"GW-0001", "newer than the file"}, {"GW-0002", gw2}}).ok());
        fs::create_directories(dir / "migrated");
        fs::rename(dir / "GW-0002.yaml", dir / "migrated" / "GW-0002.yaml");
    }
    auto store = SqliteStore::open(dir / "state.db");
    REQUIRE(store.ok());
    auto report = state::migrate_yaml_files(dir, **store);
    REQUIRE(report.ok());
    CHECK(report->imported == 0);
    CHECK(report->kept == 1);
    CHECK(**(*store)->load("GW-0001") == "newer than the file");
    CHECK(**(*store)->load("GW-0002") == gw2);
    CHECK_FALSE(fs::exists(dir / "GW-0001.yaml"));
    CHECK(fs::exists(dir / "migrated" / "GW-0001.yaml"));
    CHECK(fs::exists(dir / "migrated" / "GW-0002.yaml"));

    // A file that reappears later (a restored backup) is moved, not imported.
    write_file(dir / "GW-0002.yaml", "format: 1\ngateway_id: stale\n");
    write_file(dir / "GW-0005.yaml", "format: 1\ngateway_id: GW-0005\n");
    report = state::migrate_yaml_files(dir, **store);
    REQUIRE(report.ok());
    CHECK(report->imported == 1);
    CHECK(report->kept == 1);
    CHECK(**(*store)->load("GW-0002") == gw2);
    CHECK(**(*store)->load("GW-0005") == "format: 1\ngateway_id: GW-0005\n");
}
