#include "bridge/app/cluster_secrets.hpp"

#include "bridge/core/log.hpp"

namespace app {

SharedSecrets::SharedSecrets(std::unique_ptr<state::SecretDirectory> directory, std::chrono::milliseconds interval)
    : directory_(std::move(directory)), interval_(interval), secrets_(std::make_shared<const Secrets>()) {}

SharedSecrets::~SharedSecrets() { stop(); }

core::Status SharedSecrets::start() {
    if (auto st = refresh(); !st) return st;
    thread_ = std::thread([this] { run(); });
    return core::Ok{};
}

void SharedSecrets::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    stop_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::optional<std::string> SharedSecrets::find(std::string_view rg_id) const {
    std::shared_ptr<const Secrets> snap;
    {
        std::lock_guard lock(mutex_);
        snap = secrets_;
    }
    if (auto it = snap->find(rg_id); it != snap->end()) return it->second;
    return std::nullopt;
}

std::size_t SharedSecrets::size() const {
    std::lock_guard lock(mutex_);
    return secrets_->size();
}

std::uint64_t SharedSecrets::full_reads() const {
    std::lock_guard lock(mutex_);
    return full_reads_;
}

core::Status SharedSecrets::refresh() {
    std::lock_guard one(refresh_mutex_);
    auto changes = directory_->changes_since(version_);
    if (!changes) return changes.error();
    std::shared_ptr<const Secrets> old;
    {
        std::lock_guard lock(mutex_);
        old = secrets_;
    }
    if (changes->changed.empty() && changes->count == static_cast<std::int64_t>(old->size())) return core::Ok{};
    auto fresh = std::make_shared<Secrets>(*old);
    for (auto& e : changes->changed) (*fresh)[e.rg_id] = std::move(e.secret);
    bool full = false;
    if (static_cast<std::int64_t>(fresh->size()) != changes->count) {
        // Something was deleted (or this is the first read): everything, from one snapshot.
        auto all = directory_->changes_since(0);
        if (!all) return all.error();
        fresh = std::make_shared<Secrets>();
        for (auto& e : all->changed) (*fresh)[e.rg_id] = std::move(e.secret);
        changes = std::move(all);
        full = true;
    }
    std::vector<std::string> changed;
    for (const auto& [id, secret] : *fresh)
        if (auto it = old->find(id); it == old->end() || it->second != secret) changed.push_back(id);
    for (const auto& [id, secret] : *old)
        if (!fresh->count(id)) changed.push_back(id);
    const std::size_t count = fresh->size();
    {
        std::lock_guard lock(mutex_);
        secrets_ = std::move(fresh);
        if (full) ++full_reads_;
    }
    version_ = std::max(version_, changes->version);
    if (!changed.empty()) {
        core::log::info("cmp", "shared gateway secrets: " + std::to_string(changed.size()) + " changed, " +
                                   std::to_string(count) + " in all");
        if (changed_) changed_(changed);
    }
    return core::Ok{};
}

void SharedSecrets::run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        stop_cv_.wait_for(lock, interval_, [this] { return stop_; });
        if (stop_) break;
        lock.unlock();
        auto st = refresh();
        lock.lock();
        if (!st && !warned_) {
            warned_ = true;
            core::log::warn("cmp", "shared gateway secrets not refreshed (the last ones stay in force): " +
                                       st.error().message);
        } else if (st && warned_) {
            warned_ = false;
            core::log::info("cmp", "shared gateway secrets refreshed again");
        }
    }
}

}  // namespace app
