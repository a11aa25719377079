// state::SqliteStore: what its writer thread promises. Every `done` is
// called, writes are durable once it is, a burst becomes a few transactions,
// one key's writes complete in order, a shutdown drains the queue, and an
// I/O error is reported without stopping the store for good.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "bridge/state/sqlite_store.hpp"
#include "tests/unit/state/state_test_util.hpp"

using namespace state_test;
using state::SqliteStore;

namespace {

std::unique_ptr<SqliteStore> open_store(const fs::path& file) {
    auto s = SqliteStore::open(file);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    return std::move(*s);
}

// A PRAGMA's value as another process (sqlite3 on the command line) sees it.
std::string pragma(const fs::path& file, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

}  // namespace

TEST_CASE("SqliteStore: one private WAL database file") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    const mode_t old = ::umask(0);  // even a permissive umask must not widen the file
    {
        auto s = open_store(file);
        CHECK(s->save("GW-0001", "secret").ok());
    }
    ::umask(old);
    CHECK(mode_of(file) == 0600);
    CHECK(pragma(file, "PRAGMA journal_mode") == "wal");
    CHECK(pragma(file, "SELECT blob FROM state WHERE key = 'GW-0001'") == "secret");
}

TEST_CASE("SqliteStore: opening fails with a message, never throws") {
    TempDir tmp;
    fs::create_directories(tmp.path / "state.db");  // a directory where the file should be
    auto s = SqliteStore::open(tmp.path / "state.db");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == "state.io");
    auto missing = SqliteStore::open(tmp.path / "no" / "such" / "dir" / "state.db");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("no/such/dir") != std::string::npos);

    write_file(tmp.path / "garbage.db", std::string(8192, 'x'));  // not a database
    auto garbage = SqliteStore::open(tmp.path / "garbage.db");
    REQUIRE_FALSE(garbage.ok());
    CHECK(garbage.error().code == "state.io");
}

TEST_CASE("SqliteStore: refuses a database written by a newer schema") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    open_store(file);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version=2", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto s = SqliteStore::open(file);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("newer bridge") != std::string::npos);
}

TEST_CASE("SqliteStore: many threads' async saves are all acknowledged and durable after reopen") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    constexpr int kThreads = 8, kSaves = 250, kKeysPerThread = 10;
    Completions c;
    std::map<std::string, std::string> last;  // what each key must hold in the end
    {
        auto s = open_store(file);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < kSaves; ++i)
                    s->save_async("T" + std::to_string(t) + "-" + std::to_string(i % kKeysPerThread),
                                  std::to_string(t) + ":" + std::to_string(i), c.done());
            });
        for (auto& th : threads) th.join();
        c.wait(kThreads * kSaves);
        CHECK(c.failures == 0);
        for (int t = 0; t < kThreads; ++t)
            for (int k = 0; k < kKeysPerThread; ++k)
                last["T" + std::to_string(t) + "-" + std::to_string(k)] =
                    std::to_string(t) + ":" + std::to_string(kSaves - kKeysPerThread + k);
        // Acknowledged means committed: visible before any shutdown.
        for (const auto& [key, value] : last) CHECK(**s->load(key) == value);
        CHECK(s->requests() == kThreads * kSaves);
    }
    CHECK(c.calls == kThreads * kSaves);  // none called twice
    auto reopened = open_store(file);
    auto keys = reopened->keys();
    REQUIRE(keys.ok());
    CHECK(keys->size() == last.size());
    for (const auto& [key, value] : last) CHECK(**reopened->load(key) == value);
}

TEST_CASE("SqliteStore: a burst while the disk is busy is one transaction (group commit)") {
    TempDir tmp;
    auto s = open_store(tmp.path / "state.db");
    // The first write's `done` holds the writer thread (as a slow fsync
    // would) until the whole burst is queued.
    std::mutex m;
    std::condition_variable cv;
    bool first_done = false, release = false;
    s->save_async("GW-first", "x", [&](core::Status st) {
        CHECK(st.ok());
        std::unique_lock lock(m);
        first_done = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
    });
    {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return first_done; });
    }
    constexpr std::size_t kBurst = 500;
    Completions c;
    for (std::size_t i = 0; i < kBurst; ++i) s->save_async("GW-" + std::to_string(i), std::to_string(i), c.done());
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    c.wait(kBurst);
    CHECK(c.failures == 0);
    CHECK(s->requests() == kBurst + 1);
    CHECK(s->commits() == 2);  // the first write, then the whole burst
    CHECK(s->keys()->size() == kBurst + 1);
    CHECK(**s->load("GW-499") == "499");
}

