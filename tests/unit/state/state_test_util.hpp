#pragma once
// Helpers of the state tests: a private temporary directory, a wait for one
// asynchronous write, and a file size limit that makes the disk "full".
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "bridge/state/store.hpp"

namespace state_test {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() /
               ("bridge-sqlite-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

inline void write_file(const fs::path& p, std::string_view content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
}

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline unsigned mode_of(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

// Counts `done` calls and waits for a number of them.
struct Completions {
    std::mutex m;
    std::condition_variable cv;
    std::size_t calls = 0, failures = 0;
    state::Store::Done done() {
        return [this](core::Status st) {
            std::lock_guard lock(m);
            ++calls;
            if (!st) ++failures;
            cv.notify_all();
        };
    }
    void wait(std::size_t n) {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return calls >= n; });
    }
};

// While alive, no file of this process may grow beyond `bytes`: writes past
// it fail with EFBIG, which SQLite reports as an I/O error, exactly as with a
// full disk, and as root too (permissions would not stop root). SIGXFSZ,
// which would kill the process, is ignored meanwhile.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &old_);
        old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
        rlimit lim = old_;
        lim.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &lim);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &old_);
        ::signal(SIGXFSZ, old_handler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
    rlimit old_{};
    sighandler_t old_handler_{};
};

}  // namespace state_test
