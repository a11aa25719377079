// PgLeases: grants, renewals and releases as single statements on bridge.leases.
#include "bridge/state/pg_leases.hpp"

#include <set>

#include "bridge/state/pg_schema.hpp"
#include "bridge/state/store.hpp"

namespace state {
namespace {

// Every statement answers with these columns, expiry in ms since the epoch.
constexpr const char* kReturning =
    " RETURNING key, node, token, (extract(epoch FROM expires) * 1000)::bigint";

std::vector<Lease> leases_of(const pg::Rows& r) {
    std::vector<Lease> out;
    out.reserve(static_cast<std::size_t>(r.size()));
    for (int row = 0; row < r.size(); ++row)
        out.push_back(Lease{std::string(r.at(row, 0)), std::string(r.at(row, 1)), r.integer(row, 2),
                            std::chrono::system_clock::time_point(std::chrono::milliseconds(r.integer(row, 3)))});
    return out;
}

pg::Param ttl_param(std::chrono::milliseconds ttl) { return pg::Param::integer(ttl.count()); }

core::Status check_ttl(std::chrono::milliseconds ttl) {
    if (ttl.count() > 0) return core::Ok{};
    return core::make_error("state.invalid_ttl", "a lease's time to live must be positive");
}

// A lease decision waits for a row lock at most this long: a node frozen
// in the middle of a fenced commit holds its lease rows share-locked until
// the server ends its session (idle_in_transaction_session_timeout); the
// keeper then fails this round and asks again at the next one.
core::Result<std::unique_ptr<pg::Connection>> open_connection(const std::string& dsn) {
    auto c = pg::Connection::open(dsn);
    if (!c) return c.error();
    if (auto st = (*c)->run("SET lock_timeout = '3s'"); !st) return st.error();
    return c;
}

}  // namespace

core::Result<std::unique_ptr<PgLeases>> PgLeases::open(const std::string& dsn) {
    std::unique_ptr<PgLeases> leases(new PgLeases(dsn));
    auto c = open_connection(dsn);
    if (!c) return c.error();
    if (auto st = pg::ensure_schema(**c); !st) return st.error();
    leases->conn_ = std::move(*c);
    return leases;
}

core::Result<pg::Rows> PgLeases::query(const std::string& sql, const std::vector<pg::Param>& params) {
    std::lock_guard lock(mutex_);
    for (int attempt = 0;; ++attempt) {
        if (!conn_ || !conn_->usable()) {
            auto c = open_connection(dsn_);
            if (!c) return c.error();
            conn_ = std::move(*c);
        }
        // Each statement is its own transaction: re-running one after a lost
        // connection is safe only because a grant that did land is ours
        // again by the same-node rule, and renewals and releases are
        // idempotent.
        auto r = conn_->exec(sql, params);
        if (r || r.error().code != "state.unavailable" || attempt == 1) return r;
        conn_.reset();
    }
}

core::Result<std::vector<Lease>> PgLeases::acquire_many(const std::vector<std::string>& keys, std::string_view node,
                                                        std::chrono::milliseconds ttl) {
    if (auto st = validate_node(node); !st) return st.error();
    if (auto st = check_ttl(ttl); !st) return st.error();
    // Unique keys: one statement may not update a row twice.
    std::set<std::string_view> unique;
    for (const auto& k : keys) {
        if (auto st = validate_key(k); !st) return st.error();
        unique.insert(k);
    }
    if (unique.empty()) return std::vector<Lease>{};
    // A text[] literal; validate_key admits no quote, backslash, comma or brace.
    std::string array = "{";
    for (auto k : unique) array += (array.size() > 1 ? ",\"" : "\"") + std::string(k) + "\"";
    array += "}";
    auto r = query(std::string("INSERT INTO bridge.leases AS l (key, node, token, expires)"
                               " SELECT k, $2, 1, now() + $3::bigint * interval '1 millisecond'"
                               " FROM unnest($1::text[]) AS k"
                               " ON CONFLICT (key) DO UPDATE SET node = excluded.node, token = l.token + 1,"
                               " expires = excluded.expires"
                               " WHERE l.expires <= now() OR l.node IS NULL OR l.node = excluded.node") +
                       kReturning,
                   {pg::Param::text(array), pg::Param::text(node), ttl_param(ttl)});
    if (!r) return r.error();
    return leases_of(*r);
}

core::Result<std::optional<Lease>> PgLeases::acquire(std::string_view key, std::string_view node,
                                                     std::chrono::milliseconds ttl) {
    auto got = acquire_many({std::string(key)}, node, ttl);
    if (!got) return got.error();
    if (got->empty()) return std::optional<Lease>{};
    return std::optional<Lease>{std::move(got->front())};
}

core::Status PgLeases::renew(Lease& lease, std::chrono::milliseconds ttl) {
    if (auto st = check_ttl(ttl); !st) return st;
    auto r = query(std::string("UPDATE bridge.leases SET expires = now() + $4::bigint * interval '1 millisecond'"
                               " WHERE key = $1 AND node = $2 AND token = $3") +
                       kReturning,
                   {pg::Param::text(lease.key), pg::Param::text(lease.node), pg::Param::integer(lease.token),
                    ttl_param(ttl)});
    if (!r) return r.error();
    auto got = leases_of(*r);
    if (got.empty())
        return core::make_error("state.lease_lost", "lease of " + lease.key + " (token " + std::to_string(lease.token) +
                                                        ") is no longer held by " + lease.node);
    lease.expires = got.front().expires;
    return core::Ok{};
}

core::Result<std::vector<Lease>> PgLeases::renew_all(std::string_view node, std::chrono::milliseconds ttl) {
    if (auto st = validate_node(node); !st) return st.error();
    if (auto st = check_ttl(ttl); !st) return st.error();
    auto r = query(std::string("UPDATE bridge.leases SET expires = now() + $2::bigint * interval '1 millisecond'"
                               " WHERE node = $1") +
                       kReturning,
                   {pg::Param::text(node), ttl_param(ttl)});
    if (!r) return r.error();
    return leases_of(*r);
}

core::Status PgLeases::release(const Lease& lease) {
    // The token moves on: the released holder's writes are fenced from now on.
    auto r = query("UPDATE bridge.leases SET node = NULL, expires = '-infinity', token = token + 1"
                   " WHERE key = $1 AND node = $2 AND token = $3",
                   {pg::Param::text(lease.key), pg::Param::text(lease.node), pg::Param::integer(lease.token)});
    if (!r) return r.error();
    return core::Ok{};
}

core::Result<std::optional<Lease>> PgLeases::owner(std::string_view key) {
    if (auto st = validate_key(key); !st) return st.error();
    auto r = query(std::string("SELECT key, node, token, (extract(epoch FROM expires) * 1000)::bigint"
                               " FROM bridge.leases WHERE key = $1 AND node IS NOT NULL AND expires > now()"),
                   {pg::Param::text(key)});
    if (!r) return r.error();
    auto got = leases_of(*r);
    if (got.empty()) return std::optional<Lease>{};
    return std::optional<Lease>{std::move(got.front())};
}

}  // namespace state
