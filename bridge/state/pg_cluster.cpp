// PgCluster and PgRegistryStore: single statements on bridge.nodes,
// bridge.cr_paths, bridge.leases and bridge.registry.
#include "bridge/state/pg_cluster.hpp"

#include "bridge/state/lease.hpp"
#include "bridge/state/pg_schema.hpp"

namespace state {
namespace {

// A text[] literal; validate_key admits no quote, backslash, comma or brace.
std::string key_array(const std::vector<std::string>& keys) {
    std::string array = "{";
    for (const auto& k : keys) array += (array.size() > 1 ? ",\"" : "\"") + k + "\"";
    return array + "}";
}

// Paths are "/" + a random token (http::random_token): letters, digits, - and _.
core::Status validate_cr_path(std::string_view path) {
    if (path.size() < 2 || path.size() > 256 || path[0] != '/' ||
        path.find_first_not_of("/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~") !=
            std::string_view::npos)
        return core::make_error("state.invalid_key", "not a Connection Request path");
    return core::Ok{};
}

}  // namespace

core::Result<std::unique_ptr<PgCluster>> PgCluster::open(const std::string& dsn) {
    std::unique_ptr<PgCluster> db(new PgCluster(dsn));
    auto c = pg::Connection::open(dsn);
    if (!c) return c.error();
    if (auto st = pg::ensure_schema(**c); !st) return st.error();
    db->conn_ = std::move(*c);
    return db;
}

core::Result<pg::Rows> PgCluster::query(const std::string& sql, const std::vector<pg::Param>& params,
                                        bool binary_result) {
    std::lock_guard lock(mutex_);
    for (int attempt = 0;; ++attempt) {
        if (!conn_ || !conn_->usable()) {
            auto c = pg::Connection::open(dsn_);
            if (!c) return c.error();
            conn_ = std::move(*c);
        }
        // Every statement here is idempotent: re-running one after a lost connection is harmless.
        auto r = conn_->exec(sql, params, binary_result);
        if (r || r.error().code != "state.unavailable" || attempt == 1) return r;
        conn_.reset();
    }
}

core::Status PgCluster::heartbeat(const NodeInfo& self) {
    if (auto st = validate_node(self.node); !st) return st;
    auto r = query("INSERT INTO bridge.nodes (node, cmp_url, cr_url, seen) VALUES ($1, $2, $3, now())"
                   " ON CONFLICT (node) DO UPDATE SET cmp_url = excluded.cmp_url, cr_url = excluded.cr_url,"
                   " seen = excluded.seen",
                   {pg::Param::text(self.node), pg::Param::text(self.cmp_url), pg::Param::text(self.cr_url)});
    if (!r) return r.error();
    return core::Ok{};
}

core::Status PgCluster::leave(std::string_view node) {
    auto r = query("DELETE FROM bridge.nodes WHERE node = $1", {pg::Param::text(node)});
    if (!r) return r.error();
    return core::Ok{};
}

core::Result<std::vector<NodeInfo>> PgCluster::live_nodes(std::chrono::milliseconds within) {
    auto r = query("SELECT node, cmp_url, cr_url FROM bridge.nodes"
                   " WHERE seen > now() - $1::bigint * interval '1 millisecond' ORDER BY node",
                   {pg::Param::integer(within.count())});
    if (!r) return r.error();
    std::vector<NodeInfo> out;
    for (int i = 0; i < r->size(); ++i)
        out.push_back(NodeInfo{std::string(r->at(i, 0)), std::string(r->at(i, 1)), std::string(r->at(i, 2))});
    return out;
}

core::Result<std::vector<NodeStatus>> PgCluster::all_nodes() {
    auto r = query("SELECT node, cmp_url, cr_url, (extract(epoch FROM now() - seen) * 1000)::bigint"
                   " FROM bridge.nodes ORDER BY node");
    if (!r) return r.error();
    std::vector<NodeStatus> out;
    for (int i = 0; i < r->size(); ++i)
        out.push_back(NodeStatus{NodeInfo{std::string(r->at(i, 0)), std::string(r->at(i, 1)), std::string(r->at(i, 2))},
                                 r->integer(i, 3)});
    return out;
}

core::Result<std::vector<std::string>> PgCluster::unowned(const std::vector<std::string>& keys, std::size_t limit) {
    for (const auto& k : keys)
        if (auto st = validate_key(k); !st) return st.error();
    if (keys.empty() || limit == 0) return std::vector<std::string>{};
    auto r = query("SELECT k FROM unnest($1::text[]) AS k LEFT JOIN bridge.leases l ON l.key = k"
                   " WHERE l.key IS NULL OR l.node IS NULL OR l.expires <= now() ORDER BY k LIMIT $2",
                   {pg::Param::text(key_array(keys)), pg::Param::integer(static_cast<std::int64_t>(limit))});
    if (!r) return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.emplace_back(r->at(i, 0));
    return out;
}

core::Result<std::map<std::string, std::string>> PgCluster::owners() {
    auto r = query("SELECT key, node FROM bridge.leases WHERE node IS NOT NULL AND expires > now()");
    if (!r) return r.error();
    std::map<std::string, std::string> out;
    for (int i = 0; i < r->size(); ++i) out.emplace(r->at(i, 0), r->at(i, 1));
    return out;
}

core::Status PgCluster::put_cr_path(std::string_view path, std::string_view gateway) {
    if (auto st = validate_cr_path(path); !st) return st;
    if (auto st = validate_key(gateway); !st) return st;
    auto r = query("INSERT INTO bridge.cr_paths (path, gateway) VALUES ($1, $2)"
                   " ON CONFLICT (path) DO UPDATE SET gateway = excluded.gateway",
                   {pg::Param::text(path), pg::Param::text(gateway)});
    if (!r) return r.error();
    return core::Ok{};
}

core::Status PgCluster::remove_cr_paths(std::string_view gateway) {
    auto r = query("DELETE FROM bridge.cr_paths WHERE gateway = $1", {pg::Param::text(gateway)});
    if (!r) return r.error();
    return core::Ok{};
}

core::Result<std::map<std::string, std::string>> PgCluster::cr_paths() {
    auto r = query("SELECT path, gateway FROM bridge.cr_paths");
    if (!r) return r.error();
    std::map<std::string, std::string> out;
    for (int i = 0; i < r->size(); ++i) out.emplace(r->at(i, 0), r->at(i, 1));
    return out;
}

core::Result<std::unique_ptr<PgRegistryStore>> PgRegistryStore::open(const std::string& dsn) {
    auto db = PgCluster::open(dsn);
    if (!db) return db.error();
    return std::unique_ptr<PgRegistryStore>(new PgRegistryStore(std::move(*db)));
}

core::Result<std::optional<std::string>> PgRegistryStore::load(std::string_view key) {
    if (auto st = validate_key(key); !st) return st.error();
    auto r = db_->query("SELECT blob FROM bridge.registry WHERE key = $1", {pg::Param::text(key)}, true);
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<std::string>{};
    return std::optional<std::string>{std::string(r->at(0, 0))};
}

core::Status PgRegistryStore::save(std::string_view key, std::string_view blob) {
    if (auto st = validate_key(key); !st) return st;
    auto r = db_->query("INSERT INTO bridge.registry (key, blob) VALUES ($1, $2)"
                        " ON CONFLICT (key) DO UPDATE SET blob = excluded.blob",
                        {pg::Param::text(key), pg::Param::bytes(blob)});
    if (!r) return r.error();
    return core::Ok{};
}

core::Status PgRegistryStore::remove(std::string_view key) {
    if (auto st = validate_key(key); !st) return st;
    auto r = db_->query("DELETE FROM bridge.registry WHERE key = $1", {pg::Param::text(key)});
    if (!r) return r.error();
    return core::Ok{};
}

core::Result<std::vector<std::string>> PgRegistryStore::keys() {
    auto r = db_->query("SELECT key FROM bridge.registry ORDER BY key");
    if (!r) return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.emplace_back(r->at(i, 0));
    return out;
}

}  // namespace state
