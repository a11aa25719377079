#include "bridge/app/cluster_replay.hpp"

namespace app {

void SharedReplayWindow::attach(cmp::Listener& listener) {
    listener.on_accepted_nonce([nonces = nonces_.get(), window = window_s_](std::string_view rg, std::string_view nonce,
                                                                             std::int64_t ts) {
        nonces->append({std::string(rg), std::string(nonce), ts, ts + window});
    });
}

core::Result<std::size_t> SharedReplayWindow::restore(cmp::Listener& listener, std::string_view rg_id) {
    auto recent = nonces_->recent(rg_id);
    if (!recent) return recent.error();
    // Restored nonces are not reported to the observer again (Verifier::restore).
    for (const auto& n : *recent) listener.restore_nonce(n.rg_id, n.nonce, n.ts);
    return recent->size();
}

}  // namespace app
