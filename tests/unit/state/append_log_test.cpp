// state::AppendLog: records survive reopening (the crash case: nothing but
// the file is left), expired ones and a torn last line are dropped, a burst
// of appends is written in few batches, waiters hear of durability only once
// their record is on disk, and the file is rewritten once mostly expired.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "bridge/state/append_log.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("append-log-" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

// Waits for `seq` to be durable; returns what the log said.
bool wait_durable(state::AppendLog& log, std::uint64_t seq) {
    std::mutex m;
    std::condition_variable cv;
    std::optional<bool> result;
    log.when_durable(seq, [&](bool ok) {
        std::lock_guard lock(m);
        result = ok;
        cv.notify_all();
    });
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return result.has_value(); }));
    return *result;
}

std::size_t lines_in(const fs::path& f) {
    std::ifstream in(f);
    std::size_t n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
}

}  // namespace

TEST_CASE("records appended and made durable are there after reopening; expired ones are not") {
    TempDir dir;
    std::atomic<std::int64_t> now{1000};
    auto clock = [&] { return now.load(); };
    const fs::path file = dir.path / "log";
    {
        auto log = state::AppendLog::open(file, clock);
        REQUIRE(log);
        CHECK((*log)->loaded().empty());
        (*log)->append({1100, "keep me"});
        (*log)->append({1010, "expires soon"});
        auto seq = (*log)->append({2000, "with\nnewline"});
        CHECK(wait_durable(**log, seq));
    }
    now = 1050;  // the second record has expired by the restart
    auto log = state::AppendLog::open(file, clock);
    REQUIRE(log);
    auto& got = (*log)->loaded();
    REQUIRE(got.size() == 2);
    CHECK(got[0].text == "keep me");
    CHECK(got[0].expires_unix == 1100);
    CHECK(got[1].text == "with newline");  // a record is one line, whatever it was given
    // Opening rewrote the file with exactly the live records.
    CHECK(lines_in(file) == 2);
}

TEST_CASE("a torn last line (a crash in the middle of a write) is ignored") {
    TempDir dir;
    const fs::path file = dir.path / "log";
    {
        std::ofstream out(file);
        out << "5000 whole record\n5000 torn rec";
    }
    auto log = state::AppendLog::open(file, [] { return std::int64_t{1000}; });
    REQUIRE(log);
    REQUIRE((*log)->loaded().size() == 1);
    CHECK((*log)->loaded()[0].text == "whole record");
    // What comes next starts on a line of its own.
    CHECK(wait_durable(**log, (*log)->append({5000, "next"})));
    log->reset();
    auto again = state::AppendLog::open(file, [] { return std::int64_t{1000}; });
    REQUIRE(again);
    REQUIRE((*again)->loaded().size() == 2);
    CHECK((*again)->loaded()[1].text == "next");
}

TEST_CASE("many appends from many threads: every one durable, each waiter answered") {
    TempDir dir;
    auto log = state::AppendLog::open(dir.path / "log", [] { return std::int64_t{1000}; });
    REQUIRE(log);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 250; ++i)
                if (wait_durable(**log, (*log)->append({9999, std::to_string(t) + "-" + std::to_string(i)}))) ++ok;
        });
    for (auto& th : threads) th.join();
    CHECK(ok == 1000);
    log->reset();
    auto again = state::AppendLog::open(dir.path / "log", [] { return std::int64_t{1000}; });
    REQUIRE(again);
    CHECK((*again)->loaded().size() == 1000);
}

TEST_CASE("a log of mostly expired records is rewritten with the live ones") {
    TempDir dir;
    std::atomic<std::int64_t> now{1000};
    const fs::path file = dir.path / "log";
    auto log = state::AppendLog::open(file, [&] { return now.load(); });
    REQUIRE(log);
    std::uint64_t seq = 0;
    for (int i = 0; i < 5000; ++i) {
        seq = (*log)->append({now + 5, "r" + std::to_string(i)});
        if (i % 500 == 499) {
            CHECK(wait_durable(**log, seq));
            now += 10;  // everything before has expired
        }
    }
    CHECK(wait_durable(**log, seq));
    CHECK((*log)->compactions() >= 2);  // the one at open, and at least one more
    CHECK(lines_in(file) < 4096);
}

TEST_CASE("the log refuses a path that is not a regular file") {
    TempDir dir;
    CHECK_FALSE(state::AppendLog::open(dir.path, [] { return std::int64_t{0}; }));
    // A device (it would read forever) behind a link.
    fs::create_symlink("/dev/zero", dir.path / "zero");
    auto log = state::AppendLog::open(dir.path / "zero", [] { return std::int64_t{0}; });
    REQUIRE_FALSE(log);
    CHECK(log.error().message.find("not a regular file") != std::string::npos);
}
