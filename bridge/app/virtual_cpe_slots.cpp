#include "bridge/app/virtual_cpe_slots.hpp"

namespace app {

bool SessionSlots::acquire(Id id, bool connection_request, Grant grant) {
    std::lock_guard lock(mutex_);
    using P = cpe::SessionAdmission::Priority;
    if (admission_.request(id, connection_request ? P::connection_request : P::normal)) return true;
    grants_[id] = std::move(grant);
    return false;
}

void SessionSlots::raise(Id id) {
    std::lock_guard lock(mutex_);
    admission_.raise(id);
}

bool SessionSlots::withdraw(Id id) {
    std::lock_guard lock(mutex_);
    grants_.erase(id);
    return admission_.withdraw(id);
}

void SessionSlots::release() {
    Grant grant;
    {
        std::lock_guard lock(mutex_);
        auto next = admission_.release();
        if (!next) return;
        auto it = grants_.find(*next);
        if (it != grants_.end()) {
            grant = std::move(it->second);
            grants_.erase(it);
        }
    }
    if (grant) grant();
    else release();  // cannot happen (every waiting id has a grant); never leak the slot
}

std::size_t SessionSlots::running() const {
    std::lock_guard lock(mutex_);
    return admission_.running();
}

std::size_t SessionSlots::waiting() const {
    std::lock_guard lock(mutex_);
    return admission_.waiting();
}

}  // namespace app
