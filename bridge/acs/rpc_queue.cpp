#include "bridge/acs/rpc_queue.hpp"

#include <algorithm>

namespace acs {

std::optional<RpcQueue::Handle> RpcQueue::enqueue(cwmp::Body rpc, RpcCallback done) {
    if (items_.size() >= max_items_) return std::nullopt;
    items_.push_back(Item{++next_handle_, std::move(rpc), std::move(done), false});
    return next_handle_;
}

RpcQueue::Handle RpcQueue::enqueue_internal(cwmp::Body rpc, RpcCallback done) {
    auto first_user = std::find_if(items_.begin(), items_.end(), [](const Item& i) { return !i.internal; });
    items_.insert(first_user, Item{++next_handle_, std::move(rpc), std::move(done), true});
    return next_handle_;
}

bool RpcQueue::cancel(Handle handle) {
    auto it = std::find_if(items_.begin(), items_.end(), [&](const Item& i) { return i.handle == handle; });
    if (it == items_.end()) return false;
    items_.erase(it);
    return true;
}

bool RpcQueue::has_user_rpcs() const {
    return std::any_of(items_.begin(), items_.end(), [](const Item& i) { return !i.internal; });
}

std::optional<RpcQueue::Item> RpcQueue::pop() {
    if (items_.empty()) return std::nullopt;
    Item item = std::move(items_.front());
    items_.pop_front();
    return item;
}

void RpcQueue::fail_user_rpcs(const core::Error& error) {
    std::deque<Item> failed;
    std::deque<Item> kept;
    for (auto& i : items_) (i.internal ? kept : failed).push_back(std::move(i));
    items_ = std::move(kept);
    // Callbacks last: one may enqueue again.
    for (auto& i : failed)
        if (i.done) i.done(error);
}

}  // namespace acs
