#pragma once
// What the code under test writes to stderr (where core::log writes) while
// the capture lives: into a temporary file, read back with text() at any
// time or as lines() once restored.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace test_util {

class StderrCapture {
public:
    StderrCapture() {
        std::fflush(stderr);
        saved_ = ::dup(2);
        std::snprintf(path_, sizeof path_, "/tmp/bridge-stderr-XXXXXX");
        const int fd = ::mkstemp(path_);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~StderrCapture() {
        restore();
        std::remove(path_);
    }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;

    // Everything written so far; the capture goes on.
    std::string text() const {
        std::fflush(stderr);
        std::ifstream in(path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    // Stops capturing, then every line written.
    std::vector<std::string> lines() {
        restore();
        std::vector<std::string> out;
        std::istringstream in(text());
        for (std::string l; std::getline(in, l);) out.push_back(l + "\n");
        return out;
    }
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }

private:
    int saved_ = -1;
    char path_[64];
};

}  // namespace test_util
