#pragma once
// From FileStore's layout (<state_dir>/<key>.yaml) to SqliteStore
// (<state_dir>/state.db), once, at start.
//
// The files are imported in one transaction and only then renamed into
// <state_dir>/migrated/, so nothing is lost at any instant: a crash before
// the commit leaves the files to import again, a crash after it leaves some
// files still in place, whose keys the database already holds. Keys already
// in the database are never overwritten by a file: the database is the newer
// state (a file that reappears, e.g. restored from a backup, is only moved).
#include <cstddef>
#include <filesystem>
#include <memory>

#include "bridge/core/result.hpp"
#include "bridge/state/sqlite_store.hpp"

namespace state {

// The database file of a state directory.
inline constexpr const char* kStateDbName = "state.db";
// Where imported files go, inside the state directory.
inline constexpr const char* kMigratedDirName = "migrated";

struct MigrationReport {
    std::size_t imported = 0;  // files whose content is now in the database
    std::size_t kept = 0;      // files whose key the database already held: moved, not imported
};

// Imports every <dir>/<key>.yaml into `store` and moves it to
// <dir>/migrated/<key>.yaml. Safe to run again at any point.
core::Result<MigrationReport> migrate_yaml_files(const std::filesystem::path& dir, SqliteStore& store);

// Creates `dir` (mode 0700) if missing, opens <dir>/state.db and migrates.
core::Result<std::unique_ptr<SqliteStore>> open_sqlite_state_dir(const std::filesystem::path& dir);

}  // namespace state
