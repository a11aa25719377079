// Schema creation and migration of the PostgreSQL store.
#include "bridge/state/pg_schema.hpp"

namespace state::pg {
namespace {

// pg_advisory_xact_lock key: "cmpcwmp1" read as a big-endian integer; any
// constant works as long as every bridge uses the same one.
constexpr const char* kLockKey = "7164506154724061233";

// Migration N takes the schema from version N-1 to N. Append, never edit:
// a database may be at any earlier version.
constexpr const char* kMigrations[] = {
    // 1: state and leases. COLLATE "C": keys sort by bytes, as std::string does.
    "CREATE TABLE bridge.state ("
    "  key text COLLATE \"C\" PRIMARY KEY,"
    "  blob bytea NOT NULL,"
    "  node text,"
    "  token bigint NOT NULL DEFAULT 0,"
    "  updated timestamptz NOT NULL DEFAULT now());"
    "CREATE TABLE bridge.leases ("
    "  key text COLLATE \"C\" PRIMARY KEY,"
    "  node text,"
    "  token bigint NOT NULL,"
    "  expires timestamptz NOT NULL);"
    "CREATE INDEX leases_by_node ON bridge.leases (node);",
    // 2: several bridges serving one fleet (app::LeaseKeeper): who is alive
    // and where to forward to; which gateway a Connection Request path
    // names; self-registered gateways, shared by every node.
    "CREATE TABLE bridge.nodes ("
    "  node text COLLATE \"C\" PRIMARY KEY,"
    "  cmp_url text NOT NULL,"
    "  cr_url text NOT NULL,"
    "  seen timestamptz NOT NULL);"
    "CREATE TABLE bridge.cr_paths ("
    "  path text COLLATE \"C\" PRIMARY KEY,"
    "  gateway text COLLATE \"C\" NOT NULL);"
    "CREATE TABLE bridge.registry ("
    "  key text COLLATE \"C\" PRIMARY KEY,"
    "  blob bytea NOT NULL);",
    // 3: the CMP replay window shared by every node (state::PgNonces): a
    // gateway's new owner refuses what the old owner accepted. Times are
    // unix seconds of the gateway's signed timestamp, as the listener keeps them.
    "CREATE TABLE bridge.nonces ("
    "  rg_id text COLLATE \"C\" NOT NULL,"
    "  nonce text COLLATE \"C\" NOT NULL,"
    "  ts bigint NOT NULL,"
    "  expires bigint NOT NULL,"
    "  PRIMARY KEY (rg_id, nonce));"
    "CREATE INDEX nonces_by_expiry ON bridge.nonces (expires);",
    // 4: per-gateway CMP secrets shared by every node (state::PgSecrets).
    // `version` grows with every write (a node reads what changed since the
    // last version it saw); `source` says who wrote it ('file': an import of
    // cmp.secrets_file, which may delete it again; 'operator': the CLI).
    "CREATE SEQUENCE bridge.secrets_version;"
    "CREATE TABLE bridge.secrets ("
    "  rg_id text COLLATE \"C\" PRIMARY KEY,"
    "  secret text NOT NULL,"
    "  source text NOT NULL,"
    "  version bigint NOT NULL,"
    "  updated_at timestamptz NOT NULL DEFAULT now());"
    "CREATE INDEX secrets_by_version ON bridge.secrets (version);",
};
static_assert(sizeof kMigrations / sizeof kMigrations[0] == kSchemaVersion);

}  // namespace

core::Status ensure_schema(Connection& c) {
    if (auto st = c.run("BEGIN"); !st) return st;
    auto fail = [&](core::Error e) -> core::Status {
        c.run("ROLLBACK");
        return e;
    };
    if (auto r = c.exec(std::string("SELECT pg_advisory_xact_lock(") + kLockKey + ")"); !r) return fail(r.error());
    // CREATE ... IF NOT EXISTS still needs the right to create: only what
    // is missing is created, so once the schema is there the role needs no
    // more than USAGE on it and the rights on its tables.
    auto has = c.exec("SELECT to_regnamespace('bridge') IS NOT NULL, to_regclass('bridge.schema_version') IS NOT NULL");
    if (!has) return fail(has.error());
    if (has->at(0, 0) != "t")
        if (auto st = c.run("CREATE SCHEMA bridge"); !st) return fail(st.error());
    if (has->at(0, 1) != "t")
        if (auto st = c.run("CREATE TABLE bridge.schema_version (version integer PRIMARY KEY,"
                            " applied timestamptz NOT NULL DEFAULT now())");
            !st)
            return fail(st.error());
    auto v = c.exec("SELECT coalesce(max(version), 0) FROM bridge.schema_version");
    if (!v) return fail(v.error());
    const auto version = v->integer(0, 0);
    if (version > kSchemaVersion)
        return fail(core::make_error("state.io", "PostgreSQL " + c.name() + ": schema version " +
                                                     std::to_string(version) + " (this bridge knows up to " +
                                                     std::to_string(kSchemaVersion) + "): written by a newer bridge"));
    for (auto n = version + 1; n <= kSchemaVersion; ++n) {
        if (auto st = c.run(kMigrations[n - 1]); !st) return fail(st.error());
        if (auto r = c.exec("INSERT INTO bridge.schema_version (version) VALUES ($1::integer)", {Param::integer(n)}); !r)
            return fail(r.error());
    }
    if (auto st = c.run("COMMIT"); !st) return fail(st.error());
    return core::Ok{};
}

}  // namespace state::pg
