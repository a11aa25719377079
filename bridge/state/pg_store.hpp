#pragma once
// PgStore: every key's blob in PostgreSQL, so several bridges can share the
// fleet's state (docs/operations.md, "Several bridges sharing state in
// PostgreSQL"). The same contract as SqliteStore: a writer thread of its
// own, group commit (whatever was asked while the previous COMMIT was in
// flight goes into the next transaction), one key's writes in order and
// coalesced, `done` only once the COMMIT holding the write has returned.
//
// Connection loss: a batch that failed because the server went away (or is
// restarting) is retried on a new connection with a backoff of 100 ms
// doubling to 5 s; its writers wait — a CPE holds its acknowledgement rather
// than lose the event — and hear an error only once the oldest write of the
// batch has waited `commit_timeout` (30 s by default). Re-running a batch is
// harmless: it sets final values, whether or not the lost COMMIT had landed.
//
// Fencing: save_async_fenced writes only while `token` is the current
// fencing token of the key's lease (state::PgLeases, the same database); a
// stale owner's write fails with state.fenced and is never acknowledged.
//
// Schema (bridge.schema_version, bridge.state, bridge.leases) is created and
// migrated by open(), under an advisory lock so that bridges starting
// together do not race. The DSN is a secret: messages show
// describe(dsn) (user@host:port/db), never the password.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bridge/state/fenced_store.hpp"
#include "bridge/state/pg_conn.hpp"
#include "bridge/state/pg_schema.hpp"
#include "bridge/state/store.hpp"

namespace state {

struct PgStoreOptions {
    std::string dsn;  // keyword=value or postgresql:// URI; a secret
    // How long a write may wait for PostgreSQL to come back before its
    // `done` hears an error (state.unavailable).
    std::chrono::milliseconds commit_timeout{30'000};
    std::chrono::milliseconds backoff_first{100};
    std::chrono::milliseconds backoff_max{5'000};
};

class PgStore : public Store, public FencedWriter {
public:
    // As the other stores; PostgreSQL itself would take up to 1 GB.
    static constexpr std::size_t kMaxBlob = 64 * 1024 * 1024;
    // The schema this code writes; a database migrated by a newer bridge is refused.
    static constexpr int kSchemaVersion = pg::kSchemaVersion;

    // Connects (failing at once when the server cannot be reached or refuses
    // the credentials: a bridge should not start on a store it cannot use),
    // creates or migrates the schema, starts the writer thread.
    static core::Result<std::unique_ptr<PgStore>> open(PgStoreOptions options);
    // Drains the queue (every pending write committed, or failed after
    // commit_timeout), then stops the writer.
    ~PgStore() override;
    PgStore(const PgStore&) = delete;
    PgStore& operator=(const PgStore&) = delete;

    // What is committed, on a connection of their own (blocking: off the
    // event loop). A lost connection is replaced once, transparently.
    core::Result<std::optional<std::string>> load(std::string_view key) override;
    core::Result<std::vector<std::string>> keys() override;
    // Through the writer's queue, waiting for the commit.
    core::Status save(std::string_view key, std::string_view blob) override;
    core::Status remove(std::string_view key) override;
    void save_async(std::string key, std::string blob, Done done) override;
    // Written only if `token` is the key's current lease token at commit
    // time (the lease row is share-locked, so a takeover waits for this
    // commit or this write sees the takeover); otherwise `done` gets
    // state.fenced. Coalesced with the key's other pending writes: the last
    // one decides for all.
    void save_async_fenced(std::string key, std::string blob, std::int64_t token, Done done) override;

    // Transactions committed, writes handed in, connections re-made after a
    // loss: how well group commit batches and how often the server went away.
    std::uint64_t commits() const;
    std::uint64_t requests() const;
    std::uint64_t reconnects() const;
    // user@host:port/db, for logs.
    const std::string& name() const { return name_; }

private:
    explicit PgStore(PgStoreOptions options);
    struct Write {
        std::optional<std::string> blob;  // nullopt: remove
        std::optional<std::int64_t> token;
    };
    struct Waiter {
        std::string key;
        Done done;
    };
    // One batch of the queue: the final write of every key touched and every
    // waiter, in the order they asked.
    struct Batch {
        std::map<std::string, Write, std::less<>> writes;
        std::vector<Waiter> waiters;
        std::chrono::steady_clock::time_point oldest{};
    };
    void enqueue(std::string key, Write write, Done done);
    void run();
    // Keys refused by fencing, or why the transaction failed.
    core::Result<std::vector<std::string>> commit(const Batch& batch);
    core::Result<std::vector<std::string>> commit_once(const Batch& batch);
    template <class F>
    auto read(F&& f) -> decltype(f(std::declval<pg::Connection&>()));

    PgStoreOptions options_;
    std::string name_;
    std::unique_ptr<pg::Connection> writer_;  // the writer thread's (and open's)
    std::unique_ptr<pg::Connection> reader_;  // guarded by read_mutex_
    std::mutex read_mutex_;

    mutable std::mutex mutex_;  // guards everything below
    std::condition_variable wake_;
    Batch queue_;
    std::uint64_t commits_ = 0;
    std::uint64_t requests_ = 0;
    std::uint64_t reconnects_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace state
