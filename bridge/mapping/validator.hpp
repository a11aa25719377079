#pragma once
// `cmp-cwmp-bridge validate MAPPING...`: every problem of every file as
// file:line:col: message (plus a hint), exit status 1 when any file has one.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "bridge/mapping/table.hpp"

namespace mapping {

struct Validation {
    std::string file;
    Diagnostics diagnostics;  // empty: valid
    std::shared_ptr<const Table> table;
};

Validation validate_file(const std::string& path, const LoadOptions& opt = {});
// One summary line per valid file on out, diagnostics on err. Returns 0 or 1.
int run_validate(const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
                 const LoadOptions& opt = {});

}  // namespace mapping
