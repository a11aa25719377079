#include "bridge/state/migrate.hpp"
#include "bridge/state/fs_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "bridge/core/log.hpp"

namespace state {
namespace fs = std::filesystem;

namespace {


core::Status ensure_private_directory(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error("mkdir", dir, errno);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return io_error("stat", dir, errno);
    if (!S_ISDIR(st.st_mode)) return io_error("use as a directory", dir, ENOTDIR);
    return core::Ok{};
}

}  // namespace

core::Result<MigrationReport> migrate_yaml_files(const fs::path& dir, SqliteStore& store) {
    MigrationReport report;
    // FileStore reads its own layout: <key>.yaml regular files with valid
    // keys (leftover temporaries of a crashed save are dropped: never acknowledged).
    FileStore files(dir);
    auto keys = files.keys();
    if (!keys) return keys.error();
    if (keys->empty()) return report;

    auto stored = store.keys();
    if (!stored) return stored.error();
    const std::set<std::string> in_db(stored->begin(), stored->end());
    std::vector<std::pair<std::string, std::string>> import;
    for (const auto& key : *keys) {
        if (in_db.count(key)) {
            ++report.kept;
            continue;
        }
        auto blob = files.load(key);
        if (!blob) return blob.error();
        if (!blob->has_value()) continue;  // vanished since the listing: nothing to import
        import.emplace_back(key, std::move(**blob));
    }
    report.imported = import.size();
    // One transaction: all files or none are in the database.
    if (auto st = store.save_all(std::move(import)); !st) return st.error();

    // Only now may the files go: the database holds them durably.
    const fs::path migrated = dir / kMigratedDirName;
    if (auto st = ensure_private_directory(migrated); !st) return st.error();
    for (const auto& key : *keys) {
        const std::string name = key + ".yaml";
        if (::rename((dir / name).c_str(), (migrated / name).c_str()) != 0 && errno != ENOENT)
            return io_error("rename", dir / name, errno);
    }
    // The renames durable: a power cut must not bring the files back (they
    // would only be moved again, but the operator would see them twice).
    if (auto st = fsync_directory(migrated); !st) return st.error();
    if (auto st = fsync_directory(dir); !st) return st.error();
    return report;
}

core::Result<std::unique_ptr<SqliteStore>> open_sqlite_state_dir(const fs::path& dir) {
    // FileStore::open creates the directory with mode 0700 and checks that
    // it is one and writable: the same rules for both back-ends.
    if (auto files = FileStore::open(dir); !files) return files.error();
    auto store = SqliteStore::open(dir / kStateDbName);
    if (!store) return store.error();
    auto report = migrate_yaml_files(dir, **store);
    if (!report) return core::make_error(report.error().code, "migrating " + dir.string() + "/*.yaml to " +
                                                                  kStateDbName + ": " + report.error().message);
    if (report->imported || report->kept)
        core::log::info("state", "moved " + std::to_string(report->imported + report->kept) + " state files to " +
                                     (dir / kMigratedDirName).string() + " (" + std::to_string(report->imported) +
                                     " imported into " + kStateDbName + ", " + std::to_string(report->kept) +
                                     " already there)");
    return std::move(*store);
}

}  // namespace state
