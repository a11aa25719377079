#include "bridge/state/store.hpp"

#include <condition_variable>

#include <algorithm>

namespace state {

core::Status validate_key(std::string_view key) {
    auto allowed = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    };
    if (key.empty() || key.size() > 128 || !std::all_of(key.begin(), key.end(), allowed))
        return core::make_error("state.bad_key", "invalid state key (expected 1-128 of A-Z a-z 0-9 . _ -)");
    if (key == "." || key == "..") return core::make_error("state.bad_key", "invalid state key ('.' and '..')");
    return core::Ok{};
}

core::Result<std::optional<std::string>> MemoryStore::load(std::string_view key) {
    if (auto st = validate_key(key); !st) return st.error();
    std::lock_guard lock(mutex_);
    auto it = blobs_.find(key);
    if (it == blobs_.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
}

core::Status MemoryStore::save(std::string_view key, std::string_view blob) {
    if (auto st = validate_key(key); !st) return st;
    std::lock_guard lock(mutex_);
    blobs_.insert_or_assign(std::string(key), std::string(blob));
    return core::Ok{};
}

core::Status MemoryStore::remove(std::string_view key) {
    if (auto st = validate_key(key); !st) return st;
    std::lock_guard lock(mutex_);
    if (auto it = blobs_.find(key); it != blobs_.end()) blobs_.erase(it);
    return core::Ok{};
}

core::Result<std::vector<std::string>> MemoryStore::keys() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.reserve(blobs_.size());
    for (const auto& [k, v] : blobs_) out.push_back(k);
    return out;
}

core::Status wait_for_done(const std::function<void(Store::Done)>& submit) {
    std::mutex m;
    std::condition_variable cv;
    std::optional<core::Status> result;
    submit([&](core::Status st) {
        std::lock_guard lock(m);
        result = std::move(st);
        cv.notify_one();
    });
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return result.has_value(); });
    return std::move(*result);
}

core::Status check_write(std::string_view key, std::size_t blob_size, std::size_t max_blob) {
    if (auto st = validate_key(key); !st) return st;
    if (blob_size > max_blob)
        return core::make_error("state.too_large", "state blob exceeds " + std::to_string(max_blob >> 20) + " MiB");
    return core::Ok{};
}

}  // namespace state
