#pragma once
// The subcommands of cmp-cwmp-bridge that check files without serving anything:
// validate, replay, check, and `secrets` (the shared per-gateway secrets of
// several bridges). Exit statuses as in docs/operations.md.
#include <istream>
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

// `secrets import FILE | set RGID | delete RGID | list` on the table every
// bridge of a cluster reads (state.backend: postgresql; docs/operations.md).
// `set` reads the secret from `in` (one line), never from the command line;
// no secret is ever printed. 0 done, 1 an error (2: usage, as CLI11's).
int secrets(const std::string& config_path, const std::string& action, const std::string& argument, std::istream& in);

}  // namespace app::commands
