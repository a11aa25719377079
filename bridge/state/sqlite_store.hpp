#pragma once
// SqliteStore: every key's blob in one SQLite database (WAL mode,
// synchronous=FULL), written by a thread of its own with group commit.
//
// Why: FileStore pays write + fsync + rename + directory fsync per change,
// per gateway; under load that was most of the bridge's CPU (issue 11). Here
// whatever was asked while the previous commit was being fsynced goes into
// the next transaction, so a burst of N saves costs a handful of WAL fsyncs,
// and no caller ever waits for the disk unless it chose to (save/remove).
//
// Durability: a write's `done` (or save's return) comes after the COMMIT
// that contains it, and with synchronous=FULL a WAL commit returns only once
// the WAL is fsynced: it survives kill -9 and power loss
// (docs/operations.md, "State and crash safety").
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bridge/state/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace state {

class SqliteStore : public Store {
public:
    // Larger blobs are refused before they reach the queue (as FileStore does).
    static constexpr std::size_t kMaxBlob = 64 * 1024 * 1024;

    // Opens (creating, mode 0600) the database `file`; its directory must
    // exist. Starts the writer thread.
    static core::Result<std::unique_ptr<SqliteStore>> open(std::filesystem::path file);
    // Drains the queue (every pending write is committed or failed and its
    // `done` called), then stops the writer.
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    // Reads what is committed: a save_async whose `done` has not run yet may
    // or may not be visible.
    core::Result<std::optional<std::string>> load(std::string_view key) override;
    core::Result<std::vector<std::string>> keys() override;
    // Through the writer's queue, waiting for the commit.
    core::Status save(std::string_view key, std::string_view blob) override;
    core::Status remove(std::string_view key) override;
    // Pending writes of one key are coalesced: the queue holds at most one
    // blob per key (memory is bounded by the number of keys, not by the rate
    // of changes), and every `done` asked for runs, in order, after the
    // commit holding the latest blob.
    void save_async(std::string key, std::string blob, Done done) override;

    // Writes all `blobs` in one transaction (all or none) and waits for it:
    // the migration's import. Keys already stored are overwritten.
    core::Status save_all(std::vector<std::pair<std::string, std::string>> blobs);

    // Transactions committed so far and writes handed to the store: how well
    // group commit batches (tests, metrics).
    std::uint64_t commits() const;
    std::uint64_t requests() const;

    const std::filesystem::path& file() const { return file_; }

private:
    explicit SqliteStore(std::filesystem::path file);
    // One batch of the queue: the final value of every key touched
    // (nullopt = removed) and every waiter, in the order they asked.
    struct Batch {
        std::map<std::string, std::optional<std::string>, std::less<>> values;
        std::vector<Done> dones;
    };
    void enqueue(std::string key, std::optional<std::string> value, Done done);
    void run();
    core::Status commit(const Batch& batch);
    core::Status prepare_statements();

    std::filesystem::path file_;
    sqlite3* writer_ = nullptr;  // used by the writer thread only (and open/close)
    sqlite3* reader_ = nullptr;  // guarded by read_mutex_
    std::mutex read_mutex_;
    // Prepared once for each connection's life, finalized before it closes:
    // preparing them (and parsing BEGIN/COMMIT) at every commit was most of
    // SQLite's cost when commits carry a few CPEs each. Each is reset after
    // every use, failed or not, so the next batch (or read) starts clean and
    // no finished read keeps a snapshot of the WAL open.
    sqlite3_stmt* begin_ = nullptr;     // writer: BEGIN IMMEDIATE
    sqlite3_stmt* commit_ = nullptr;    // writer: COMMIT
    sqlite3_stmt* rollback_ = nullptr;  // writer: ROLLBACK
    sqlite3_stmt* upsert_ = nullptr;    // writer: one key's blob
    sqlite3_stmt* delete_ = nullptr;    // writer: one key removed
    sqlite3_stmt* select_ = nullptr;    // reader: one key's blob
    sqlite3_stmt* list_ = nullptr;      // reader: every key

    mutable std::mutex mutex_;  // guards everything below
    std::condition_variable wake_;
    Batch queue_;
    std::uint64_t commits_ = 0;
    std::uint64_t requests_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace state
