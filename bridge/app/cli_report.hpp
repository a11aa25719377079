#pragma once
// Machine-readable results of `validate` and `replay` (--format json|junit),
// so a CI system shows one entry per file without parsing prose.
//   json   {"command":"validate","ok":false,"files":[{"file":...,"status":"failed",
//           "errors":[{"file","line","column","message","hint"}],...}]}
//   junit  one <testcase> per file or trace; <failure> for an error/divergence,
//          <error> for a file that could not be read at all
#include <string>
#include <string_view>
#include <vector>

namespace app::report {

enum class Format { text, json, junit };
bool parse_format(std::string_view s, Format& out);

struct Problem {
    std::string file;
    int line = 0;    // 0: no position (e.g. a replay divergence)
    int column = 0;
    std::string message;
    std::string detail;  // hint, or the diff of a divergence
};

struct Item {
    enum class Status { passed, failed, error };
    std::string file;
    Status status = Status::passed;
    std::string summary;  // one line: what passed, or why not
    std::vector<Problem> problems;
    double seconds = 0;
    bool updated = false;  // replay --update rewrote it
};

std::string json(std::string_view command, const std::vector<Item>& items);
std::string junit(std::string_view command, const std::vector<Item>& items);

}  // namespace app::report
