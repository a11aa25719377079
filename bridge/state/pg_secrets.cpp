// PgSecrets: bridge.secrets, written under a table lock, read by version.
#include "bridge/state/pg_secrets.hpp"

#include "bridge/state/pg_schema.hpp"
#include "bridge/state/store.hpp"

namespace state {
namespace {

// Rows per INSERT of an import: 2 parameters each, far below PostgreSQL's 65535.
constexpr std::size_t kRowsPerStatement = 1000;

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
        i += n;
    }
    return true;
}

}  // namespace

core::Status validate_secret_entry(std::string_view rg_id, std::string_view secret) {
    // The ids a gateway may register with (GatewayEvents::access): state keys of at most 64 bytes.
    if (!validate_key(rg_id) || rg_id.size() > 64)
        return core::make_error("state.invalid_key", "not a gateway id (1-64 of A-Z a-z 0-9 . _ -)");
    if (secret.empty() || secret.size() > 1024)
        return core::make_error("state.invalid", "a secret is 1 to 1024 bytes");
    for (char c : secret)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            return core::make_error("state.invalid", "a secret holds no control characters");
    if (!valid_utf8(secret)) return core::make_error("state.invalid", "a secret is UTF-8 text");
    return core::Ok{};
}

core::Result<std::unique_ptr<PgSecrets>> PgSecrets::open(const std::string& dsn) {
    std::unique_ptr<PgSecrets> s(new PgSecrets(dsn));
    auto c = pg::Connection::open(dsn);
    if (!c) return c.error();
    if (auto st = pg::ensure_schema(**c); !st) return st.error();
    s->conn_ = std::move(*c);
    return s;
}

core::Status PgSecrets::connect() {
    if (conn_ && conn_->usable()) return core::Ok{};
    auto c = pg::Connection::open(dsn_);
    if (!c) return c.error();
    conn_ = std::move(*c);
    return core::Ok{};
}

core::Status PgSecrets::write(const std::function<core::Status(pg::Connection&)>& body) {
    std::lock_guard lock(mutex_);
    for (int attempt = 0;; ++attempt) {
        if (auto st = connect(); !st) return st;
        pg::Connection& db = *conn_;
        auto st = [&]() -> core::Status {
            if (auto b = db.run("BEGIN"); !b) return b;
            // Serializes writers (and only them): a version taken is committed
            // before the next writer takes one, so readers never skip a late COMMIT.
            if (auto l = db.run("LOCK TABLE bridge.secrets IN SHARE ROW EXCLUSIVE MODE"); !l) return l;
            if (auto b = body(db); !b) return b;
            return db.run("COMMIT");
        }();
        if (st) return st;
        if (db.usable()) db.run("ROLLBACK");
        // Every write here is idempotent: re-running one after a lost connection is harmless.
        if (st.error().code != "state.unavailable" || attempt == 1) return st;
        conn_.reset();
    }
}

core::Result<SecretChanges> PgSecrets::changes_since(std::int64_t since) {
    std::lock_guard lock(mutex_);
    // One statement, one snapshot: the changes, the highest version and the row count agree.
    const std::string sql =
        "WITH t AS (SELECT count(*) AS n, coalesce(max(version), 0) AS v FROM bridge.secrets)"
        " SELECT s.rg_id, s.secret, s.version, t.n, t.v FROM t"
        " LEFT JOIN bridge.secrets s ON s.version > $1::bigint ORDER BY s.version";
    for (int attempt = 0;; ++attempt) {
        if (auto st = connect(); !st) return st.error();
        auto r = conn_->exec(sql, {pg::Param::integer(since)});
        if (!r) {
            if (r.error().code == "state.unavailable" && attempt == 0) {
                conn_.reset();
                continue;
            }
            return r.error();
        }
        SecretChanges out;
        for (int i = 0; i < r->size(); ++i) {
            out.count = r->integer(i, 3);
            out.version = r->integer(i, 4);
            if (r->null(i, 0)) continue;  // no change: the one row of the counts
            out.changed.push_back(SecretEntry{std::string(r->at(i, 0)), std::string(r->at(i, 1)), r->integer(i, 2)});
        }
        return out;
    }
}

