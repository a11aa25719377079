#include "bridge/app/secrets_file.hpp"

#include <yaml-cpp/yaml.h>

#include "bridge/core/log.hpp"

namespace app {

SecretsFile::SecretsFile(std::filesystem::path file, std::chrono::milliseconds interval, Hooks hooks)
    : file_(std::move(file)), interval_(interval), hooks_(std::move(hooks)), secrets_(std::make_shared<const Secrets>()) {}

core::Result<std::unique_ptr<SecretsFile>> SecretsFile::open(std::filesystem::path file,
                                                            std::chrono::milliseconds interval, Hooks hooks) {
    std::unique_ptr<SecretsFile> s(new SecretsFile(std::move(file), interval, std::move(hooks)));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(s->file_, ec))
        return core::make_error("config.secrets_file", "cmp.secrets_file " + s->file_.string() + " is missing");
    if (auto st = s->refresh(true); !st) return st.error();
    s->import_pending();
    s->thread_ = std::thread([p = s.get()] { p->run(); });
    return s;
}

SecretsFile::~SecretsFile() { stop(); }

void SecretsFile::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    stop_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void SecretsFile::import_pending() {
    if (!import_due_ || !hooks_.import) return;
    std::shared_ptr<const Secrets> snap;
    {
        std::lock_guard lock(mutex_);
        snap = secrets_;
    }
    auto st = hooks_.import(*snap);
    // Logged once per read: a database that stays away would otherwise repeat it every interval.
    if (!st && !import_warned_) {
        import_warned_ = true;
        core::log::error("cmp", "secrets file " + file_.string() + " not imported into the shared secrets (tried again): " +
                                    st.error().message);
    }
    // Retried only when the database was away: a file it refuses stays refused until it changes.
    import_due_ = !st && st.error().code == "state.unavailable";
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

SecretsFile::Secrets SecretsFile::all() const {
    std::lock_guard lock(mutex_);
    return *secrets_;
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
        std::shared_ptr<const Secrets> old;
        {
            std::lock_guard lock(mutex_);
            old = secrets_;
            secrets_ = fresh;
            ++reads_;
        }
        core::log::info("cmp", "secrets file read: " + std::to_string(count) + " gateway secrets");
        import_due_ = true;
        import_warned_ = false;
        if (hooks_.changed && !force) {
            std::vector<std::string> changed;
            for (const auto& [id, secret] : *fresh)
                if (auto it = old->find(id); it == old->end() || it->second != secret) changed.push_back(id);
            for (const auto& [id, secret] : *old)
                if (!fresh->count(id)) changed.push_back(id);
            if (!changed.empty()) hooks_.changed(changed);
        }
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
        import_pending();
        lock.lock();
    }
}

}  // namespace app
