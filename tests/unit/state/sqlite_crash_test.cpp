// state::SqliteStore under kill -9: a child process writes in a loop and
// reports, through a pipe, every write whose `done` said durable; the parent
// kills it at an arbitrary moment (most likely mid-commit: the child spends
// its time in fsync), reopens the database and finds every acknowledged
// write, at least at the acknowledged version.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdio>
#include <map>

#include "bridge/state/sqlite_store.hpp"
#include "tests/unit/state/state_test_util.hpp"

using namespace state_test;
using state::SqliteStore;

namespace {

constexpr int kKeys = 16;
constexpr int kBurst = 32;  // async writes in flight at once in the child

// The child: never returns. Each blob is "<sequence>:" and padding, so that
// a commit spans several pages.
[[noreturn]] void writer_child(const fs::path& file, int ack_fd) {
    auto store = SqliteStore::open(file);
    if (!store) ::_exit(2);
    const std::string padding(700, 'p');
    for (long seq = 1;; seq += kBurst) {
        Completions c;
        for (long i = seq; i < seq + kBurst; ++i) {
            std::string key = "GW-" + std::to_string(i % kKeys);
            (*store)->save_async(key, std::to_string(i) + ":" + padding, [&c, ack_fd, key, i](core::Status st) {
                if (st) {
                    // One short write: atomic on a pipe, so the parent never
                    // reads half a line from a killed child.
                    std::string line = key + " " + std::to_string(i) + "\n";
                    if (::write(ack_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(3);
                }
                c.done()(st);
            });
        }
        c.wait(kBurst);
        if (c.failures) ::_exit(4);
    }
}

}  // namespace

TEST_CASE("SqliteStore: every write acknowledged before kill -9 is there after reopen") {
    TempDir tmp;
    const fs::path file = tmp.path / "state.db";
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(fds[0]);
        writer_child(file, fds[1]);
    }
    ::close(fds[1]);

    std::map<std::string, long> acked;  // key -> highest acknowledged sequence
    std::size_t lines = 0;
    std::string pending;
    char buf[4096];
    bool killed = false;
    for (;;) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EOF: the child is gone and everything it wrote is read
        pending.append(buf, static_cast<std::size_t>(n));
        for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
            std::string line = pending.substr(0, nl);
            pending.erase(0, nl + 1);
            auto sp = line.find(' ');
            REQUIRE(sp != std::string::npos);
            long seq = std::stol(line.substr(sp + 1));
            long& best = acked[line.substr(0, sp)];
            best = std::max(best, seq);
            ++lines;
        }
        // Enough commits to be past start-up: kill it wherever it is.
        if (!killed && lines >= 2000) {
            REQUIRE(::kill(child, SIGKILL) == 0);
            killed = true;
        }
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE_MESSAGE(WIFSIGNALED(status), "the child stopped by itself (exit " << WEXITSTATUS(status) << ")");
    CHECK(WTERMSIG(status) == SIGKILL);
    CHECK(pending.empty());
    REQUIRE(acked.size() == kKeys);

    auto store = SqliteStore::open(file);
    REQUIRE(store.ok());
    for (const auto& [key, seq] : acked) {
        auto blob = (*store)->load(key);
        REQUIRE(blob.ok());
        REQUIRE_MESSAGE(blob->has_value(), key << " acknowledged at " << seq << " but absent");
        long stored = std::stol(**blob);  // "<seq>:padding"
        CHECK_MESSAGE(stored >= seq, key << " acknowledged at " << seq << " but holds " << stored);
        CHECK((*blob)->size() == std::to_string(stored).size() + 701);  // whole, not torn
    }
    // The database itself is sound after the crash.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) == "ok");
    sqlite3_finalize(s);
    sqlite3_close(db);
}
