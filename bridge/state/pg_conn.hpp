#pragma once
// One libpq connection, as PgStore and PgLeases use it: parameters bound
// out of line (never spliced into SQL), every error classified and stripped
// of the password, timeouts on every network step.
//
// Why a class of our own and not libpqxx: libpq is the one library Debian
// ships for every PostgreSQL version and is all this needs; the wrapper is
// RAII plus the error rules below (docs/dependencies.md).
//
// Error codes (core::Error::code):
//   state.unavailable  the server cannot be reached, went away, is starting
//                      or shutting down, or refused for load: worth retrying
//                      on a new connection
//   state.auth         the server refused the credentials: retrying is useless
//   state.io           anything else the server refused (SQL, constraint, ...)
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"

namespace state::pg {

// `dsn` (keyword=value or postgresql:// URI) with the password's value
// replaced by ***; a DSN libpq cannot parse is shown as "(unparsable DSN)".
std::string redact(std::string_view dsn);
// "user@host:port/dbname" of a DSN, for messages: never the password.
std::string describe(std::string_view dsn);
// The DSN's password (empty when none): messages are scrubbed of it even
// where a server or libpq might echo it.
std::string password_of(std::string_view dsn);

// One bound parameter: text (copied, NUL-terminated for libpq) or binary
// (bytea: sent as it is, no escaping, no copy: the caller keeps it alive
// until exec returns).
struct Param {
    std::string text_value;
    std::string_view bytes_value;
    bool binary = false;
    static Param text(std::string_view v) { return Param{std::string(v), {}, false}; }
    static Param bytes(std::string_view v) { return Param{{}, v, true}; }
    static Param integer(std::int64_t v) { return Param{std::to_string(v), {}, false}; }
};

// Owns one PGresult.
class Rows {
public:
    explicit Rows(PGresult* r) : r_(r) {}
    Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    Rows& operator=(Rows&& o) noexcept {
        std::swap(r_, o.r_);
        return *this;
    }
    Rows(const Rows&) = delete;
    ~Rows() { PQclear(r_); }

    int size() const { return PQntuples(r_); }
    bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
    std::string_view at(int row, int col) const {
        return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
    }
    std::int64_t integer(int row, int col) const;
    // Rows an INSERT/UPDATE/DELETE touched.
    std::int64_t affected() const;
    const PGresult* get() const { return r_; }

private:
    PGresult* r_;
};

class Connection {
public:
    // Connects (connect_timeout 5 s and TCP keepalives/user timeout of 10 s
    // unless the DSN sets them: a dead server or a cut network is noticed
    // within seconds, not after the kernel's two hours).
    static core::Result<std::unique_ptr<Connection>> open(const std::string& dsn);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one statement. `binary_result`: columns come back in PostgreSQL's
    // binary format (bytea as raw bytes).
    core::Result<Rows> exec(const std::string& sql, const std::vector<Param>& params = {}, bool binary_result = false);
    // Statements without results (BEGIN, COMMIT, DDL), several allowed.
    core::Status run(const char* sql);
    // False once the connection is lost: it is then replaced, never reused.
    bool usable() const;

    const std::string& name() const { return name_; }

private:
    Connection(PGconn* c, std::string name, std::string password)
        : conn_(c), name_(std::move(name)), password_(std::move(password)) {}
    core::Error error(std::string_view what, const PGresult* r) const;

    PGconn* conn_;
    std::string name_;      // describe(dsn)
    std::string password_;  // to scrub messages with
};

// The password replaced by *** wherever it occurs in `message`.
std::string scrub(std::string message, const std::string& password);

}  // namespace state::pg
