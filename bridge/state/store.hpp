#pragma once
// Persistence of per-gateway CPE state behind a narrow interface: the caller
// serialises its state to an opaque blob (cpe::encode_state), the store only
// keeps blobs under validated keys. SqliteStore (sqlite_store.hpp, the
// default) batches many keys' writes into one commit; FileStore keeps a file
// per key; both survive crashes at any instant (a reader sees either the old
// or the new blob, never a torn one). MemoryStore serves tests and replay.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"

namespace state {

// Keys are gateway ids: [A-Za-z0-9._-]{1,128}, and not "." or "..". They
// become file names, so anything else (separators above all) is refused.
core::Status validate_key(std::string_view key);

class Store {
public:
    virtual ~Store() = default;
    // nullopt when nothing is stored under key.
    virtual core::Result<std::optional<std::string>> load(std::string_view key) = 0;
    virtual core::Status save(std::string_view key, std::string_view blob) = 0;
    // A durable write that never blocks the caller: the store writes it from
    // a thread of its own, batching many keys' writes into one commit
    // (group commit), and calls `done` once the blob is durable (or failed),
    // on that thread: post from it, never block in it. Writes of one key
    // complete in the order they were asked for. Stores without a writer
    // thread (MemoryStore, tests) write at once and call `done` before
    // returning.
    using Done = std::function<void(core::Status)>;
    virtual void save_async(std::string key, std::string blob, Done done) { done(save(key, blob)); }
    // Removing an absent key succeeds.
    virtual core::Status remove(std::string_view key) = 0;
    // Every stored key, sorted.
    virtual core::Result<std::vector<std::string>> keys() = 0;
};

// Runs `submit(done)` and blocks until `done` was called (from any thread):
// the synchronous save/remove of stores that write from a thread of their own.
core::Status wait_for_done(const std::function<void(Store::Done)>& submit);
// The checks every store makes before queueing a write: a valid key, a blob of at most max_blob bytes.
core::Status check_write(std::string_view key, std::size_t blob_size, std::size_t max_blob);

// One file per key, <dir>/<key>.yaml, mode 0600, in a directory of mode 0700.
// Writes go to <key>.yaml.tmp.<random>, are fsynced and renamed over the
// old file, then the directory is fsynced. One process per directory.
// Thread-safe; concurrent saves of the same key end with one of the blobs whole.
class FileStore : public Store {
public:
    static constexpr std::size_t kMaxBlob = 64 * 1024 * 1024;

    // Creates the directory if missing, checks that it is one, and removes
    // temporary files left behind by a crash.
    static core::Result<std::unique_ptr<FileStore>> open(std::filesystem::path dir);
    // Touches nothing on disk until the first operation; save creates the directory.
    explicit FileStore(std::filesystem::path dir);

    core::Result<std::optional<std::string>> load(std::string_view key) override;
    core::Status save(std::string_view key, std::string_view blob) override;
    core::Status remove(std::string_view key) override;
    core::Result<std::vector<std::string>> keys() override;

    const std::filesystem::path& directory() const { return dir_; }

private:
    core::Status ensure_directory();
    // Deletes temporaries left by a crash, except those a save of this
    // process is writing right now. Only a previous process can leave any
    // (a failed save removes its own), so one sweep per store is enough.
    void remove_leftovers();
    void sweep_once();

    std::filesystem::path dir_;
    std::mutex mutex_;  // guards in_flight_ and swept_
    std::set<std::string> in_flight_;
    bool swept_ = false;
};

class MemoryStore : public Store {
public:
    core::Result<std::optional<std::string>> load(std::string_view key) override;
    core::Status save(std::string_view key, std::string_view blob) override;
    core::Status remove(std::string_view key) override;
    core::Result<std::vector<std::string>> keys() override;

private:
    std::mutex mutex_;
    std::map<std::string, std::string, std::less<>> blobs_;
};

}  // namespace state
