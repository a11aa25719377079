#pragma once
// PgLeases: state::Leases in PostgreSQL's bridge.leases (pg_schema.hpp).
// Every decision is one statement judged by the database's now(): two nodes
// asking at once are serialised by the row lock, and clocks of the nodes
// play no part. Blocking calls on one connection of its own (call them off
// the event loop); a connection lost since the last call is replaced once,
// transparently.
#include <memory>
#include <mutex>

#include "bridge/state/lease.hpp"
#include "bridge/state/pg_conn.hpp"

namespace state {

class PgLeases : public Leases {
public:
    // Connects and creates or migrates the schema (as PgStore::open).
    static core::Result<std::unique_ptr<PgLeases>> open(const std::string& dsn);

    core::Result<std::optional<Lease>> acquire(std::string_view key, std::string_view node,
                                               std::chrono::milliseconds ttl) override;
    core::Result<std::vector<Lease>> acquire_many(const std::vector<std::string>& keys, std::string_view node,
                                                  std::chrono::milliseconds ttl) override;
    core::Status renew(Lease& lease, std::chrono::milliseconds ttl) override;
    core::Result<std::vector<Lease>> renew_all(std::string_view node, std::chrono::milliseconds ttl) override;
    core::Status release(const Lease& lease) override;
    core::Result<std::optional<Lease>> owner(std::string_view key) override;

private:
    explicit PgLeases(std::string dsn) : dsn_(std::move(dsn)) {}
    core::Result<pg::Rows> query(const std::string& sql, const std::vector<pg::Param>& params);

    std::string dsn_;
    std::mutex mutex_;  // guards conn_
    std::unique_ptr<pg::Connection> conn_;
};

}  // namespace state
