// PgStore against a real PostgreSQL (tests/pg_server.hpp): the Store
// contract, group commit, order, blob sizes, a server restart in the middle
// of a stream of writes, the bounded wait, credentials kept out of messages.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <thread>

#include "bridge/state/pg_store.hpp"
#include "state_test_util.hpp"
#include "tests/pg_server.hpp"

using namespace std::chrono_literals;

namespace {

std::unique_ptr<state::PgStore> open_store(test_pg::Server& pg, std::chrono::milliseconds commit_timeout = 30s) {
    auto s = state::PgStore::open({pg.dsn(), commit_timeout});
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    return std::move(*s);
}

// Runs SQL directly, to look behind the store's back.
std::unique_ptr<state::pg::Connection> sql(test_pg::Server& pg) {
    auto c = state::pg::Connection::open(pg.dsn());
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    return std::move(*c);
}

}  // namespace

TEST_CASE("PgStore: save, load, keys, remove, and the schema it creates") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    {
        auto store = open_store(*pg);
        CHECK(store->name() == "bridge_test@127.0.0.1:" + std::to_string(pg->port()) + "/postgres");
        auto none = store->load("basic-a");
        REQUIRE(none);
        CHECK(!*none);
        REQUIRE(store->save("basic-a", "one"));
        REQUIRE(store->save("basic-b", std::string("\0two\xff", 5)));
        REQUIRE(store->save("basic-a", "uno"));
        CHECK(**store->load("basic-a") == "uno");
        CHECK(**store->load("basic-b") == std::string("\0two\xff", 5));
        REQUIRE(store->remove("basic-b"));
        REQUIRE(store->remove("basic-never"));  // absent: fine
        CHECK(!*store->load("basic-b"));
        CHECK(store->save("../etc", "x").error().code == "state.bad_key");
        CHECK(store->load("a/b").error().code == "state.bad_key");
    }
    // A second open finds the data and the schema in place (no migration twice).
    auto store = open_store(*pg);
    CHECK(**store->load("basic-a") == "uno");
    auto keys = store->keys();
    REQUIRE(keys);
    CHECK(std::find(keys->begin(), keys->end(), "basic-a") != keys->end());
    CHECK(std::is_sorted(keys->begin(), keys->end()));
    auto c = sql(*pg);
    auto v = c->exec("SELECT version FROM bridge.schema_version ORDER BY version");
    REQUIRE(v);
    // One row per migration, each applied once.
    REQUIRE(v->size() == state::PgStore::kSchemaVersion);
    CHECK(v->integer(v->size() - 1, 0) == state::PgStore::kSchemaVersion);
}

TEST_CASE("PgStore: once the schema exists, a role without CREATE rights opens the store") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    open_store(*pg);  // the schema exists
    auto c = sql(*pg);
    REQUIRE(c->run("DROP ROLE IF EXISTS bridge_limited;"
                   "CREATE ROLE bridge_limited LOGIN PASSWORD 'limited-pw';"
                   "GRANT USAGE ON SCHEMA bridge TO bridge_limited;"
                   "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bridge TO bridge_limited"));
    const std::string dsn = "host=127.0.0.1 port=" + std::to_string(pg->port()) +
                            " dbname=postgres user=bridge_limited password=limited-pw";
    {
        auto s = state::PgStore::open({dsn});
        REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
        REQUIRE((*s)->save("limited-key", "ok"));
        CHECK(**(*s)->load("limited-key") == "ok");
    }
    REQUIRE(c->run("DROP OWNED BY bridge_limited; DROP ROLE bridge_limited"));
}

TEST_CASE("PgStore: a database migrated by a newer bridge is refused") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    open_store(*pg);  // the schema exists
    auto c = sql(*pg);
    REQUIRE(c->exec("INSERT INTO bridge.schema_version (version) VALUES (99)"));
    auto s = state::PgStore::open({pg->dsn()});
    REQUIRE(c->exec("DELETE FROM bridge.schema_version WHERE version = 99"));
    REQUIRE(!s);
    CHECK(s.error().message.find("schema version 99") != std::string::npos);
    CHECK(s.error().message.find("newer bridge") != std::string::npos);
}

