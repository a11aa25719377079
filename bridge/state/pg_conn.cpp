// libpq connection wrapper: connecting with timeouts, bound parameters,
// error classification and password scrubbing.
#include "bridge/state/pg_conn.hpp"

#include <charconv>
#include <cstring>

namespace state::pg {
namespace {

struct ConninfoList {
    PQconninfoOption* opts = nullptr;
    ~ConninfoList() { PQconninfoFree(opts); }
};

// The parsed DSN; nullptr when libpq cannot read it (its message is not
// kept: it may quote the DSN, password included).
ConninfoList parse(std::string_view dsn) {
    ConninfoList list;
    char* err = nullptr;
    list.opts = PQconninfoParse(std::string(dsn).c_str(), &err);
    PQfreemem(err);
    return list;
}

std::string value_of(const ConninfoList& l, std::string_view key) {
    for (auto* o = l.opts; o && o->keyword; ++o)
        if (key == o->keyword && o->val) return o->val;
    return {};
}

std::string trimmed(const char* s) {
    std::string m = s ? s : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    // libpq puts the server's "FATAL:  " on a new line after its own prefix.
    for (auto& ch : m)
        if (ch == '\n') ch = ' ';
    return m;
}

bool retryable_state(std::string_view sqlstate) {
    // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot
    // connect now (starting up); 53300: too many connections; 40001/40P01:
    // serialization failure, deadlock — the transaction may simply be retried.
    return sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
           sqlstate == "53300" || sqlstate == "40001" || sqlstate == "40P01";
}

bool auth_failure(std::string_view message) {
    for (std::string_view needle : {"password authentication failed", "no password supplied",
                                    "authentication failed", "pg_hba.conf", "SCRAM"})
        if (message.find(needle) != std::string_view::npos) return true;
    return false;
}

}  // namespace

std::string scrub(std::string message, const std::string& password) {
    if (password.empty()) return message;
    for (auto pos = message.find(password); pos != std::string::npos; pos = message.find(password, pos))
        message.replace(pos, password.size(), "***");
    return message;
}

std::string redact(std::string_view dsn) {
    auto l = parse(dsn);
    if (!l.opts) return "(unparsable DSN)";
    std::string out;
    for (auto* o = l.opts; o->keyword; ++o) {
        if (!o->val || !*o->val) continue;
        out += (out.empty() ? "" : " ") + std::string(o->keyword) + "=" +
               (std::strcmp(o->keyword, "password") == 0 ? std::string("***") : std::string(o->val));
    }
    return out;
}

std::string describe(std::string_view dsn) {
    auto l = parse(dsn);
    if (!l.opts) return "(unparsable DSN)";
    std::string user = value_of(l, "user"), host = value_of(l, "host"), port = value_of(l, "port"),
                db = value_of(l, "dbname");
    if (host.empty()) host = value_of(l, "hostaddr");
    return (user.empty() ? "" : user + "@") + (host.empty() ? "(default host)" : host) +
           (port.empty() ? "" : ":" + port) + "/" + (db.empty() ? "(default database)" : db);
}

std::string password_of(std::string_view dsn) { return value_of(parse(dsn), "password"); }

std::int64_t Rows::integer(int row, int col) const {
    auto v = at(row, col);
    std::int64_t out = 0;
    std::from_chars(v.data(), v.data() + v.size(), out);
    return out;
}

std::int64_t Rows::affected() const {
    const char* n = PQcmdTuples(r_);
    std::int64_t out = 0;
    if (n) std::from_chars(n, n + std::strlen(n), out);
    return out;
}

core::Result<std::unique_ptr<Connection>> Connection::open(const std::string& dsn) {
    const std::string name = describe(dsn), password = password_of(dsn);
    if (name == "(unparsable DSN)")
        return core::make_error("state.config", "the PostgreSQL DSN cannot be parsed (" + redact(dsn) +
                                                    "): expected key=value pairs or a postgresql:// URI");
    // Ours first, the DSN last: what the DSN sets wins (libpq keeps the last value).
    // idle_in_transaction_session_timeout: a bridge never waits between the
    // statements of a transaction, except when it is frozen (SIGSTOP, a VM
    // paused) in the middle of a commit; the server then ends that session
    // so that its row locks (a fenced write share-locks its lease rows) do
    // not block the other nodes' takeover for as long as it stays frozen.
    const char* keys[] = {"connect_timeout", "keepalives",       "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout", "application_name", "options",
                          "dbname",          nullptr};
    const char* values[] = {"5",  "1", "10", "5", "3", "10000", "cmp-cwmp-bridge",
                            "-c idle_in_transaction_session_timeout=5000", dsn.c_str(), nullptr};
    PGconn* c = PQconnectdbParams(keys, values, 1);
    if (!c) return core::make_error("state.unavailable", "PostgreSQL " + name + ": out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
        std::string msg = scrub(trimmed(PQerrorMessage(c)), password);
        PQfinish(c);
        return core::make_error(auth_failure(msg) ? "state.auth" : "state.unavailable",
                                "PostgreSQL " + name + ": cannot connect: " + msg);
    }
    // Notices (e.g. "schema already exists, skipping") would go to stderr raw.
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    return std::unique_ptr<Connection>(new Connection(c, name, password));
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::usable() const { return PQstatus(conn_) == CONNECTION_OK; }

core::Error Connection::error(std::string_view what, const PGresult* r) const {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = scrub(trimmed(r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(conn_)),
                            password_);
    const bool retry = !usable() || (state && retryable_state(state));
    return core::make_error(retry ? "state.unavailable" : "state.io",
                            "PostgreSQL " + name_ + ": " + std::string(what) + ": " + msg +
                                (state ? " (SQLSTATE " + std::string(state) + ")" : ""));
}

core::Result<Rows> Connection::exec(const std::string& sql, const std::vector<Param>& params, bool binary_result) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p.binary ? p.bytes_value.data() : p.text_value.c_str());
        lengths.push_back(static_cast<int>(p.binary ? p.bytes_value.size() : p.text_value.size()));
        formats.push_back(p.binary ? 1 : 0);
    }
    Rows rows(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                           lengths.data(), formats.data(), binary_result ? 1 : 0));
    const PGresult* r = rows.get();
    auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        // The statement's first words say which one failed; no values are in it.
        std::string head = sql.substr(0, sql.find_first_of("(\n"));
        return error(head, r);
    }
    return rows;
}

core::Status Connection::run(const char* sql) {
    Rows rows(PQexec(conn_, sql));
    const PGresult* r = rows.get();
    auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        std::string head(sql, std::min<std::size_t>(std::strlen(sql), 40));
        return error(head, r);
    }
    return core::Ok{};
}

}  // namespace state::pg
