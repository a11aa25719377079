#include "bridge/app/virtual_cpe_slots.hpp"

#include "bridge/app/bridge_metrics.hpp"

#include <malloc.h>

#include <algorithm>

// Defined when the daemon is linked with mimalloc (bridge/app/CMakeLists.txt); null in the
// test binaries, which keep glibc's malloc.
extern "C" void mi_collect(bool force) __attribute__((weak));

namespace app {

namespace {
// A burst of at least this many sessions at once is worth giving back.
constexpr std::size_t kTrimAfterPeak = 64;
}  // namespace

bool SessionSlots::acquire(Id id, bool connection_request, Grant grant) {
    std::lock_guard lock(mutex_);
    using P = cpe::SessionAdmission::Priority;
    if (admission_.request(id, connection_request ? P::connection_request : P::normal)) {
        peak_ = std::max(peak_, admission_.running());
        return true;
    }
    grants_[id] = std::move(grant);
    publish_waiting();
    return false;
}

void SessionSlots::publish_waiting() {
    metrics().sessions_waiting.with(std::vector<std::string>{}).set(static_cast<double>(admission_.waiting()));
}

void SessionSlots::raise(Id id) {
    std::lock_guard lock(mutex_);
    admission_.raise(id);
}

bool SessionSlots::withdraw(Id id) {
    std::lock_guard lock(mutex_);
    grants_.erase(id);
    const bool was_waiting = admission_.withdraw(id);
    publish_waiting();
    return was_waiting;
}

void SessionSlots::release() {
    Grant grant;
    bool burst_ended = false, orphan = false;
    {
        std::lock_guard lock(mutex_);
        if (auto next = admission_.release()) {
            auto it = grants_.find(*next);
            if (it != grants_.end()) {
                grant = std::move(it->second);
                grants_.erase(it);
            }
            orphan = !grant;  // cannot happen (every waiting id has a grant); never leak the slot
            publish_waiting();
        } else if (admission_.running() == 0 && peak_ >= kTrimAfterPeak) {
            burst_ended = true;
            peak_ = 0;
        }
    }
    if (orphan) return release();
    if (grant) return grant();
    // The last session of a burst ended. glibc keeps the heap of the burst's
    // peak (buffers, DOMs, strings of hundreds of sessions) mapped: an idle
    // fleet measured 34-38 KiB per gateway after an all-at-once bootstrap
    // against 8 KiB after a spread one. The free pages go back once per
    // burst (milliseconds), outside the lock and off every CPE's strand.
    // mimalloc purges freed pages by itself after a delay; collecting once
    // here also returns this thread's cached free pages at once.
    if (burst_ended) {
        if (mi_collect)
            mi_collect(true);
        else
            ::malloc_trim(0);
    }
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
