#pragma once
// cmp.secrets_file (docs/configuration.md): a YAML map rgId -> secret that
// provisioning tools rewrite while the bridge runs. It is read by a thread of
// its own, which looks at the file's modification time every `interval` and
// publishes a new snapshot when it changed, so neither the event loop nor the
// CMP listener's lock ever waits on the disk. A file that does not parse is
// logged (position, never a value) and the previous secrets stay in force.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bridge/core/result.hpp"

namespace app {

class SecretsFile {
public:
    using Secrets = std::map<std::string, std::string, std::less<>>;

    // Reads the file once (an error if it is missing or does not parse), then
    // watches it.
    static core::Result<std::unique_ptr<SecretsFile>> open(std::filesystem::path file,
                                                           std::chrono::milliseconds interval = std::chrono::seconds(1));
    ~SecretsFile();
    SecretsFile(const SecretsFile&) = delete;
    SecretsFile& operator=(const SecretsFile&) = delete;

    // Thread-safe, never touches the disk.
    std::optional<std::string> find(std::string_view rg_id) const;
    std::size_t size() const;
    // How many times the file was (re)read successfully.
    std::uint64_t reads() const;

private:
    SecretsFile(std::filesystem::path file, std::chrono::milliseconds interval);
    // Reads the file if it changed since the last read; errors are logged.
    core::Status refresh(bool force);
    void run();

    const std::filesystem::path file_;
    const std::chrono::milliseconds interval_;
    std::filesystem::file_time_type mtime_{};  // watcher thread only
    mutable std::mutex mutex_;
    std::shared_ptr<const Secrets> secrets_;
    std::uint64_t reads_ = 0;
    std::condition_variable stop_cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace app
