// SqliteStore: group commit over one SQLite database in WAL mode.
#include "bridge/state/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace state {
namespace fs = std::filesystem;

namespace {

// The schema this code writes; a database from a newer bridge is refused
// rather than half understood.
constexpr int kSchemaVersion = 1;
// Another process (an operator's sqlite3 shell, a backup) may hold a lock for
// a moment; waiting beats failing a commit. A lock held longer fails the batch,
// and the next batch tries again.
constexpr int kBusyTimeoutMs = 5000;

core::Error db_error(sqlite3* db, std::string_view op, const fs::path& file) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
    return core::make_error("state.io", std::string(op) + " " + file.string() + ": " + msg + " (sqlite " +
                                            std::to_string(code) + ")");
}

core::Status exec(sqlite3* db, const char* sql, const fs::path& file) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return db_error(db, sql, file);
    return core::Ok{};
}

// Finalizes a statement however the scope is left.
struct Stmt {
    sqlite3_stmt* s = nullptr;
    ~Stmt() { sqlite3_finalize(s); }
};

// Resets a cached statement and drops its bindings however the scope is
// left: after an error too, or the next use fails; a read left on its row
// would keep its WAL snapshot (and the checkpoint) waiting; the bound key and
// blob are the caller's memory, gone after it returns.
struct ResetOnExit {
    sqlite3_stmt* s;
    ~ResetOnExit() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

core::Status prepare(sqlite3* db, const char* sql, sqlite3_stmt** out, const fs::path& file) {
    // PERSISTENT: kept for the connection's life, so SQLite allocates it outside its lookaside pool.
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, nullptr) != SQLITE_OK)
        return db_error(db, std::string("prepare \"") + sql + "\" on", file);
    return core::Ok{};
}

core::Result<sqlite3*> connect(const fs::path& file) {
    sqlite3* db = nullptr;
    // NOMUTEX: each connection is used by one thread at a time (the writer's
    // by the writer thread, the reader's under read_mutex_).
    int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                             nullptr);
    if (rc != SQLITE_OK) {
        auto err = db_error(db, "open", file);
        sqlite3_close(db);
        return err;
    }
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    return db;
}

// Creates the file with mode 0600 before SQLite does (it would use 0644 and
// the umask): it holds Connection Request credentials. SQLite gives its -wal
// and -shm files the database file's mode.
core::Status create_private(const fs::path& file) {
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) {
        struct stat st {};
        if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            return core::make_error("state.io", "open " + file.string() + ": not a regular file");
        return core::Ok{};
    }
    if (fd < 0)
        return core::make_error("state.io", "create " + file.string() + ": " + std::system_category().message(errno));
    int rc = ::fchmod(fd, 0600);
    int err = errno;
    ::close(fd);
    if (rc != 0) return core::make_error("state.io", "chmod " + file.string() + ": " + std::system_category().message(err));
    return core::Ok{};
}

// SQLite makes the creation of its -wal file durable, not that of the
// database file, which create_private made.
core::Status fsync_parent(const fs::path& file) {
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return core::make_error("state.io", "open " + dir.string() + ": " + std::system_category().message(errno));
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return core::make_error("state.io", "fsync " + dir.string() + ": " + std::system_category().message(err));
    return core::Ok{};
}

}  // namespace

