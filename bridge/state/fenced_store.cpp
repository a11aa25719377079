#include "bridge/state/fenced_store.hpp"

#include <future>

namespace state {

void FencedStore::set_token(std::string_view key, std::int64_t token) {
    std::lock_guard lock(mutex_);
    tokens_[std::string(key)] = token;
}

void FencedStore::clear_token(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (auto it = tokens_.find(key); it != tokens_.end()) tokens_.erase(it);
}

std::optional<std::int64_t> FencedStore::token(std::string_view key) const {
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(key);
    if (it == tokens_.end()) return std::nullopt;
    return it->second;
}

void FencedStore::save_async(std::string key, std::string blob, Done done) {
    auto t = token(key);
    if (!t) {
        done(core::make_error("state.fenced", "no lease held for " + key + ": the write is refused"));
        return;
    }
    writer_.save_async_fenced(std::move(key), std::move(blob), *t, std::move(done));
}

core::Status FencedStore::save(std::string_view key, std::string_view blob) {
    std::promise<core::Status> result;
    auto future = result.get_future();
    save_async(std::string(key), std::string(blob), [&result](core::Status st) { result.set_value(std::move(st)); });
    return future.get();
}

}  // namespace state
