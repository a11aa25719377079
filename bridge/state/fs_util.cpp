#include "bridge/state/fs_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace state {

core::Error io_error(std::string_view op, const std::filesystem::path& path, int err) {
    return core::make_error("state.io",
                            std::string(op) + " " + path.string() + ": " + std::system_category().message(err));
}

core::Status fsync_directory(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("open directory", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return io_error("fsync directory", dir, err);
    return core::Ok{};
}

}  // namespace state