core::Status PgSecrets::set(std::string_view rg_id, std::string_view secret) {
    if (auto st = validate_secret_entry(rg_id, secret); !st) return st;
    return write([&](pg::Connection& db) -> core::Status {
        auto r = db.exec(
            "INSERT INTO bridge.secrets (rg_id, secret, source, version) VALUES ($1, $2, $3, nextval('bridge.secrets_version'))"
            " ON CONFLICT (rg_id) DO UPDATE SET secret = excluded.secret, source = excluded.source,"
            " version = excluded.version, updated_at = now()"
            " WHERE bridge.secrets.secret <> excluded.secret OR bridge.secrets.source <> excluded.source",
            {pg::Param::text(rg_id), pg::Param::text(secret), pg::Param::text(kSecretFromOperator)});
        if (!r) return r.error();
        return core::Ok{};
    });
}

core::Result<bool> PgSecrets::remove(std::string_view rg_id) {
    bool removed = false;
    auto st = write([&](pg::Connection& db) -> core::Status {
        auto r = db.exec("DELETE FROM bridge.secrets WHERE rg_id = $1", {pg::Param::text(rg_id)});
        if (!r) return r.error();
        removed = r->affected() > 0;
        return core::Ok{};
    });
    if (!st) return st.error();
    return removed;
}

core::Result<SecretImport> PgSecrets::import_file(const Secrets& file) {
    for (const auto& [id, secret] : file)
        if (auto st = validate_secret_entry(id, secret); !st)
            return core::make_error(st.error().code, "secrets file entry " + (state::validate_key(id) ? id : "(invalid id)") +
                                                         ": " + st.error().message);
    SecretImport out;
    auto st = write([&](pg::Connection& db) -> core::Status {
        out = {};
        if (auto st = db.run("CREATE TEMPORARY TABLE secrets_import (rg_id text COLLATE \"C\" PRIMARY KEY,"
                             " secret text NOT NULL) ON COMMIT DROP");
            !st)
            return st;
        auto it = file.begin();
        while (it != file.end()) {
            std::string sql = "INSERT INTO secrets_import (rg_id, secret) VALUES ";
            std::vector<pg::Param> params;
            for (std::size_t j = 0; j < kRowsPerStatement && it != file.end(); ++j, ++it) {
                sql += (j ? ",($" : "($") + std::to_string(2 * j + 1) + ",$" + std::to_string(2 * j + 2) + ")";
                params.push_back(pg::Param::text(it->first));
                params.push_back(pg::Param::text(it->second));
            }
            if (auto r = db.exec(sql, params); !r) return r.error();
        }
        // Only what is new or different takes a version: an unchanged file costs the readers nothing.
        auto w = db.exec(
            "INSERT INTO bridge.secrets (rg_id, secret, source, version)"
            " SELECT i.rg_id, i.secret, $1, nextval('bridge.secrets_version') FROM secrets_import i"
            " WHERE NOT EXISTS (SELECT 1 FROM bridge.secrets s WHERE s.rg_id = i.rg_id AND s.secret = i.secret"
            " AND s.source = $1) ORDER BY i.rg_id"
            " ON CONFLICT (rg_id) DO UPDATE SET secret = excluded.secret, source = excluded.source,"
            " version = excluded.version, updated_at = now()",
            {pg::Param::text(kSecretFromFile)});
        if (!w) return w.error();
        out.written = static_cast<std::size_t>(w->affected());
        auto d = db.exec("DELETE FROM bridge.secrets s WHERE s.source = $1"
                         " AND NOT EXISTS (SELECT 1 FROM secrets_import i WHERE i.rg_id = s.rg_id)",
                         {pg::Param::text(kSecretFromFile)});
        if (!d) return d.error();
        out.deleted = static_cast<std::size_t>(d->affected());
        return core::Ok{};
    });
    if (!st) return st.error();
    return out;
}

core::Result<std::vector<SecretListing>> PgSecrets::list() {
    std::lock_guard lock(mutex_);
    for (int attempt = 0;; ++attempt) {
        if (auto st = connect(); !st) return st.error();
        auto r = conn_->exec("SELECT rg_id, source, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                             " FROM bridge.secrets ORDER BY rg_id");
        if (!r) {
            if (r.error().code == "state.unavailable" && attempt == 0) {
                conn_.reset();
                continue;
            }
            return r.error();
        }
        std::vector<SecretListing> out;
        for (int i = 0; i < r->size(); ++i)
            out.push_back({std::string(r->at(i, 0)), std::string(r->at(i, 1)), std::string(r->at(i, 2))});
        return out;
    }
}

}  // namespace state