SqliteStore::SqliteStore(fs::path file) : file_(std::move(file)) {}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(fs::path file) {
    std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(file)));
    const fs::path& f = store->file_;
    if (auto st = create_private(f); !st) return st.error();
    if (auto st = fsync_parent(f); !st) return st.error();
    auto writer = connect(f);
    if (!writer) return writer.error();
    store->writer_ = *writer;
    // WAL: a commit appends to the -wal file and fsyncs it once (no rollback
    // journal dance), and readers never block the writer. FULL: that fsync
    // happens at every commit, so a commit that returned survives power loss;
    // NORMAL would only fsync at checkpoints (kill -9 safe, power loss not).
    sqlite3* db = store->writer_;
    {
        Stmt mode;
        if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &mode.s, nullptr) != SQLITE_OK ||
            sqlite3_step(mode.s) != SQLITE_ROW)
            return db_error(db, "PRAGMA journal_mode=WAL on", f);
        auto got = reinterpret_cast<const char*>(sqlite3_column_text(mode.s, 0));
        if (!got || std::string_view(got) != "wal")
            return core::make_error("state.io", f.string() + ": cannot use WAL mode (journal_mode " +
                                                    (got ? got : "?") + "); is the file system local?");
    }
    if (auto st = exec(db, "PRAGMA synchronous=FULL", f); !st) return st.error();
    int version = 0;
    {
        Stmt v;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &v.s, nullptr) != SQLITE_OK ||
            sqlite3_step(v.s) != SQLITE_ROW)
            return db_error(db, "read the schema version of", f);
        version = sqlite3_column_int(v.s, 0);
    }
    if (version > kSchemaVersion)
        return core::make_error("state.io", f.string() + " has schema version " + std::to_string(version) +
                                                " (this bridge knows up to " + std::to_string(kSchemaVersion) +
                                                "): written by a newer bridge");
    if (version < kSchemaVersion) {
        if (auto st = exec(db,
                           "BEGIN IMMEDIATE;"
                           "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY NOT NULL, blob BLOB NOT NULL);"
                           "PRAGMA user_version=1;"
                           "COMMIT;",
                           f);
            !st) {
            exec(db, "ROLLBACK", f);
            return st.error();
        }
    }
    auto reader = connect(f);
    if (!reader) return reader.error();
    store->reader_ = *reader;
    if (auto st = exec(store->reader_, "PRAGMA query_only=1", f); !st) return st.error();
    if (auto st = store->prepare_statements(); !st) return st.error();
    store->thread_ = std::thread([s = store.get()] { s->run(); });
    return store;
}

SqliteStore::~SqliteStore() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // A connection with statements left unfinalized would not close.
    for (sqlite3_stmt* s : {begin_, commit_, rollback_, upsert_, delete_, select_, list_}) sqlite3_finalize(s);
    // The reader first: the last connection to close checkpoints the WAL
    // into the database and removes it, with the writer's synchronous=FULL.
    sqlite3_close(reader_);
    sqlite3_close(writer_);
}

void SqliteStore::enqueue(std::string key, std::optional<std::string> value, Done done) {
    {
        std::lock_guard lock(mutex_);
        queue_.values.insert_or_assign(std::move(key), std::move(value));
        queue_.dones.push_back(std::move(done));
        ++requests_;
    }
    wake_.notify_one();
}

void SqliteStore::save_async(std::string key, std::string blob, Done done) {
    if (auto st = check_write(key, blob.size(), kMaxBlob); !st) return done(st);
    enqueue(std::move(key), std::move(blob), std::move(done));
}

core::Status SqliteStore::save(std::string_view key, std::string_view blob) {
    return wait_for_done([&](Done done) { save_async(std::string(key), std::string(blob), std::move(done)); });
}

core::Status SqliteStore::remove(std::string_view key) {
    if (auto st = validate_key(key); !st) return st;
    return wait_for_done([&](Done done) { enqueue(std::string(key), std::nullopt, std::move(done)); });
}

core::Status SqliteStore::save_all(std::vector<std::pair<std::string, std::string>> blobs) {
    for (const auto& [key, blob] : blobs) {
        if (auto st = validate_key(key); !st) return core::make_error(st.error().code, st.error().message + ": " + key);
        if (blob.size() > kMaxBlob) return core::make_error("state.too_large", "state blob of " + key + " exceeds 64 MiB");
    }
    if (blobs.empty()) return core::Ok{};
    return wait_for_done([&](Done done) {
        // One lock hold: the writer takes the whole queue at once, so these
        // land in one transaction (possibly with others' writes).
        {
            std::lock_guard lock(mutex_);
            for (auto& [key, blob] : blobs) queue_.values.insert_or_assign(std::move(key), std::move(blob));
            queue_.dones.push_back(std::move(done));
            ++requests_;
        }
        wake_.notify_one();
    });
}