TEST_CASE("SqliteStore: one key's writes complete in the order they were asked for") {
    TempDir tmp;
    auto s = open_store(tmp.path / "state.db");
    std::mutex m;
    std::vector<int> order;
    Completions c;
    constexpr int kWrites = 300;
    for (int i = 0; i < kWrites; ++i) {
        // Another key in between, so batches hold several keys.
        s->save_async("GW-other", "o" + std::to_string(i), c.done());
        s->save_async("GW-0001", std::to_string(i), [&, i, d = c.done()](core::Status st) {
            {
                std::lock_guard lock(m);
                order.push_back(i);
            }
            d(st);
        });
    }
    c.wait(2 * kWrites);
    CHECK(c.failures == 0);
    std::vector<int> expected(kWrites);
    for (int i = 0; i < kWrites; ++i) expected[i] = i;
    CHECK(order == expected);
    CHECK(**s->load("GW-0001") == std::to_string(kWrites - 1));

    // A synchronous remove between two async saves lands between them.
    s->save_async("GW-0002", "before", c.done());
    REQUIRE(s->remove("GW-0002").ok());
    CHECK_FALSE(s->load("GW-0002")->has_value());
    s->save_async("GW-0002", "after", c.done());
    REQUIRE(s->save("GW-0003", "sync").ok());  // queued after it: done implies the earlier one is too
    CHECK(**s->load("GW-0002") == "after");
}

TEST_CASE("SqliteStore: closing drains the queue") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    Completions c;
    constexpr int kWrites = 200;
    {
        auto s = open_store(file);
        for (int i = 0; i < kWrites; ++i) s->save_async("GW-" + std::to_string(i), "v" + std::to_string(i), c.done());
    }  // no wait: the destructor must write them all
    CHECK(c.calls == kWrites);
    CHECK(c.failures == 0);
    auto s = open_store(file);
    CHECK(s->keys()->size() == kWrites);
    CHECK(**s->load("GW-199") == "v199");
}

TEST_CASE("SqliteStore: refuses bad keys and oversize blobs through done, never throws") {
    TempDir tmp;
    auto s = open_store(tmp.path / "state.db");
    std::optional<core::Status> got;
    s->save_async("../etc/passwd", "x", [&](core::Status st) { got = st; });
    REQUIRE(got.has_value());
    CHECK(got->error().code == "state.bad_key");
    CHECK(s->save_all({{"ok", "1"}, {"a/b", "2"}}).error().code == "state.bad_key");
    CHECK(s->keys()->empty());  // the valid one of the refused batch was not written either
}

TEST_CASE("SqliteStore: a full disk fails the batch, keeps the old values, and the store recovers") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    auto s = open_store(file);
    REQUIRE(s->save("GW-0001", "old").ok());
    const std::string big(4 * 1024 * 1024, 'b');  // cannot fit in a 1 MiB WAL
    {
        FileSizeLimit full(1024 * 1024);
        auto st = s->save("GW-0001", big);
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().code == "state.io");
        CHECK(st.error().message.find("sqlite") != std::string::npos);
        // Async writers hear of it through done, on every failing batch.
        Completions c;
        s->save_async("GW-0002", big, c.done());
        s->save_async("GW-0003", big, c.done());
        c.wait(2);
        CHECK(c.failures == 2);
        CHECK(**s->load("GW-0001") == "old");
        CHECK_FALSE(s->load("GW-0002")->has_value());
    }
    // The disk has room again: the same store writes.
    REQUIRE(s->save("GW-0001", big).ok());
    Completions c;
    s->save_async("GW-0002", "small", c.done());
    c.wait(1);
    CHECK(c.failures == 0);
    s.reset();
    auto reopened = open_store(file);
    CHECK(**reopened->load("GW-0001") == big);
    CHECK(**reopened->load("GW-0002") == "small");
    CHECK(pragma(file, "PRAGMA integrity_check") == "ok");
}

