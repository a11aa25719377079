#pragma once
// The POSIX steps every durable file write of the state layer shares.
#include <filesystem>
#include <string_view>

#include "bridge/core/result.hpp"

namespace state {

// "state.io": "<op> <path>: <strerror(err)>".
core::Error io_error(std::string_view op, const std::filesystem::path& path, int err);
// Makes a rename or a new file in `dir` durable (POSIX needs the directory fsynced).
core::Status fsync_directory(const std::filesystem::path& dir);

}  // namespace state
