#pragma once
// cmp.secrets_file (docs/configuration.md): a YAML map rgId -> secret that
// provisioning tools rewrite while the bridge runs. It is read by a thread of
// its own, which looks at the file's modification time every `interval` and
// publishes a new snapshot when it changed, so neither the event loop nor the
// CMP listener's lock ever waits on the disk. A file that does not parse is
// logged (position, never a value) and the previous secrets stay in force.
//
// With several bridges (state.backend: postgresql) the file feeds the shared
// table instead (Hooks::import, app::SharedSecrets answers the lookups): each
// successful read is imported, and an import that failed (the database did
// not answer) is tried again every interval until one succeeds.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bridge/core/result.hpp"

namespace app {

class SecretsFile {
public:
    using Secrets = std::map<std::string, std::string, std::less<>>;
    struct Hooks {
        // Each successful read, on the watcher thread (at open: the caller's).
        std::function<core::Status(const Secrets&)> import;
        // Ids whose secret a re-read added, changed or removed, on the watcher thread.
        std::function<void(const std::vector<std::string>& ids)> changed;
    };

    // Reads the file once (an error if it is missing or does not parse), then
    // watches it.
    static core::Result<std::unique_ptr<SecretsFile>> open(std::filesystem::path file,
                                                           std::chrono::milliseconds interval = std::chrono::seconds(1),
                                                           Hooks hooks = {});
    ~SecretsFile();
    // Ends the watcher thread; find() keeps answering from the last read.
    void stop();
    SecretsFile(const SecretsFile&) = delete;
    SecretsFile& operator=(const SecretsFile&) = delete;

    // Thread-safe, never touches the disk.
    std::optional<std::string> find(std::string_view rg_id) const;
    std::size_t size() const;
    // Every entry of the last read (the CLI imports them).
    Secrets all() const;
    // How many times the file was (re)read successfully.
    std::uint64_t reads() const;

private:
    SecretsFile(std::filesystem::path file, std::chrono::milliseconds interval, Hooks hooks);
    // Reads the file if it changed since the last read; errors are logged.
    core::Status refresh(bool force);
    // Hands the last read to hooks_.import, if one is pending.
    void import_pending();
    void run();

    const std::filesystem::path file_;
    const std::chrono::milliseconds interval_;
    const Hooks hooks_;
    std::filesystem::file_time_type mtime_{};  // watcher thread only
    bool import_due_ = false;                  // watcher thread only: the last read is not imported yet
    bool import_warned_ = false;               // watcher thread only: its import failure is logged
    mutable std::mutex mutex_;
    std::shared_ptr<const Secrets> secrets_;
    std::uint64_t reads_ = 0;
    std::condition_variable stop_cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace app
