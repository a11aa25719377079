#pragma once
// PgSecrets: state::SecretDirectory in PostgreSQL's bridge.secrets (schema
// v4), shared by every bridge of a cluster. Writers take a SHARE ROW
// EXCLUSIVE lock on the table for their transaction, so versions (from the
// sequence bridge.secrets_version) become visible in the order they were
// taken: a reader asking for "above V" never skips a row committed late.
// Readers take no such lock.
//
// Blocking calls on one connection of its own, replaced once when it was
// lost: call them off the event loop (app::SharedSecrets' thread, the
// secrets file's watcher thread, the CLI).
#include <memory>
#include <mutex>
#include <string>

#include "bridge/state/pg_conn.hpp"
#include "bridge/state/secret_directory.hpp"

namespace state {

class PgSecrets : public SecretDirectory {
public:
    // Connects and creates or migrates the schema (as PgStore::open).
    static core::Result<std::unique_ptr<PgSecrets>> open(const std::string& dsn);

    core::Result<SecretChanges> changes_since(std::int64_t since) override;
    core::Status set(std::string_view rg_id, std::string_view secret) override;
    core::Result<bool> remove(std::string_view rg_id) override;
    core::Result<SecretImport> import_file(const Secrets& file) override;
    core::Result<std::vector<SecretListing>> list() override;

private:
    explicit PgSecrets(std::string dsn) : dsn_(std::move(dsn)) {}
    core::Status connect();
    // One write transaction under the table lock; `body` runs the statements.
    // Retried once on a new connection when the old one was lost before COMMIT.
    core::Status write(const std::function<core::Status(pg::Connection&)>& body);

    std::string dsn_;
    std::mutex mutex_;  // guards conn_
    std::unique_ptr<pg::Connection> conn_;
};

}  // namespace state
