// PgStore: group commit over PostgreSQL, retried across connection loss.
#include "bridge/state/pg_store.hpp"

#include <algorithm>

#include "bridge/core/log.hpp"

namespace state {
namespace {

// Rows per statement: a few round trips for a batch of thousands of keys,
// far below PostgreSQL's 65535 parameters per statement.
constexpr std::size_t kRowsPerStatement = 1000;

std::string placeholders(std::size_t rows, const std::vector<const char*>& casts) {
    std::string out;
    int n = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        out += r ? ",(" : "(";
        for (std::size_t c = 0; c < casts.size(); ++c)
            out += (c ? ",$" : "$") + std::to_string(++n) + "::" + casts[c];
        out += ")";
    }
    return out;
}

// A text[] literal of keys. validate_key admits no quote, backslash, comma
// or brace, and quoting each element keeps a key named NULL a string.
std::string key_array(const std::vector<std::string_view>& keys) {
    std::string out = "{";
    for (std::size_t i = 0; i < keys.size(); ++i) out += (i ? ",\"" : "\"") + std::string(keys[i]) + "\"";
    return out + "}";
}

}  // namespace

PgStore::PgStore(PgStoreOptions options) : options_(std::move(options)), name_(pg::describe(options_.dsn)) {}

core::Result<std::unique_ptr<PgStore>> PgStore::open(PgStoreOptions options) {
    std::unique_ptr<PgStore> store(new PgStore(std::move(options)));
    auto writer = pg::Connection::open(store->options_.dsn);
    if (!writer) return writer.error();
    if (auto st = pg::ensure_schema(**writer); !st) return st.error();
    auto reader = pg::Connection::open(store->options_.dsn);
    if (!reader) return reader.error();
    store->writer_ = std::move(*writer);
    store->reader_ = std::move(*reader);
    store->thread_ = std::thread([s = store.get()] { s->run(); });
    return store;
}

PgStore::~PgStore() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PgStore::enqueue(std::string key, Write write, Done done) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.waiters.empty()) queue_.oldest = std::chrono::steady_clock::now();
        queue_.writes.insert_or_assign(key, std::move(write));
        queue_.waiters.push_back(Waiter{std::move(key), std::move(done)});
        ++requests_;
    }
    wake_.notify_one();
}

void PgStore::save_async(std::string key, std::string blob, Done done) {
    if (auto st = check_write(key, blob.size(), kMaxBlob); !st) return done(st);
    enqueue(std::move(key), Write{std::move(blob), std::nullopt}, std::move(done));
}

void PgStore::save_async_fenced(std::string key, std::string blob, std::int64_t token, Done done) {
    if (auto st = check_write(key, blob.size(), kMaxBlob); !st) return done(st);
    enqueue(std::move(key), Write{std::move(blob), token}, std::move(done));
}

core::Status PgStore::save(std::string_view key, std::string_view blob) {
    return wait_for_done([&](Done done) { save_async(std::string(key), std::string(blob), std::move(done)); });
}

core::Status PgStore::remove(std::string_view key) {
    if (auto st = validate_key(key); !st) return st;
    return wait_for_done([&](Done done) { enqueue(std::string(key), Write{}, std::move(done)); });
}

void PgStore::run() {
    for (;;) {
        Batch batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || !queue_.waiters.empty(); });
            // Stopping drains: whatever was queued before the destructor ran is written.
            if (queue_.waiters.empty()) return;
            std::swap(batch, queue_);
        }
        auto outcome = commit(batch);
        if (outcome) {
            std::lock_guard lock(mutex_);
            ++commits_;
        }
        const core::Error fenced{"state.fenced", "the write's lease token is no longer the current one: another "
                                                 "node took the gateway over; not written"};
        for (auto& w : batch.waiters) {
            if (!outcome) w.done(outcome.error());
            else if (std::binary_search(outcome->begin(), outcome->end(), w.key))
                w.done(core::make_error(fenced.code, "state of " + w.key + ": " + fenced.message));
            else w.done(core::Ok{});
        }
    }
}

// Retries a batch that failed because the server went away, on a new
// connection, until the oldest write has waited commit_timeout.
core::Result<std::vector<std::string>> PgStore::commit(const Batch& batch) {
    const auto deadline = batch.oldest + options_.commit_timeout;
    auto backoff = options_.backoff_first;
    for (int attempt = 1;; ++attempt) {
        auto outcome = commit_once(batch);
        if (outcome || outcome.error().code != "state.unavailable") {
            if (attempt > 1)
                core::log::info("state", "PostgreSQL " + name_ + " reachable again after " + std::to_string(attempt) +
                                             " attempts; the waiting writes are " + (outcome ? "committed" : "failed"));
            return outcome;
        }
        writer_.reset();  // a lost connection is never reused
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            return core::make_error("state.unavailable",
                                    "not committed: PostgreSQL unavailable for " +
                                        std::to_string(options_.commit_timeout.count() / 1000) +
                                        " s (" + outcome.error().message + ")");
        if (attempt == 1)
            core::log::warn("state", outcome.error().message + "; holding " + std::to_string(batch.waiters.size()) +
                                         " write(s) and retrying for up to " +
                                         std::to_string(options_.commit_timeout.count() / 1000) + " s");
        // The last attempt is made at the deadline itself.
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(backoff, deadline - now));
        backoff = std::min(backoff * 2, options_.backoff_max);
    }
}

