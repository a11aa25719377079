// FileStore: crash-safe one-file-per-key persistence (write, fsync, rename,
// fsync the directory), the sequence that makes a rename durable on POSIX.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <system_error>

#include "bridge/state/store.hpp"
#include "bridge/state/fs_util.hpp"

namespace state {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".yaml";
constexpr std::string_view kTmpInfix = ".yaml.tmp.";
constexpr std::size_t kTmpRandomChars = 16;

std::string random_hex() {
    // Uniqueness comes from O_EXCL; the randomness only avoids collisions.
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(kTmpRandomChars, '0');
    std::uint64_t v = rng();
    for (auto& c : out) {
        c = digits[v & 15];
        v >>= 4;
    }
    return out;
}

// "<key>.yaml.tmp.<16 hex>" -> key; empty if the name is anything else.
std::string_view tmp_owner(std::string_view name) {
    if (name.size() <= kTmpInfix.size() + kTmpRandomChars) return {};
    std::string_view random = name.substr(name.size() - kTmpRandomChars);
    auto lower_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    if (!std::all_of(random.begin(), random.end(), lower_hex)) return {};
    std::string_view rest = name.substr(0, name.size() - kTmpRandomChars);
    if (!rest.ends_with(kTmpInfix)) return {};
    std::string_view key = rest.substr(0, rest.size() - kTmpInfix.size());
    return validate_key(key) ? key : std::string_view{};
}

core::Status write_all(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error("write", path, errno);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return core::Ok{};
}

}  // namespace

FileStore::FileStore(fs::path dir) : dir_(std::move(dir)) {}

core::Result<std::unique_ptr<FileStore>> FileStore::open(fs::path dir) {
    auto store = std::make_unique<FileStore>(std::move(dir));
    if (auto st = store->ensure_directory(); !st) return st.error();
    if (::access(store->dir_.c_str(), W_OK | X_OK) != 0) return io_error("access", store->dir_, errno);
    store->sweep_once();
    return store;
}

core::Status FileStore::ensure_directory() {
    struct stat st {};
    if (::stat(dir_.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return io_error("use as state directory", dir_, ENOTDIR);
        return core::Ok{};
    }
    if (errno != ENOENT) return io_error("stat", dir_, errno);
    if (dir_.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(dir_.parent_path(), ec);
        if (ec) return io_error("create", dir_.parent_path(), ec.value());
    }
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return io_error("mkdir", dir_, errno);
    // mkdir's mode is filtered by the umask; state may hold credentials, so set it exactly.
    if (::chmod(dir_.c_str(), 0700) != 0) return io_error("chmod", dir_, errno);
    return core::Ok{};
}

void FileStore::sweep_once() {
    {
        std::lock_guard lock(mutex_);
        if (swept_) return;
        swept_ = true;
    }
    remove_leftovers();
}

void FileStore::remove_leftovers() {
    std::error_code ec;
    fs::directory_iterator it(dir_, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (tmp_owner(name).empty()) continue;
        {
            std::lock_guard lock(mutex_);
            if (in_flight_.count(name)) continue;  // a concurrent save is writing it
        }
        ::unlink(it->path().c_str());  // best effort: a leftover is ignored anyway
    }
}

core::Result<std::optional<std::string>> FileStore::load(std::string_view key) {
    if (auto st = validate_key(key); !st) return st.error();
    sweep_once();
    const fs::path path = dir_ / (std::string(key) + std::string(kSuffix));
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) return std::optional<std::string>{};
        return io_error("open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        return io_error("fstat", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return io_error("read", path, EINVAL);
    }
    std::string blob;
    blob.reserve(std::min(static_cast<std::size_t>(st.st_size), kMaxBlob));
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            return io_error("read", path, err);
        }
        if (n == 0) break;
        if (blob.size() + static_cast<std::size_t>(n) > kMaxBlob) {
            ::close(fd);
            return core::make_error("state.too_large", "state file " + path.string() + " exceeds 64 MiB");
        }
        blob.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return std::optional<std::string>{std::move(blob)};
}

core::Status FileStore::save(std::string_view key, std::string_view blob) {
    if (auto st = validate_key(key); !st) return st;
    if (blob.size() > kMaxBlob) return core::make_error("state.too_large", "state blob exceeds 64 MiB");
    if (auto st = ensure_directory(); !st) return st;

    const fs::path final_path = dir_ / (std::string(key) + std::string(kSuffix));
    std::string tmp_name;
    fs::path tmp_path;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        tmp_name = std::string(key) + std::string(kTmpInfix) + random_hex();
        tmp_path = dir_ / tmp_name;
        {
            // Registered before the file exists so that no cleanup can race it.
            std::lock_guard lock(mutex_);
            in_flight_.insert(tmp_name);
        }
        fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            int err = errno;
            std::lock_guard lock(mutex_);
            in_flight_.erase(tmp_name);
            if (err != EEXIST) return io_error("create", tmp_path, err);
        }
    }
    if (fd < 0) return io_error("create", tmp_path, EEXIST);

    bool renamed = false;
    auto finish = [&](core::Status st) -> core::Status {
        if (fd >= 0) ::close(fd);
        if (!renamed) ::unlink(tmp_path.c_str());
        std::lock_guard lock(mutex_);
        in_flight_.erase(tmp_name);
        return st;
    };

    // The umask may only have narrowed 0600, but set it exactly anyway.
    if (::fchmod(fd, 0600) != 0) return finish(io_error("chmod", tmp_path, errno));
    if (auto st = write_all(fd, blob, tmp_path); !st) return finish(st);
    if (::fsync(fd) != 0) return finish(io_error("fsync", tmp_path, errno));
    int rc = ::close(fd);
    fd = -1;
    if (rc != 0) return finish(io_error("close", tmp_path, errno));
    if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) return finish(io_error("rename", final_path, errno));
    renamed = true;
    return finish(fsync_directory(dir_));
}

core::Status FileStore::remove(std::string_view key) {
    if (auto st = validate_key(key); !st) return st;
    const fs::path path = dir_ / (std::string(key) + std::string(kSuffix));
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) return core::Ok{};
        return io_error("unlink", path, errno);
    }
    return fsync_directory(dir_);
}

core::Result<std::vector<std::string>> FileStore::keys() {
    sweep_once();
    std::vector<std::string> out;
    std::error_code ec;
    fs::directory_iterator it(dir_, ec), end;
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) return out;
        return io_error("list", dir_, ec.value());
    }
    for (; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!std::string_view(name).ends_with(kSuffix)) continue;
        std::string key = name.substr(0, name.size() - kSuffix.size());
        std::error_code sec;
        if (!validate_key(key) || !fs::is_regular_file(it->symlink_status(sec))) continue;
        out.push_back(std::move(key));
    }
    if (ec) return io_error("list", dir_, ec.value());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace state
