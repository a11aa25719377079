#pragma once
// A durable append-only log of short text records, written by its own
// thread with group commit: records appended while the disk is busy are
// written and fsynced together, so a burst of N appends costs one fsync,
// and no caller ever blocks on the disk. Each record carries an expiry; once
// the log holds many expired records it is rewritten (tmp, fsync, rename,
// directory fsync) with the live ones only.
//
// Used for facts that must survive a crash but only for a while: the CMP
// replay window (the nonces accepted in the last few minutes).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/core/result.hpp"

namespace state {

class AppendLog {
public:
    struct Record {
        std::int64_t expires_unix = 0;
        std::string text;  // one line: no '\n'
    };
    // Called on the log's thread once every record up to the awaited one is
    // on disk (true) or could not be written (false). Keep it short: post.
    using Durable = std::function<void(bool ok)>;
    using Clock = std::function<std::int64_t()>;  // unix seconds

    // Opens (creating) `file`, reads the records that have not expired (a
    // torn last line from a crash is ignored) and starts the writer thread.
    static core::Result<std::unique_ptr<AppendLog>> open(std::filesystem::path file, Clock clock);
    ~AppendLog();
    AppendLog(const AppendLog&) = delete;
    AppendLog& operator=(const AppendLog&) = delete;

    // The live records found at open, oldest first.
    const std::vector<Record>& loaded() const { return loaded_; }
    // Thread-safe, never blocks on I/O. Returns the record's sequence number.
    std::uint64_t append(Record r);
    // Thread-safe: `done` runs once every record up to `seq` is durable.
    void when_durable(std::uint64_t seq, Durable done);
    std::uint64_t last_appended() const;
    // Rewrites done so far (for tests and metrics).
    std::uint64_t compactions() const;

private:
    AppendLog(std::filesystem::path file, Clock clock);
    void run();
    core::Status write_batch(const std::vector<Record>& batch);
    core::Status compact();

    std::filesystem::path file_;
    Clock clock_;
    int fd_ = -1;
    std::vector<Record> loaded_;
    std::deque<Record> live_;  // what the file holds that may still matter (writer thread only)
    std::size_t lines_in_file_ = 0;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Record> queue_;
    std::uint64_t appended_ = 0;  // sequence of the last record appended
    std::uint64_t processed_ = 0;  // sequence of the last record the writer handled
    // Batches whose write failed (first, last sequence): not durable. A later
    // batch is tried afresh, so a disk that recovers serves again.
    std::deque<std::pair<std::uint64_t, std::uint64_t>> failed_;
    bool durable_locked(std::uint64_t seq) const;
    std::vector<std::pair<std::uint64_t, Durable>> waiters_;
    std::uint64_t compactions_ = 0;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace state
