#pragma once
// What the code under test writes to stderr (the log) while it lives.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace driver_test {

class StderrCapture {
public:
    StderrCapture() : file_(std::tmpfile()) {
        std::fflush(stderr);
        saved_ = ::dup(2);
        ::dup2(::fileno(file_), 2);
    }
    ~StderrCapture() { restore(); }
    std::vector<std::string> lines() {
        restore();
        std::rewind(file_);
        std::vector<std::string> out;
        char buf[4096];
        while (std::fgets(buf, sizeof buf, file_)) out.emplace_back(buf);
        return out;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    std::FILE* file_;
    int saved_ = -1;
};

}  // namespace driver_test
