#pragma once
// The CMP replay window shared by several bridges (state.backend:
// postgresql): every nonce the listener accepts goes to bridge.nonces
// (state::PgNonces, group commit; the answer waits for its COMMIT), and a
// node that takes a gateway over first loads that gateway's recent nonces
// into its listener, so a message captured at the old owner is refused as a
// replay at the new one. Why restore-at-takeover and not a database lookup
// per message: docs/operations.md, "The replay window".
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "bridge/cmp/listener.hpp"
#include "bridge/state/pg_nonces.hpp"

namespace app {

class SharedReplayWindow {
public:
    // `window`: the listener's auth window (a nonce matters until its timestamp leaves it on either side).
    SharedReplayWindow(std::unique_ptr<state::PgNonces> nonces, std::int64_t window_s)
        : nonces_(std::move(nonces)), window_s_(window_s) {}

    // Every nonce `listener` accepts from now on is appended (the observer
    // runs under the listener's lock: append never blocks).
    void attach(cmp::Listener& listener);
    // The unexpired nonces of `rg_id` (every gateway when empty), accepted
    // by any node, into `listener`. Blocking (one query): off the event loop.
    core::Result<std::size_t> restore(cmp::Listener& listener, std::string_view rg_id);

    std::uint64_t last_appended() const { return nonces_->last_appended(); }
    void when_durable(std::uint64_t seq, state::PgNonces::Durable done) { nonces_->when_durable(seq, std::move(done)); }
    state::PgNonces& store() { return *nonces_; }

private:
    std::unique_ptr<state::PgNonces> nonces_;
    std::int64_t window_s_;
};

}  // namespace app
