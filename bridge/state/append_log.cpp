#include "bridge/state/append_log.hpp"
#include "bridge/state/fs_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <system_error>

namespace state {
namespace fs = std::filesystem;

namespace {

// A rewrite pays off once the file holds this many lines and at least
// twice as many as are still live.
constexpr std::size_t kCompactMinLines = 4096;

std::string line_of(const AppendLog::Record& r) { return std::to_string(r.expires_unix) + " " + r.text + "\n"; }

core::Status write_all(int fd, const std::string& data, const fs::path& path) {
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error("write", path, errno);
        off += static_cast<std::size_t>(n);
    }
    return core::Ok{};
}

}  // namespace

AppendLog::AppendLog(fs::path file, Clock clock) : file_(std::move(file)), clock_(std::move(clock)) {}

core::Result<std::unique_ptr<AppendLog>> AppendLog::open(fs::path file, Clock clock) {
    std::unique_ptr<AppendLog> log(new AppendLog(file, std::move(clock)));
    std::error_code ec;
    if (fs::exists(file, ec) && !fs::is_regular_file(file, ec))
        return core::make_error("state.io", file.string() + " is not a regular file");
    const std::int64_t now = log->clock_();
    {
        std::ifstream in(file, std::ios::binary);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::size_t pos = 0;
        while (pos < content.size()) {
            std::size_t nl = content.find('\n', pos);
            if (nl == std::string::npos) break;  // torn by a crash mid-write: never acknowledged
            std::string_view line(content.data() + pos, nl - pos);
            pos = nl + 1;
            auto sp = line.find(' ');
            if (sp == std::string_view::npos) continue;
            std::int64_t exp = 0;
            auto [p, perr] = std::from_chars(line.data(), line.data() + sp, exp);
            if (perr != std::errc() || p != line.data() + sp) continue;
            if (exp < now) continue;
            log->loaded_.push_back({exp, std::string(line.substr(sp + 1))});
        }
    }
    log->live_.assign(log->loaded_.begin(), log->loaded_.end());
    // Start from a file holding exactly the live records: expired ones and a
    // torn tail are gone, and appends land after whole lines.
    if (auto st = log->compact(); !st) return st.error();
    log->thread_ = std::thread([l = log.get()] { l->run(); });
    return log;
}

AppendLog::~AppendLog() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
}

std::uint64_t AppendLog::append(Record r) {
    for (char& c : r.text)
        if (c == '\n' || c == '\r') c = ' ';
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(r));
    ++appended_;
    wake_.notify_one();
    return appended_;
}

bool AppendLog::durable_locked(std::uint64_t seq) const {
    for (auto& [first, last] : failed_)
        if (seq >= first && seq <= last) return false;
    return seq <= processed_;
}

void AppendLog::when_durable(std::uint64_t seq, Durable done) {
    std::unique_lock lock(mutex_);
    if (seq <= processed_) {
        bool ok = durable_locked(seq);
        lock.unlock();
        done(ok);
        return;
    }
    waiters_.emplace_back(seq, std::move(done));
}

std::uint64_t AppendLog::last_appended() const {
    std::lock_guard lock(mutex_);
    return appended_;
}

std::uint64_t AppendLog::compactions() const {
    std::lock_guard lock(mutex_);
    return compactions_;
}

core::Status AppendLog::write_batch(const std::vector<Record>& batch) {
    std::string data;
    for (auto& r : batch) data += line_of(r);
    if (auto st = write_all(fd_, data, file_); !st) return st;
    if (::fdatasync(fd_) != 0) return io_error("fdatasync", file_, errno);
    lines_in_file_ += batch.size();
    const std::int64_t now = clock_();
    for (auto& r : batch) live_.push_back(r);
    while (!live_.empty() && live_.front().expires_unix < now) live_.pop_front();
    if (lines_in_file_ >= kCompactMinLines && lines_in_file_ >= 2 * live_.size()) return compact();
    return core::Ok{};
}

core::Status AppendLog::compact() {
    const std::int64_t now = clock_();
    while (!live_.empty() && live_.front().expires_unix < now) live_.pop_front();
    std::string data;
    for (auto& r : live_) data += line_of(r);
    fs::path tmp = file_;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("open", tmp, errno);
    auto st = write_all(fd, data, tmp);
    if (st && ::fsync(fd) != 0) st = io_error("fsync", tmp, errno);
    ::close(fd);
    if (!st) return st;
    if (::rename(tmp.c_str(), file_.c_str()) != 0) return io_error("rename", tmp, errno);
    if (auto d = fsync_directory(file_.parent_path().empty() ? fs::path(".") : file_.parent_path()); !d) return d;
    int nfd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (nfd < 0) return io_error("open", file_, errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = nfd;
    lines_in_file_ = live_.size();
    std::lock_guard lock(mutex_);
    ++compactions_;
    return core::Ok{};
}

void AppendLog::run() {
    for (;;) {
        std::vector<Record> batch;
        std::uint64_t upto = 0, from = 0;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty() && stop_) break;
            batch.swap(queue_);
            upto = appended_;
            from = upto - batch.size() + 1;
        }
        core::Status st = write_batch(batch);
        std::vector<std::pair<std::uint64_t, Durable>> ready;
        {
            std::lock_guard lock(mutex_);
            processed_ = upto;
            if (!st) {
                failed_.emplace_back(from, upto);
                if (failed_.size() > 64) failed_.pop_front();  // waiters that old are long answered
            }
            for (auto it = waiters_.begin(); it != waiters_.end();) {
                if (it->first <= processed_) {
                    ready.push_back(std::move(*it));
                    it = waiters_.erase(it);
                } else {
                    ++it;
                }
            }
        }
        for (auto& [seq, done] : ready) {
            bool ok;
            {
                std::lock_guard lock(mutex_);
                ok = durable_locked(seq);
            }
            done(ok);
        }
    }
    // Stopping: whoever still waits is told the truth.
    std::vector<std::pair<std::uint64_t, Durable>> rest;
    {
        std::lock_guard lock(mutex_);
        rest.swap(waiters_);
    }
    for (auto& [seq, done] : rest) done(false);
}

}  // namespace state
