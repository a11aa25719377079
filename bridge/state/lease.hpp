#pragma once
// Ownership of a gateway by one bridge node at a time, for several bridges
// sharing state (docs/operations.md, "Several bridges sharing state in
// PostgreSQL"). A narrow interface, like Store: PgLeases keeps the leases in
// the same database as PgStore.
//
// A lease is granted to a node until `expires` (the database's clock, never
// a node's: nodes' clocks may disagree, the database is the one judge). Its
// fencing token grows on every grant and never goes back: a write carrying
// the token (PgStore::save_async_fenced) lands only while that grant is the
// current one, so a node that was paused past its expiry and taken over
// cannot overwrite its successor's state.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"

namespace state {

struct Lease {
    std::string key;   // the gateway id
    std::string node;  // the holder
    std::int64_t token = 0;
    std::chrono::system_clock::time_point expires;  // as the database reckoned it
};

class Leases {
public:
    virtual ~Leases() = default;
    // Granted when the lease is free, released, expired or already held by
    // `node` (a restarted node takes its own gateways back); every grant
    // takes the next token. nullopt while another node holds it.
    virtual core::Result<std::optional<Lease>> acquire(std::string_view key, std::string_view node,
                                                       std::chrono::milliseconds ttl) = 0;
    // The same, for many keys in one statement; returns the leases granted.
    virtual core::Result<std::vector<Lease>> acquire_many(const std::vector<std::string>& keys, std::string_view node,
                                                          std::chrono::milliseconds ttl) = 0;
    // Extends a lease still held with this token (even past its expiry, if
    // nobody took it meanwhile: the token is unchanged, so nothing it
    // fences was let through). state.lease_lost otherwise; `lease.expires`
    // is updated on success.
    virtual core::Status renew(Lease& lease, std::chrono::milliseconds ttl) = 0;
    // Every lease `node` holds, extended in one statement; the ones not in
    // the answer are lost.
    virtual core::Result<std::vector<Lease>> renew_all(std::string_view node, std::chrono::milliseconds ttl) = 0;
    // Gives the lease up at once; the token moves on, so the released
    // holder's fenced writes are refused from then on. Releasing a lease no
    // longer held succeeds and does nothing.
    virtual core::Status release(const Lease& lease) = 0;
    // The current holder; nullopt when free or expired.
    virtual core::Result<std::optional<Lease>> owner(std::string_view key) = 0;
};

// A node id names a bridge in lease rows and logs: the gateway-id rule
// ([A-Za-z0-9._-]{1,128}).
core::Status validate_node(std::string_view node);

}  // namespace state
