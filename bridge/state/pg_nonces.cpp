// PgNonces: the shared replay window, group-committed to PostgreSQL.
#include "bridge/state/pg_nonces.hpp"

#include <algorithm>

#include "bridge/core/log.hpp"
#include "bridge/state/pg_schema.hpp"

namespace state {
namespace {

// Rows per INSERT: 4 parameters each, far below PostgreSQL's 65535 per statement.
constexpr std::size_t kRowsPerStatement = 1000;
// Failed batches remembered for waiters that ask late; older ones are forgotten.
constexpr std::size_t kFailedKept = 1024;

}  // namespace

core::Result<std::unique_ptr<PgNonces>> PgNonces::open(PgNoncesOptions options) {
    if (!options.clock) return core::make_error("state.invalid", "PgNonces needs a clock");
    std::unique_ptr<PgNonces> n(new PgNonces(std::move(options)));
    auto writer = pg::Connection::open(n->options_.dsn);
    if (!writer) return writer.error();
    if (auto st = pg::ensure_schema(**writer); !st) return st.error();
    auto reader = pg::Connection::open(n->options_.dsn);
    if (!reader) return reader.error();
    n->writer_ = std::move(*writer);
    n->reader_ = std::move(*reader);
    n->thread_ = std::thread([s = n.get()] { s->run(); });
    return n;
}

PgNonces::~PgNonces() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::uint64_t PgNonces::append(Nonce n) {
    std::uint64_t seq;
    {
        std::lock_guard lock(mutex_);
        if (queue_.empty()) oldest_ = std::chrono::steady_clock::now();
        queue_.push_back(std::move(n));
        seq = ++appended_;
    }
    wake_.notify_one();
    return seq;
}

std::uint64_t PgNonces::last_appended() const {
    std::lock_guard lock(mutex_);
    return appended_;
}

std::uint64_t PgNonces::commits() const {
    std::lock_guard lock(mutex_);
    return commits_;
}

void PgNonces::when_durable(std::uint64_t seq, Durable done) {
    std::unique_lock lock(mutex_);
    if (seq > processed_) {
        waiters_.emplace_back(seq, std::move(done));
        return;
    }
    const bool failed = std::any_of(failed_.begin(), failed_.end(),
                                    [&](const auto& f) { return seq >= f.first && seq <= f.second; });
    lock.unlock();
    done(!failed);
}

void PgNonces::run() {
    auto next_purge = std::chrono::steady_clock::now() + options_.purge_every;
    for (;;) {
        std::vector<Nonce> batch;
        std::chrono::steady_clock::time_point oldest;
        std::uint64_t first = 0, last = 0;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_until(lock, next_purge, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty() && stop_) return;  // stopping drains what was appended before
            std::swap(batch, queue_);
            oldest = oldest_;
            last = appended_;
            first = last - batch.size() + 1;
        }
        if (!batch.empty()) {
            const bool ok = commit(batch, oldest);
            std::vector<std::pair<std::uint64_t, Durable>> ready;
            {
                std::lock_guard lock(mutex_);
                processed_ = last;
                if (ok) ++commits_;
                else {
                    failed_.emplace_back(first, last);
                    if (failed_.size() > kFailedKept) failed_.pop_front();
                }
                auto split = std::stable_partition(waiters_.begin(), waiters_.end(),
                                                   [&](const auto& w) { return w.first > last; });
                ready.assign(std::make_move_iterator(split), std::make_move_iterator(waiters_.end()));
                waiters_.erase(split, waiters_.end());
            }
            // Every waiter here asked about a nonce of this batch or of an earlier one that is settled.
            for (auto& [seq, done] : ready) when_durable(seq, std::move(done));
        }
        if (std::chrono::steady_clock::now() >= next_purge) {
            next_purge = std::chrono::steady_clock::now() + options_.purge_every;
            if (auto st = commit_once({}); st) {  // purge on the writer's connection
                if (auto r = writer_->exec("DELETE FROM bridge.nonces WHERE expires < $1::bigint",
                                           {pg::Param::integer(options_.clock())});
                    !r)
                    core::log::warn("state", "expired replay-window nonces not deleted: " + r.error().message);
            }
        }
    }
}