// The writer keeps its statements prepared for its whole life: each failure
// below (at COMMIT, in the middle of a batch, at BEGIN) must leave them, and
// the connection, ready for the next batch.
TEST_CASE("SqliteStore: a COMMIT that cannot write its WAL fails the batch; the next batches commit") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    auto s = open_store(file);
    REQUIRE(s->save("GW-0001", "old").ok());
    // Small enough to stay in SQLite's page cache until COMMIT writes the WAL,
    // larger than the WAL may grow: the failure is the COMMIT's.
    const std::string half_mib(512 * 1024, 'h');
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        {
            FileSizeLimit full(256 * 1024);
            auto st = s->save("GW-0001", half_mib);
            REQUIRE_FALSE(st.ok());
            CHECK(st.error().message.find("commit to") != std::string::npos);
            CHECK(st.error().message.find("not an error") == std::string::npos);
            CHECK(**s->load("GW-0001") == (round == 0 ? "old" : "r" + std::to_string(round - 1)));
        }
        // Two keys in one batch: both statements reused after the failure.
        Completions c;
        s->save_async("GW-0001", "r" + std::to_string(round), c.done());
        s->save_async("GW-0002", "x" + std::to_string(round), c.done());
        c.wait(2);
        CHECK(c.failures == 0);
        CHECK(**s->load("GW-0001") == "r" + std::to_string(round));
        CHECK(**s->load("GW-0002") == "x" + std::to_string(round));
    }
    REQUIRE(s->remove("GW-0002").ok());
    CHECK_FALSE(s->load("GW-0002")->has_value());
    CHECK(*s->keys() == std::vector<std::string>{"GW-0001"});
    s.reset();
    CHECK(**open_store(file)->load("GW-0001") == "r2");
    CHECK(pragma(file, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("SqliteStore: a write that fails in the middle of a batch writes none of it; the next batch commits") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    auto s = open_store(file);
    REQUIRE(s->save_all({{"GW-a", "1"}, {"GW-c", "1"}}).ok());
    // Too large for the page cache: SQLite spills it into the WAL during the
    // INSERT, which fails there, with other keys written before it in the batch.
    const std::string big(4 * 1024 * 1024, 'b');
    {
        FileSizeLimit full(1024 * 1024);
        auto st = s->save_all({{"GW-a", "2"}, {"GW-b", big}, {"GW-c", "2"}});
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().message.find("write GW-b to") != std::string::npos);
    }
    CHECK(**s->load("GW-a") == "1");
    CHECK_FALSE(s->load("GW-b")->has_value());
    REQUIRE(s->save_all({{"GW-a", "3"}, {"GW-b", "3"}, {"GW-c", "3"}}).ok());
    for (const char* k : {"GW-a", "GW-b", "GW-c"}) CHECK(**s->load(k) == "3");
}

TEST_CASE("SqliteStore: BEGIN refused while another process holds the write lock; the next batch begins") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    auto s = open_store(file);
    REQUIRE(s->save("GW-0001", "old").ok());
    sqlite3* other = nullptr;  // an operator's sqlite3 shell in the middle of a write
    REQUIRE(sqlite3_open(file.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto st = s->save("GW-0001", "new");  // after the store's busy timeout
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message.find("begin a transaction on") != std::string::npos);
    REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    REQUIRE(s->save("GW-0001", "new").ok());
    CHECK(**s->load("GW-0001") == "new");
}

TEST_CASE("SqliteStore: a write the database refuses (its transaction still open) is rolled back; the next batch commits") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    auto s = open_store(file);
    REQUIRE(s->save("GW-a", "1").ok());
    // Unlike an I/O error, a refused statement leaves the transaction open:
    // the store's ROLLBACK must end it, or GW-a's "2" would ride along with a later batch.
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other,
                         "CREATE TRIGGER refuse BEFORE INSERT ON state WHEN NEW.key = 'GW-b' "
                         "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    auto st = s->save_all({{"GW-a", "2"}, {"GW-b", "2"}});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message.find("refused by a trigger") != std::string::npos);
    REQUIRE(sqlite3_exec(other, "DROP TRIGGER refuse", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    REQUIRE(s->save("GW-c", "3").ok());
    CHECK(**s->load("GW-a") == "1");
    CHECK_FALSE(s->load("GW-b")->has_value());
    CHECK(**s->load("GW-c") == "3");
    s.reset();
    CHECK(**open_store(file)->load("GW-a") == "1");
}
