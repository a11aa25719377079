#include "bridge/app/secrets_file.hpp"

#include <yaml-cpp/yaml.h>

#include "bridge/core/log.hpp"

namespace app {

SecretsFile::SecretsFile(std::filesystem::path file, std::chrono::milliseconds interval)
    : file_(std::move(file)), interval_(interval), secrets_(std::make_shared<const Secrets>()) {}

core::Result<std::unique_ptr<SecretsFile>> SecretsFile::open(std::filesystem::path file,
                                                            std::chrono::milliseconds interval) {
    std::unique_ptr<SecretsFile> s(new SecretsFile(std::move(file), interval));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(s->file_, ec))
        return core::make_error("config.secrets_file", "cmp.secrets_file " + s->file_.string() + " is missing");
    if (auto st = s->refresh(true); !st) return st.error();
    s->thread_ = std::thread([p = s.get()] { p->run(); });
    return s;
}

SecretsFile::~SecretsFile() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    stop_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::optional<std::string> SecretsFile::find(std::string_view rg_id) const {
    std::shared_ptr<const Secrets> snap;
    {
        std::lock_guard lock(mutex_);
        snap = secrets_;
    }
    if (auto it = snap->find(rg_id); it != snap->end()) return it->second;
    return std::nullopt;
}

std::size_t SecretsFile::size() const {
    std::lock_guard lock(mutex_);
    return secrets_->size();
}

std::uint64_t SecretsFile::reads() const {
    std::lock_guard lock(mutex_);
    return reads_;
}

core::Status SecretsFile::refresh(bool force) {
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(file_, ec);
    if (ec) {
        if (force) return core::make_error("config.secrets_file", "cmp.secrets_file " + file_.string() + ": " + ec.message());
        return core::Ok{};  // being replaced: look again next time
    }
    if (!force && mtime == mtime_) return core::Ok{};
    try {
        YAML::Node n = YAML::LoadFile(file_.string());
        auto fresh = std::make_shared<Secrets>();
        if (n && !n.IsNull() && !n.IsMap()) throw YAML::Exception(n.Mark(), "expected a map of rgId: secret");
        for (auto it = n.begin(); it != n.end(); ++it) (*fresh)[it->first.as<std::string>()] = it->second.as<std::string>();
        mtime_ = mtime;
        const std::size_t count = fresh->size();
        {
            std::lock_guard lock(mutex_);
            secrets_ = std::move(fresh);
            ++reads_;
        }
        core::log::info("cmp", "secrets file read: " + std::to_string(count) + " gateway secrets");
        return core::Ok{};
    } catch (const YAML::Exception& e) {
        // Keep what we had; the message names the place, never a value.
        mtime_ = mtime;  // not again until it changes
        const std::string where = file_.string() + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg;
        core::log::error("cmp", where);
        return core::make_error("config.secrets_file", where);
    }
}

void SecretsFile::run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        stop_cv_.wait_for(lock, interval_, [this] { return stop_; });
        if (stop_) break;
        lock.unlock();
        (void)refresh(false);
        lock.lock();
    }
}

}  // namespace app