TEST_CASE("PgStore: concurrent writes share transactions (group commit)") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto store = open_store(*pg);
    const auto commits0 = store->commits(), requests0 = store->requests();
    constexpr int kThreads = 4, kPerThread = 250;
    state_test::Completions done;
    std::vector<std::thread> threads;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i)
                store->save_async("group-" + std::to_string(t) + "-" + std::to_string(i), "blob " + std::to_string(i),
                                  done.done());
        });
    for (auto& t : threads) t.join();
    done.wait(kThreads * kPerThread);
    CHECK(done.failures == 0);
    const auto commits = store->commits() - commits0;
    CHECK(store->requests() - requests0 == kThreads * kPerThread);
    // 1000 writes: one commit each would be 1000 transactions.
    const auto burst = std::chrono::steady_clock::now() - t0;
    MESSAGE("1000 concurrent writes took " << commits << " transactions, "
                                           << std::chrono::duration_cast<std::chrono::milliseconds>(burst).count()
                                           << " ms");
    // One writer alone: every save waits for its own commit (the latency a CPE sees).
    const auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) REQUIRE(store->save("group-alone", std::to_string(i)));
    MESSAGE("one save, alone: "
            << std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t1).count() / 50
            << " us");
    CHECK(commits < kThreads * kPerThread / 10);
    CHECK(**store->load("group-3-249") == "blob 249");
}

TEST_CASE("PgStore: one key's writes complete in order, the last one wins") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto store = open_store(*pg);
    std::mutex m;
    std::vector<int> order;
    state_test::Completions done;
    constexpr int kWrites = 500;
    for (int i = 0; i < kWrites; ++i) {
        auto d = done.done();
        store->save_async("order-key", "v" + std::to_string(i), [&, i, d](core::Status st) {
            {
                std::lock_guard lock(m);
                order.push_back(i);
            }
            d(st);
        });
    }
    done.wait(kWrites);
    CHECK(done.failures == 0);
    std::vector<int> expected(kWrites);
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(order == expected);
    CHECK(**store->load("order-key") == "v" + std::to_string(kWrites - 1));
    // A remove queued between two saves: the last operation decides.
    state_test::Completions more;
    store->save_async("order-key", "before", more.done());
    REQUIRE(store->remove("order-key"));
    CHECK(!*store->load("order-key"));
    store->save_async("order-key", "after", more.done());
    more.wait(2);
    CHECK(**store->load("order-key") == "after");
}

TEST_CASE("PgStore: blobs up to the limit, byte for byte; larger ones refused") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto store = open_store(*pg);
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
    REQUIRE(store->save("blob-bytes", all_bytes));
    CHECK(**store->load("blob-bytes") == all_bytes);
    REQUIRE(store->save("blob-empty", ""));
    CHECK(**store->load("blob-empty") == "");
    std::string big(state::PgStore::kMaxBlob, '\0');
    std::mt19937_64 rng(14);
    for (std::size_t i = 0; i + 8 <= big.size(); i += 8) {
        auto v = rng();
        std::memcpy(big.data() + i, &v, 8);
    }
    REQUIRE(store->save("blob-max", big));
    auto back = store->load("blob-max");
    REQUIRE(back);
    CHECK((*back)->size() == big.size());
    CHECK(**back == big);
    big.push_back('x');
    auto refused = store->save("blob-max", big);
    REQUIRE(!refused);
    CHECK(refused.error().code == "state.too_large");
    REQUIRE(store->remove("blob-max"));
}