core::Result<std::vector<std::string>> PgStore::commit_once(const Batch& batch) {
    if (!writer_) {
        auto c = pg::Connection::open(options_.dsn);
        if (!c) return c.error();
        writer_ = std::move(*c);
        std::lock_guard lock(mutex_);
        ++reconnects_;
    }
    pg::Connection& db = *writer_;
    auto fail = [&](core::Error e) -> core::Result<std::vector<std::string>> {
        if (db.usable()) db.run("ROLLBACK");
        return e;
    };
    std::vector<std::pair<std::string_view, const std::string*>> plain, fenced;
    std::vector<std::int64_t> tokens;
    std::vector<std::string_view> removed;
    for (const auto& [key, w] : batch.writes) {
        if (!w.blob) removed.push_back(key);
        else if (w.token) {
            fenced.emplace_back(key, &*w.blob);
            tokens.push_back(*w.token);
        } else plain.emplace_back(key, &*w.blob);
    }
    if (auto st = db.run("BEGIN"); !st) return fail(st.error());
    for (std::size_t i = 0; i < plain.size(); i += kRowsPerStatement) {
        const std::size_t n = std::min(kRowsPerStatement, plain.size() - i);
        std::vector<pg::Param> params;
        params.reserve(2 * n);
        for (std::size_t j = i; j < i + n; ++j) {
            params.push_back(pg::Param::text(plain[j].first));
            params.push_back(pg::Param::bytes(*plain[j].second));
        }
        auto r = db.exec("INSERT INTO bridge.state (key, blob) VALUES " + placeholders(n, {"text", "bytea"}) +
                             " ON CONFLICT (key) DO UPDATE SET blob = excluded.blob, updated = now()",
                         params);
        if (!r) return fail(r.error());
    }
    // The lease row is share-locked: a takeover (which updates it) waits for
    // this transaction, or this statement sees the takeover's new token.
    std::vector<std::string> written;
    for (std::size_t i = 0; i < fenced.size(); i += kRowsPerStatement) {
        const std::size_t n = std::min(kRowsPerStatement, fenced.size() - i);
        std::vector<pg::Param> params;
        params.reserve(3 * n);
        for (std::size_t j = i; j < i + n; ++j) {
            params.push_back(pg::Param::text(fenced[j].first));
            params.push_back(pg::Param::bytes(*fenced[j].second));
            params.push_back(pg::Param::integer(tokens[j]));
        }
        auto r = db.exec("WITH v (key, blob, token) AS (VALUES " + placeholders(n, {"text", "bytea", "bigint"}) +
                             "), held AS (SELECT v.key, v.blob, v.token, l.node FROM v JOIN bridge.leases l"
                             " ON l.key = v.key AND l.token = v.token AND l.node IS NOT NULL FOR SHARE OF l)"
                             " INSERT INTO bridge.state AS s (key, blob, node, token)"
                             " SELECT key, blob, node, token FROM held"
                             " ON CONFLICT (key) DO UPDATE SET blob = excluded.blob, node = excluded.node,"
                             " token = excluded.token, updated = now() WHERE s.token <= excluded.token"
                             " RETURNING key",
                         params);
        if (!r) return fail(r.error());
        for (int row = 0; row < r->size(); ++row) written.emplace_back(r->at(row, 0));
    }
    if (!removed.empty()) {
        auto r = db.exec("DELETE FROM bridge.state WHERE key = ANY($1::text[])", {pg::Param::text(key_array(removed))});
        if (!r) return fail(r.error());
    }
    if (auto st = db.run("COMMIT"); !st) return fail(st.error());
    std::sort(written.begin(), written.end());
    std::vector<std::string> refused;
    for (const auto& [key, blob] : fenced)
        if (!std::binary_search(written.begin(), written.end(), key)) refused.emplace_back(key);
    std::sort(refused.begin(), refused.end());
    return refused;
}

template <class F>
auto PgStore::read(F&& f) -> decltype(f(std::declval<pg::Connection&>())) {
    std::lock_guard lock(read_mutex_);
    for (int attempt = 0;; ++attempt) {
        if (!reader_ || !reader_->usable()) {
            auto c = pg::Connection::open(options_.dsn);
            if (!c) return c.error();
            reader_ = std::move(*c);
        }
        auto out = f(*reader_);
        // A connection lost since the last read (a server restart) is
        // replaced once; a second failure is reported.
        if (out || out.error().code != "state.unavailable" || attempt == 1) return out;
        reader_.reset();
    }
}

core::Result<std::optional<std::string>> PgStore::load(std::string_view key) {
    if (auto st = validate_key(key); !st) return st.error();
    return read([&](pg::Connection& c) -> core::Result<std::optional<std::string>> {
        auto r = c.exec("SELECT blob FROM bridge.state WHERE key = $1", {pg::Param::text(key)}, true);
        if (!r) return r.error();
        if (r->size() == 0) return std::optional<std::string>{};
        return std::optional<std::string>{std::string(r->at(0, 0))};
    });
}

core::Result<std::vector<std::string>> PgStore::keys() {
    return read([&](pg::Connection& c) -> core::Result<std::vector<std::string>> {
        auto r = c.exec("SELECT key FROM bridge.state ORDER BY key");
        if (!r) return r.error();
        std::vector<std::string> out;
        out.reserve(static_cast<std::size_t>(r->size()));
        for (int row = 0; row < r->size(); ++row) out.emplace_back(r->at(row, 0));
        return out;
    });
}

std::uint64_t PgStore::commits() const {
    std::lock_guard lock(mutex_);
    return commits_;
}

std::uint64_t PgStore::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::uint64_t PgStore::reconnects() const {
    std::lock_guard lock(mutex_);
    return reconnects_;
}

}  // namespace state
