#pragma once
// PgNonces: the CMP replay window (the X-CMP-Auth nonces accepted within
// the auth window) in PostgreSQL's bridge.nonces, shared by every bridge of
// a cluster (docs/operations.md, "Several bridges sharing state in
// PostgreSQL"). The same promise as state::AppendLog, which keeps it in a
// file for a single bridge: append() never blocks, a writer thread of its
// own commits whatever was appended meanwhile in one transaction (group
// commit), and when_durable() reports once the COMMIT holding a nonce
// returned — the listener answers only then.
//
// Connection loss: a batch is retried on a new connection with a backoff
// (100 ms doubling to 5 s) until its oldest nonce has waited
// commit_timeout; then its waiters hear false (the gateway gets 503 and
// retries). Re-running a batch is harmless (ON CONFLICT DO NOTHING).
// Rows whose expiry passed are deleted by the writer every purge_every.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/state/pg_conn.hpp"

namespace state {

struct PgNoncesOptions {
    std::string dsn;  // a secret: messages show describe(dsn)
    std::function<std::int64_t()> clock;  // unix seconds: what "expired" means
    std::chrono::milliseconds commit_timeout{30'000};
    std::chrono::milliseconds backoff_first{100};
    std::chrono::milliseconds backoff_max{5'000};
    std::chrono::milliseconds purge_every{60'000};
};

class PgNonces {
public:
    struct Nonce {
        std::string rg_id;
        std::string nonce;
        std::int64_t ts = 0;       // the gateway's signed timestamp
        std::int64_t expires = 0;  // unix seconds after which it cannot be replayed anyway (stale)
    };
    using Durable = std::function<void(bool ok)>;  // on the writer thread: keep it short

    // Connects (failing at once, as PgStore::open), creates or migrates the
    // schema, starts the writer thread.
    static core::Result<std::unique_ptr<PgNonces>> open(PgNoncesOptions options);
    // Drains the queue (committed, or failed after commit_timeout), then stops.
    ~PgNonces();
    PgNonces(const PgNonces&) = delete;
    PgNonces& operator=(const PgNonces&) = delete;

    // Thread-safe, never blocks on I/O. Returns the nonce's sequence number.
    std::uint64_t append(Nonce n);
    // Thread-safe: `done` runs once every nonce up to `seq` is committed (true) or could not be (false).
    void when_durable(std::uint64_t seq, Durable done);
    std::uint64_t last_appended() const;

    // The unexpired nonces of one gateway (every gateway when rg_id is
    // empty), committed by any node. Blocking, on a connection of its own.
    core::Result<std::vector<Nonce>> recent(std::string_view rg_id);
    // Deletes the expired rows now (the writer also does it every purge_every); returns how many.
    core::Result<std::int64_t> purge();
    std::uint64_t commits() const;

private:
    explicit PgNonces(PgNoncesOptions options) : options_(std::move(options)) {}
    void run();
    bool commit(const std::vector<Nonce>& batch, std::chrono::steady_clock::time_point oldest);
    core::Status commit_once(const std::vector<Nonce>& batch);

    PgNoncesOptions options_;
    std::unique_ptr<pg::Connection> writer_;  // the writer thread's
    std::unique_ptr<pg::Connection> reader_;  // guarded by read_mutex_
    std::mutex read_mutex_;

    mutable std::mutex mutex_;  // guards everything below
    std::condition_variable wake_;
    std::vector<Nonce> queue_;
    std::chrono::steady_clock::time_point oldest_{};
    std::uint64_t appended_ = 0;
    std::uint64_t processed_ = 0;
    // Batches not committed (first, last sequence): a later batch is tried afresh.
    std::deque<std::pair<std::uint64_t, std::uint64_t>> failed_;
    std::vector<std::pair<std::uint64_t, Durable>> waiters_;
    std::uint64_t commits_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace state
