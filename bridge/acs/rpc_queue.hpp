#pragma once
// The RPCs waiting for one CPE. It outlives sessions: what was not sent when a
// session ended waits for the next one. The engine's own RPCs (discovery,
// notification attributes) go before the upper layer's, in the order the
// engine asked for them.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>

#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"

namespace acs {

// Called once with the CPE's response body, a cwmp::Fault body, or an error
// ("acs.timeout", "acs.unreachable", "acs.session_ended", "acs.bad_response", ...).
using RpcResult = core::Result<cwmp::Body>;
using RpcCallback = std::function<void(RpcResult)>;

class RpcQueue {
public:
    using Handle = std::uint64_t;

    struct Item {
        Handle handle = 0;
        cwmp::Body rpc;
        RpcCallback done;
        bool internal = false;
    };

    explicit RpcQueue(std::size_t max_items = 64) : max_items_(max_items) {}

    // An upper-layer RPC, after everything queued; nullopt when the queue is full.
    std::optional<Handle> enqueue(cwmp::Body rpc, RpcCallback done);
    // An engine RPC: after the other engine RPCs, before any upper-layer one.
    Handle enqueue_internal(cwmp::Body rpc, RpcCallback done);
    // Removes a queued (not yet sent) RPC without calling it back; false when
    // it is not queued any more (sent, answered or failed).
    bool cancel(Handle handle);

    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }
    bool has_user_rpcs() const;

    // The next RPC to send, removed from the queue.
    std::optional<Item> pop();
    // Fails every queued upper-layer RPC (the CPE cannot be reached); engine
    // RPCs stay for the next session.
    void fail_user_rpcs(const core::Error& error);

private:
    std::deque<Item> items_;
    std::size_t max_items_;
    Handle next_handle_ = 0;
};

}  // namespace acs
