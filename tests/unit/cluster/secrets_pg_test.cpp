// The per-gateway CMP secrets every node of a cluster shares (bridge.secrets):
// state::PgSecrets against a real PostgreSQL, app::SharedSecrets' snapshot
// (changes since a version, deletions, writers committing out of order) and
// app::SecretsFile feeding the table.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "bridge/app/cluster_secrets.hpp"
#include "bridge/app/config.hpp"
#include "bridge/app/secrets_file.hpp"
#include "bridge/state/pg_secrets.hpp"
#include "tests/pg_server.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

template <class T>
T must(core::Result<T> r) {
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return std::move(*r);
}

// A clean table for each case: every case shares the binary's one server.
std::unique_ptr<state::PgSecrets> fresh(test_pg::Server& pg) {
    auto dir = must(state::PgSecrets::open(pg.dsn()));
    auto c = must(state::pg::Connection::open(pg.dsn()));
    REQUIRE(c->run("DELETE FROM bridge.secrets"));
    return dir;
}

std::map<std::string, std::string> sources(test_pg::Server& pg) {
    auto c = must(state::pg::Connection::open(pg.dsn()));
    auto r = must(c->exec("SELECT rg_id, source FROM bridge.secrets"));
    std::map<std::string, std::string> out;
    for (int i = 0; i < r.size(); ++i) out[std::string(r.at(i, 0))] = std::string(r.at(i, 1));
    return out;
}

fs::path temp_dir(const std::string& tag) {
    auto d = fs::temp_directory_path() / ("secrets-pg-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

}  // namespace

TEST_CASE("PgSecrets: versions grow with every write; an unchanged write takes none; deletions shrink the count") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto dir = fresh(*pg);
    REQUIRE(dir->set("GW-A", "secret-a-1"));
    REQUIRE(dir->set("GW-B", "secret-b-1"));
    auto all = must(dir->changes_since(0));
    REQUIRE(all.changed.size() == 2);
    CHECK(all.count == 2);
    CHECK(all.changed[0].rg_id == "GW-A");
    CHECK(all.changed[1].version > all.changed[0].version);
    CHECK(all.version == all.changed[1].version);
    REQUIRE(dir->set("GW-A", "secret-a-1"));  // the same value: no new version
    CHECK(must(dir->changes_since(all.version)).changed.empty());
    REQUIRE(dir->set("GW-A", "secret-a-2"));
    auto after = must(dir->changes_since(all.version));
    REQUIRE(after.changed.size() == 1);
    CHECK(after.changed[0].secret == "secret-a-2");
    CHECK(must(dir->remove("GW-B")));
    CHECK_FALSE(must(dir->remove("GW-B")));
    auto gone = must(dir->changes_since(after.version));
    CHECK(gone.changed.empty());
    CHECK(gone.count == 1);
    // Refused before any SQL: ids the listener would never admit, empty or control-character secrets.
    CHECK_FALSE(dir->set("GW/../x", "s"));
    CHECK_FALSE(dir->set("GW-C", ""));
    CHECK_FALSE(dir->set("GW-C", "a\nb"));
    CHECK_FALSE(dir->set("GW-C", std::string("\xff\xfe", 2)));
    // Listed without the secrets.
    auto listed = must(dir->list());
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].rg_id == "GW-A");
    CHECK(listed[0].source == "operator");
    CHECK(listed[0].updated_at.size() == 20);
}

