#pragma once
// The subcommands of cmp-cwmp-bridge that check files without serving anything:
// validate, replay, check. Exit statuses as in docs/operations.md.
#include <string>
#include <vector>

#include "bridge/app/cli_report.hpp"

namespace app::commands {

// 0 every table valid, 1 an error (file:line:col on stderr, or in the report).
int validate(const std::vector<std::string>& files, report::Format format);
// validate --reverse: the forward check, then the tables read the other way (issue 13); text only.
int validate_reverse(const std::vector<std::string>& files);

struct ReplayArgs {
    std::vector<std::string> traces;
    bool update = false;
    std::string mapping_file;
    std::vector<std::string> mapping_dirs;
    report::Format format = report::Format::text;
};
// 0 every trace passes, 1 a divergence, 2 a trace (or --mapping) that cannot be replayed.
int replay(const ReplayArgs& args);

// The configuration and every mapping table it names, as `run` would load them,
// without binding or writing anything. 0 ready to run, 1 an error.
int check(const std::string& config_path);

}  // namespace app::commands
