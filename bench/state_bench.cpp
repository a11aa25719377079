// What one durable CPE state change costs, per store: FileStore (write,
// fsync, rename, directory fsync per change) against SqliteStore with N
// CPEs changing at once (one transaction and one WAL fsync for the lot) and
// one at a time (no one to share the fsync with). Real fsyncs on the file
// system of $TMPDIR: the figures are the disk's as much as the code's.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <vector>

#include "bridge/state/sqlite_store.hpp"
#include "bridge/state/store.hpp"

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBlob = 1024;  // a typical binary CPE state is 0.5-2 KiB

struct TempDir {
    fs::path path = fs::temp_directory_path() /
                    ("bridge-state-bench-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

std::string key(std::int64_t i) { return "GW-" + std::to_string(i); }

void BM_FileStoreSave(benchmark::State& state) {
    TempDir tmp;
    auto store = state::FileStore::open(tmp.path);
    const std::string blob(kBlob, 'x');
    std::int64_t i = 0;
    for (auto _ : state)
        if (!(*store)->save(key(i++ % 1000), blob)) state.SkipWithError("save failed");
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FileStoreSave)->UseRealTime();

// range(0) CPEs change at once; each iteration waits until all are durable.
void BM_SqliteStoreBurst(benchmark::State& state) {
    TempDir tmp;
    auto store = state::SqliteStore::open(tmp.path / "state.db");
    const std::string blob(kBlob, 'x');
    const auto burst = state.range(0);
    std::mutex m;
    std::condition_variable cv;
    std::int64_t done = 0, failed = 0;
    std::int64_t asked = 0;
    for (auto _ : state) {
        for (std::int64_t i = 0; i < burst; ++i, ++asked)
            (*store)->save_async(key(asked % 1000), blob, [&](core::Status st) {
                std::lock_guard lock(m);
                ++done;
                failed += !st;
                cv.notify_all();
            });
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return done == asked; });
    }
    if (failed) state.SkipWithError("save failed");
    state.SetItemsProcessed(asked);
    state.counters["saves_per_commit"] =
        static_cast<double>((*store)->requests()) / static_cast<double>(std::max<std::uint64_t>(1, (*store)->commits()));
}
BENCHMARK(BM_SqliteStoreBurst)->Arg(1)->Arg(4)->Arg(16)->Arg(256)->UseRealTime();

// One CPE alone, a durable write at a time, and the latency of each: the
// tail is what an ACS waiting for an InformResponse or an SPV sees (the WAL
// fsync, and the checkpoint whenever a commit takes its turn to run one).
void BM_SqliteStoreLatency(benchmark::State& state) {
    TempDir tmp;
    auto store = state::SqliteStore::open(tmp.path / "state.db");
    const std::string blob(kBlob, 'x');
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(state.max_iterations));
    std::int64_t asked = 0;
    bool failed = false;
    for (auto _ : state) {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        const auto t0 = std::chrono::steady_clock::now();
        (*store)->save_async(key(asked++ % 1000), blob, [&](core::Status st) {
            std::lock_guard lock(m);
            done = true;
            failed = failed || !st;
            cv.notify_all();
        });
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return done; });
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    if (failed) state.SkipWithError("save failed");
    std::sort(us.begin(), us.end());
    auto at = [&](double q) { return us.empty() ? 0.0 : us[std::min(us.size() - 1, static_cast<std::size_t>(q * us.size()))]; };
    state.counters["p50_us"] = at(0.50);
    state.counters["p99_us"] = at(0.99);
    state.counters["p999_us"] = at(0.999);
    state.counters["max_us"] = us.empty() ? 0.0 : us.back();
}
BENCHMARK(BM_SqliteStoreLatency)->Iterations(20000)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