TEST_CASE("PgSecrets::import_file: new and changed entries written, dropped file entries deleted, operator entries kept") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto dir = fresh(*pg);
    REQUIRE(dir->set("GW-OP", "operator-secret"));
    auto first = must(dir->import_file({{"GW-1", "one"}, {"GW-2", "two"}, {"GW-3", "three"}}));
    CHECK(first.written == 3);
    CHECK(first.deleted == 0);
    const auto v = must(dir->changes_since(0)).version;
    // The same file again: nothing written, no version taken.
    auto again = must(dir->import_file({{"GW-1", "one"}, {"GW-2", "two"}, {"GW-3", "three"}}));
    CHECK(again.written == 0);
    CHECK(must(dir->changes_since(v)).changed.empty());
    // GW-2 rotated, GW-3 gone from the file, GW-OP never in it.
    auto next = must(dir->import_file({{"GW-1", "one"}, {"GW-2", "two-rotated"}}));
    CHECK(next.written == 1);
    CHECK(next.deleted == 1);
    auto src = sources(*pg);
    CHECK(src == std::map<std::string, std::string>{{"GW-1", "file"}, {"GW-2", "file"}, {"GW-OP", "operator"}});
    auto changed = must(dir->changes_since(v));
    REQUIRE(changed.changed.size() == 1);
    CHECK(changed.changed[0].secret == "two-rotated");
    // A file naming an operator's gateway takes it over: a later file without it deletes it.
    must(dir->import_file({{"GW-1", "one"}, {"GW-OP", "from-file"}}));
    CHECK(sources(*pg)["GW-OP"] == "file");
    // A file with one bad entry is refused whole, naming the entry, never a secret.
    auto bad = dir->import_file({{"GW-1", "one"}, {"GW-9", "line\nbreak"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("GW-9") != std::string::npos);
    CHECK(bad.error().message.find("line") == std::string::npos);
    CHECK(sources(*pg).size() == 2);
    // Thousands in one import (several INSERT statements).
    app::SecretsFile::Secrets big;
    for (int i = 0; i < 2500; ++i) big["GW-B" + std::to_string(i)] = "s" + std::to_string(i);
    CHECK(must(dir->import_file(big)).written == 2500);
    CHECK(must(dir->changes_since(0)).count == 2500);
}

TEST_CASE("SharedSecrets: a secret written at one node is found at another after its refresh; deletions too") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto writer = fresh(*pg);
    REQUIRE(writer->set("GW-X", "x-1"));
    app::SharedSecrets node(must(state::PgSecrets::open(pg->dsn())), 50ms);
    std::vector<std::string> reported;
    std::mutex m;
    node.on_change([&](const std::vector<std::string>& ids) {
        std::lock_guard lock(m);
        reported.insert(reported.end(), ids.begin(), ids.end());
    });
    REQUIRE(node.start());
    CHECK(node.find("GW-X") == "x-1");
    CHECK_FALSE(node.find("GW-Y"));
    REQUIRE(writer->set("GW-X", "x-2"));
    REQUIRE(writer->set("GW-Y", "y-1"));
    auto seen = [&](auto pred) {
        for (int i = 0; i < 100 && !pred(); ++i) std::this_thread::sleep_for(20ms);
        return pred();
    };
    CHECK(seen([&] { return node.find("GW-X") == "x-2" && node.find("GW-Y") == "y-1"; }));
    const auto full_before = node.full_reads();
    REQUIRE(must(writer->remove("GW-X")));
    CHECK(seen([&] { return !node.find("GW-X"); }));
    CHECK(node.full_reads() == full_before + 1);  // a deletion is noticed by the count, then read in full
    CHECK(node.find("GW-Y") == "y-1");
    node.stop();
    std::lock_guard lock(m);
    CHECK(std::count(reported.begin(), reported.end(), "GW-X") >= 2);  // changed, then removed
    CHECK(std::count(reported.begin(), reported.end(), "GW-Y") == 1);
}

TEST_CASE("SharedSecrets: a write committed after a later one is not skipped (writers are serialized)") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto dir = fresh(*pg);
    REQUIRE(dir->set("GW-SLOW", "slow-1"));
    app::SharedSecrets reader(must(state::PgSecrets::open(pg->dsn())), std::chrono::hours(1));
    REQUIRE(reader.start());
    // A write caught between taking its version and committing. (It takes no
    // table lock itself: the one PgSecrets takes must wait for it anyway.)
    auto slow = must(state::pg::Connection::open(pg->dsn()));
    REQUIRE(slow->run("BEGIN"));
    REQUIRE(slow->exec("UPDATE bridge.secrets SET secret = 'slow-2', version = nextval('bridge.secrets_version')"
                       " WHERE rg_id = 'GW-SLOW'"));
    // PgSecrets writing meanwhile: without its table lock it would commit a higher version first.
    auto fast_dir = must(state::PgSecrets::open(pg->dsn()));
    std::thread fast([&] { CHECK(fast_dir->set("GW-FAST", "fast-1")); });
    std::this_thread::sleep_for(300ms);
    REQUIRE(reader.refresh());
    REQUIRE(slow->run("COMMIT"));
    fast.join();
    REQUIRE(reader.refresh());
    CHECK(reader.find("GW-FAST") == "fast-1");
    CHECK(reader.find("GW-SLOW") == "slow-2");  // missed for good if its version had been passed over
}