TEST_CASE("PgStore: a server restart in the middle of a stream of writes loses none, acknowledges none early") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto store = open_store(*pg);
    constexpr int kWrites = 400, kKeys = 20;
    std::mutex m;
    std::map<std::string, int> acked;  // highest sequence acknowledged per key
    int failures = 0, early = 0;
    std::atomic<bool> down{false};
    state_test::Completions done;
    std::thread writer([&] {
        for (int seq = 0; seq < kWrites; ++seq) {
            const std::string key = "restart-" + std::to_string(seq % kKeys);
            auto d = done.done();
            store->save_async(key, std::to_string(seq), [&, key, seq, d](core::Status st) {
                {
                    std::lock_guard lock(m);
                    if (!st) ++failures;
                    else acked[key] = std::max(acked[key], seq);
                    // Nothing can be committed while the server is down.
                    if (down) ++early;
                }
                d(st);
            });
            std::this_thread::sleep_for(5ms);
        }
    });
    std::this_thread::sleep_for(400ms);
    REQUIRE(pg->stop("fast"));
    down = true;
    std::this_thread::sleep_for(1s);
    down = false;
    REQUIRE(pg->start());
    writer.join();
    done.wait(kWrites);
    CHECK(failures == 0);
    CHECK(early == 0);
    CHECK(store->reconnects() >= 1);
    // Every key holds its last write, which is at least what was acknowledged.
    for (int k = 0; k < kKeys; ++k) {
        const std::string key = "restart-" + std::to_string(k);
        auto v = store->load(key);
        REQUIRE(v);
        REQUIRE(*v);
        CHECK(std::stoi(**v) == kWrites - kKeys + k);
        CHECK(std::stoi(**v) >= acked[key]);
    }
}

TEST_CASE("PgStore: writes wait for a server that is away, then fail after commit_timeout, and the store recovers") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    auto store = open_store(*pg, 1500ms);
    REQUIRE(store->save("away-key", "before"));
    REQUIRE(pg->stop("fast"));
    const auto t0 = std::chrono::steady_clock::now();
    auto st = store->save("away-key", "lost");
    const auto waited = std::chrono::steady_clock::now() - t0;
    REQUIRE(pg->start());
    REQUIRE(!st);
    CHECK(st.error().code == "state.unavailable");
    CHECK(waited >= 1400ms);
    CHECK(waited < 8s);
    CHECK(st.error().message.find(pg->password()) == std::string::npos);
    // Reads and writes go on once it is back, on new connections.
    CHECK(**store->load("away-key") == "before");
    REQUIRE(store->save("away-key", "after"));
    CHECK(**store->load("away-key") == "after");
}

TEST_CASE("PgStore: a wrong password is a clear error without any password in it") {
    auto* pg = test_pg::shared();
    if (!pg) return;
    const std::string wrong = "Wr0ngSecret-do-not-log";
    auto s = state::PgStore::open({pg->dsn(wrong)});
    REQUIRE(!s);
    CHECK(s.error().code == "state.auth");
    const auto& msg = s.error().message;
    MESSAGE(msg);
    CHECK(msg.find("password authentication failed") != std::string::npos);
    CHECK(msg.find("bridge_test@127.0.0.1:" + std::to_string(pg->port()) + "/postgres") != std::string::npos);
    CHECK(msg.find(wrong) == std::string::npos);
    CHECK(msg.find(pg->password()) == std::string::npos);
}

TEST_CASE("pg::redact and pg::describe never show the password") {
    using state::pg::describe;
    using state::pg::redact;
    CHECK(redact("host=db.example port=5433 user=bridge password=s3cret dbname=fleet").find("s3cret") ==
          std::string::npos);
    CHECK(redact("host=db.example password=s3cret").find("password=***") != std::string::npos);
    CHECK(redact("postgresql://bridge:s3cret@db.example:5433/fleet").find("s3cret") == std::string::npos);
    CHECK(describe("postgresql://bridge:s3cret@db.example:5433/fleet") == "bridge@db.example:5433/fleet");
    CHECK(describe("host=h user=u password=p dbname=d") == "u@h/d");
    CHECK(redact("host='unterminated password=s3cret") == "(unparsable DSN)");
    CHECK(state::pg::scrub("echo s3cret twice s3cret", "s3cret") == "echo *** twice ***");
}
