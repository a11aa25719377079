#pragma once
// app::SharedSecrets: the per-gateway CMP secrets of a cluster (state.backend:
// postgresql), read from a state::SecretDirectory (bridge.secrets) into a
// snapshot that find() answers from. Same contract as app::SecretsFile::find:
// thread-safe, never a database call on the caller's thread (the event loop,
// the CMP listener under its lock). A thread of its own asks for the changes
// since the last version it saw every `interval` (1 s: a secret written at
// any node is in force everywhere within about that).
//
// Deletions leave no row to see: when the snapshot, with the changes applied,
// holds more entries than the table has, it is read again in full.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bridge/state/secret_directory.hpp"

namespace app {

class SharedSecrets {
public:
    using Secrets = state::SecretDirectory::Secrets;
    // Ids whose secret was added, changed or removed by the last refresh (on the refreshing thread).
    using Changed = std::function<void(const std::vector<std::string>& ids)>;

    explicit SharedSecrets(std::unique_ptr<state::SecretDirectory> directory,
                           std::chrono::milliseconds interval = std::chrono::seconds(1));
    ~SharedSecrets();
    SharedSecrets(const SharedSecrets&) = delete;
    SharedSecrets& operator=(const SharedSecrets&) = delete;

    // Reads the table once (an error if it cannot), then refreshes on the thread.
    core::Status start();
    // Ends the thread; find() keeps answering from the last snapshot.
    void stop();
    // Called after every refresh that changed something (set before start()).
    void on_change(Changed changed) { changed_ = std::move(changed); }

    // Thread-safe, never touches the database.
    std::optional<std::string> find(std::string_view rg_id) const;
    std::size_t size() const;
    // One refresh on the caller's thread (the thread does this every interval; tests call it).
    core::Status refresh();
    std::uint64_t full_reads() const;

    // The directory, for imports of cmp.secrets_file (blocking: off the event loop).
    state::SecretDirectory& directory() { return *directory_; }

private:
    void run();

    std::unique_ptr<state::SecretDirectory> directory_;
    const std::chrono::milliseconds interval_;
    Changed changed_;
    std::mutex refresh_mutex_;    // one refresh at a time; guards version_
    std::int64_t version_ = 0;    // everything up to here is in the snapshot
    mutable std::mutex mutex_;    // guards the snapshot, the counters and stop_
    std::shared_ptr<const Secrets> secrets_;
    std::uint64_t full_reads_ = 0;
    bool stop_ = false;
    bool warned_ = false;  // refresh failures are logged once until one succeeds
    std::condition_variable stop_cv_;
    std::thread thread_;
};

}  // namespace app
