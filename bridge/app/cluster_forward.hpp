#pragma once
// Relaying a request to the node that owns its gateway (behind a TCP load
// balancer a gateway's CMP message or an ACS's Connection Request may reach
// any node): the whole request goes to the owner's listener as it came —
// X-CMP-Auth, Digest and the body untouched, so the owner verifies them
// itself — and its answer comes back as it is. Connection-level headers are
// the two hops' own. A request already forwarded is marked
// (X-Bridge-Forwarded-By) and never forwarded again: two nodes that
// disagree for a moment about an owner cannot bounce it between them.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "bridge/http/message.hpp"

namespace app {

constexpr const char* kForwardedHeader = "X-Bridge-Forwarded-By";

struct ForwardOptions {
    std::chrono::milliseconds connect_timeout{3'000};
    std::chrono::milliseconds io_timeout{30'000};
    std::size_t body_limit = 1024 * 1024;
};

// The owner's answer; 503 with Retry-After when the owner cannot be reached
// (the sender tries again, by then the lease has moved or the owner is back).
boost::asio::awaitable<http::Response> forward_request(std::string base_url, http::Request req, std::string self_node,
                                                       ForwardOptions options = {});

// 503 + Retry-After 5 with a plain-text reason: a request this node can
// neither serve nor relay now (owner unreachable, CPE starting or moving).
http::Response cluster_unavailable(std::string why);

}  // namespace app