TEST_CASE("SecretsFile feeding the shared table: imported at open and at every change of the file") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto dir = fresh(*pg);
    REQUIRE(dir->set("GW-KEPT", "operator-only"));
    const auto d = temp_dir("file");
    const auto file = d / "secrets.yaml";
    std::ofstream(file) << "GW-F1: file-one\nGW-F2: file-two\n";
    app::SecretsFile::Hooks hooks;
    hooks.import = [&](const app::SecretsFile::Secrets& s) -> core::Status {
        auto r = dir->import_file(s);
        if (!r) return r.error();
        return core::Ok{};
    };
    auto watched = must(app::SecretsFile::open(file, 50ms, hooks));
    app::SharedSecrets node(must(state::PgSecrets::open(pg->dsn())), 50ms);
    REQUIRE(node.start());
    CHECK(node.find("GW-F1") == "file-one");
    CHECK(node.find("GW-KEPT") == "operator-only");
    // Rewritten (a later mtime): GW-F1 rotated, GW-F2 removed.
    std::ofstream(file) << "GW-F1: file-one-rotated\n";
    fs::last_write_time(file, fs::last_write_time(file) + 2s);
    bool rotated = false;
    for (int i = 0; i < 100 && !rotated; ++i) {
        std::this_thread::sleep_for(30ms);
        rotated = node.find("GW-F1") == "file-one-rotated" && !node.find("GW-F2");
    }
    CHECK(rotated);
    CHECK(node.find("GW-KEPT") == "operator-only");
    watched->stop();
    node.stop();
    fs::remove_all(d);
}

TEST_CASE("cmp.accept_registrations without a secret is allowed only where the shared table can hold the secrets") {
    const auto d = temp_dir("config");
    std::ofstream(d / "m.yaml") << "model: x\n";
    auto write = [&](const std::string& state) {
        std::ofstream(d / "bridge.yaml") << "acs: { url: \"http://127.0.0.1:1/acs\" }\n"
                                         << "cmp: { accept_registrations: true }\n"
                                         << "state_dir: " << (d / "st").string() << "\n"
                                         << state << "defaults: { mapping: " << (d / "m.yaml").string() << " }\n";
        return app::load_config((d / "bridge.yaml").string());
    };
    auto single = write("");
    REQUIRE_FALSE(single);
    CHECK(single.error().message.find("needs cmp.registration_secret or cmp.secrets_file") != std::string::npos);
    auto cluster = write("state: { backend: postgresql, dsn: \"host=127.0.0.1 dbname=x\", node_id: n1 }\n");
    CHECK_MESSAGE(cluster, (cluster ? "" : cluster.error().message));
    fs::remove_all(d);
}

TEST_CASE("SecretsFile hooks: changed ids reported on a re-read; an import the database refused for being away is retried") {
    const auto d = temp_dir("hooks");
    const auto file = d / "secrets.yaml";
    std::ofstream(file) << "GW-H1: one\nGW-H2: two\n";
    std::mutex m;
    std::vector<std::string> changed;
    std::atomic<int> imports{0}, away{2};
    app::SecretsFile::Hooks hooks;
    hooks.changed = [&](const std::vector<std::string>& ids) {
        std::lock_guard lock(m);
        changed.insert(changed.end(), ids.begin(), ids.end());
    };
    hooks.import = [&](const app::SecretsFile::Secrets& s) -> core::Status {
        ++imports;
        if (away-- > 0) return core::make_error("state.unavailable", "database away");
        return s.count("GW-BAD") ? core::Status(core::make_error("state.invalid", "refused")) : core::Status(core::Ok{});
    };
    auto watched = must(app::SecretsFile::open(file, 20ms, hooks));
    // Failed twice (away), then imported: three tries, then no more.
    for (int i = 0; i < 100 && imports < 3; ++i) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(100ms);
    CHECK(imports == 3);
    {
        std::lock_guard lock(m);
        CHECK(changed.empty());  // the first read changes nothing
    }
    std::ofstream(file) << "GW-H1: one-rotated\nGW-BAD: x\n";
    fs::last_write_time(file, fs::last_write_time(file) + 2s);
    for (int i = 0; i < 100 && imports < 4; ++i) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(150ms);
    CHECK(imports == 4);  // refused for its content: not tried again until the file changes
    watched->stop();
    std::lock_guard lock(m);
    std::sort(changed.begin(), changed.end());
    CHECK(changed == std::vector<std::string>{"GW-BAD", "GW-H1", "GW-H2"});
    fs::remove_all(d);
}