bool PgNonces::commit(const std::vector<Nonce>& batch, std::chrono::steady_clock::time_point oldest) {
    const auto deadline = oldest + options_.commit_timeout;
    auto backoff = options_.backoff_first;
    for (int attempt = 1;; ++attempt) {
        auto st = commit_once(batch);
        if (st) return true;
        if (st.error().code != "state.unavailable") {
            core::log::error("state", "replay window not stored: " + st.error().message);
            return false;
        }
        writer_.reset();  // a lost connection is never reused
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            core::log::error("state", "replay window not stored: PostgreSQL unavailable (" + st.error().message + ")");
            return false;
        }
        if (attempt == 1) core::log::warn("state", st.error().message + "; holding the replay window's nonces and retrying");
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(backoff, deadline - now));
        backoff = std::min(backoff * 2, options_.backoff_max);
    }
}

core::Status PgNonces::commit_once(const std::vector<Nonce>& batch) {
    if (!writer_) {
        auto c = pg::Connection::open(options_.dsn);
        if (!c) return c.error();
        writer_ = std::move(*c);
    }
    if (batch.empty()) return core::Ok{};
    pg::Connection& db = *writer_;
    auto fail = [&](core::Error e) -> core::Status {
        if (db.usable()) db.run("ROLLBACK");
        return e;
    };
    if (auto st = db.run("BEGIN"); !st) return fail(st.error());
    for (std::size_t i = 0; i < batch.size(); i += kRowsPerStatement) {
        const std::size_t n = std::min(kRowsPerStatement, batch.size() - i);
        std::string sql = "INSERT INTO bridge.nonces (rg_id, nonce, ts, expires) VALUES ";
        std::vector<pg::Param> params;
        params.reserve(4 * n);
        for (std::size_t j = 0; j < n; ++j) {
            const Nonce& x = batch[i + j];
            sql += (j ? ",($" : "($") + std::to_string(4 * j + 1) + ",$" + std::to_string(4 * j + 2) + ",$" +
                   std::to_string(4 * j + 3) + "::bigint,$" + std::to_string(4 * j + 4) + "::bigint)";
            params.push_back(pg::Param::text(x.rg_id));
            params.push_back(pg::Param::text(x.nonce));
            params.push_back(pg::Param::integer(x.ts));
            params.push_back(pg::Param::integer(x.expires));
        }
        // A nonce already there (a retried batch, or the same nonce from two nodes) stays as it is.
        if (auto r = db.exec(sql + " ON CONFLICT (rg_id, nonce) DO NOTHING", params); !r) return fail(r.error());
    }
    if (auto st = db.run("COMMIT"); !st) return fail(st.error());
    return core::Ok{};
}

core::Result<std::vector<PgNonces::Nonce>> PgNonces::recent(std::string_view rg_id) {
    std::lock_guard lock(read_mutex_);
    const std::string sql = std::string("SELECT rg_id, nonce, ts, expires FROM bridge.nonces WHERE expires >= $1::bigint") +
                            (rg_id.empty() ? "" : " AND rg_id = $2") + " ORDER BY ts";
    std::vector<pg::Param> params{pg::Param::integer(options_.clock())};
    if (!rg_id.empty()) params.push_back(pg::Param::text(rg_id));
    for (int attempt = 0;; ++attempt) {
        if (!reader_ || !reader_->usable()) {
            auto c = pg::Connection::open(options_.dsn);
            if (!c) return c.error();
            reader_ = std::move(*c);
        }
        auto r = reader_->exec(sql, params);
        if (!r) {
            if (r.error().code == "state.unavailable" && attempt == 0) {
                reader_.reset();  // replaced once, transparently
                continue;
            }
            return r.error();
        }
        std::vector<Nonce> out;
        out.reserve(static_cast<std::size_t>(r->size()));
        for (int i = 0; i < r->size(); ++i)
            out.push_back(Nonce{std::string(r->at(i, 0)), std::string(r->at(i, 1)), r->integer(i, 2), r->integer(i, 3)});
        return out;
    }
}

core::Result<std::int64_t> PgNonces::purge() {
    std::lock_guard lock(read_mutex_);
    if (!reader_ || !reader_->usable()) {
        auto c = pg::Connection::open(options_.dsn);
        if (!c) return c.error();
        reader_ = std::move(*c);
    }
    auto r = reader_->exec("DELETE FROM bridge.nonces WHERE expires < $1::bigint", {pg::Param::integer(options_.clock())});
    if (!r) return r.error();
    return r->affected();
}

}  // namespace state