void SqliteStore::run() {
    for (;;) {
        Batch batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || !queue_.dones.empty(); });
            // Stopping drains: whatever was queued before the destructor ran is written.
            if (queue_.dones.empty()) return;
            std::swap(batch, queue_);
        }
        core::Status st = commit(batch);
        if (st) {
            std::lock_guard lock(mutex_);
            ++commits_;
        }
        // Every waiter of the batch hears the same outcome: a failed
        // transaction wrote none of it. A later batch starts afresh, so the
        // store serves again once the disk does.
        for (auto& done : batch.dones) done(st);
    }
}

core::Status SqliteStore::prepare_statements() {
    const std::pair<const char*, sqlite3_stmt**> writer[] = {
        {"BEGIN IMMEDIATE", &begin_},
        {"COMMIT", &commit_},
        {"ROLLBACK", &rollback_},
        {"INSERT INTO state (key, blob) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET blob = excluded.blob", &upsert_},
        {"DELETE FROM state WHERE key = ?1", &delete_},
    };
    for (auto [sql, stmt] : writer)
        if (auto st = prepare(writer_, sql, stmt, file_); !st) return st;
    if (auto st = prepare(reader_, "SELECT blob FROM state WHERE key = ?1", &select_, file_); !st) return st;
    // BINARY collation compares bytes: the same order as std::string.
    return prepare(reader_, "SELECT key FROM state ORDER BY key", &list_, file_);
}

core::Status SqliteStore::commit(const Batch& batch) {
    sqlite3* db = writer_;
    auto rollback = [&] {
        // An I/O error may already have rolled the transaction back.
        if (sqlite3_get_autocommit(db)) return;
        ResetOnExit reset{rollback_};
        sqlite3_step(rollback_);
    };
    // A ROLLBACK that failed itself (the disk again) left the transaction
    // open: this batch must not land in it, nor fail to begin because of it.
    rollback();
    // Reset right after its step, failed or not: a statement still running
    // would keep the ROLLBACK below from ending the transaction.
    auto step = [](sqlite3_stmt* s) {
        ResetOnExit reset{s};
        return sqlite3_step(s) == SQLITE_DONE;
    };
    auto fail = [&](std::string_view op) -> core::Status {
        core::Status err = db_error(db, op, file_);  // before the rollback replaces the message
        rollback();
        return err;
    };
    if (!step(begin_)) return fail("begin a transaction on");
    for (const auto& [key, value] : batch.values) {
        sqlite3_stmt* s = value ? upsert_ : delete_;
        sqlite3_bind_text(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
        if (value) sqlite3_bind_blob64(s, 2, value->data(), value->size(), SQLITE_STATIC);
        if (!step(s)) return fail(value ? "write " + key + " to" : "remove " + key + " from");
    }
    if (!step(commit_)) return fail("commit to");
    return core::Ok{};
}

core::Result<std::optional<std::string>> SqliteStore::load(std::string_view key) {
    if (auto st = validate_key(key); !st) return st.error();
    std::lock_guard lock(read_mutex_);
    ResetOnExit reset{select_};
    sqlite3_bind_text(select_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    int rc = sqlite3_step(select_);
    if (rc == SQLITE_DONE) return std::optional<std::string>{};
    if (rc != SQLITE_ROW) return db_error(reader_, "read " + std::string(key) + " from", file_);
    // A zero-length blob comes back as a null pointer.
    auto data = static_cast<const char*>(sqlite3_column_blob(select_, 0));
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(select_, 0));
    return std::optional<std::string>{data ? std::string(data, size) : std::string()};
}

core::Result<std::vector<std::string>> SqliteStore::keys() {
    std::lock_guard lock(read_mutex_);
    ResetOnExit reset{list_};
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(list_)) == SQLITE_ROW) {
        auto text = reinterpret_cast<const char*>(sqlite3_column_text(list_, 0));
        out.emplace_back(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(list_, 0)));
    }
    if (rc != SQLITE_DONE) return db_error(reader_, "list", file_);
    return out;
}

std::uint64_t SqliteStore::commits() const {
    std::lock_guard lock(mutex_);
    return commits_;
}

std::uint64_t SqliteStore::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

}  // namespace state
