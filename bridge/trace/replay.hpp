#pragma once
// `cmp-cwmp-bridge replay TRACE...`: runs one recorded session again through
// the production code — app::VirtualCpe with its session engine, RPC handler,
// mapping table and both codecs — with only the transports replaced by the
// recorded peers (replay_script.hpp), on a local io_context, and reports the
// first place where the bridge now behaves differently (docs/traces.md).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/mapping/table.hpp"
#include "bridge/trace/replay_script.hpp"
#include "bridge/trace/reverse_trace.hpp"
#include "bridge/trace/trace.hpp"

namespace trace {

struct ReplayOptions {
    // Searched first for the mapping the trace names; then the trace's folder
    // and each folder above it, and their mappings/ subfolders.
    std::vector<std::filesystem::path> mapping_dirs;
    // Use this table whatever the trace names (tests, `--mapping FILE`).
    std::shared_ptr<const mapping::Table> table;
    // Re-record: the result's `updated` holds the trace as the bridge behaves now.
    bool update = false;
};

struct ReplayReport {
    std::string name;  // the trace file
    std::vector<std::string> warnings;
    std::optional<Divergence> divergence;
    std::string mapping_hash;   // of the table replayed with
    std::size_t exchanges = 0;  // in the trace (steps of a reverse trace)
    std::string unit = "exchanges";
    std::size_t replayed = 0;   // the bridge's messages seen
    double milliseconds = 0;
    Trace updated;  // --update only
    ReverseTrace reverse_updated;  // --update of a reverse trace only

    bool passed() const { return !divergence.has_value(); }
    // "PASS name (n exchanges, x ms)" or the divergence with its diff.
    std::string text() const;
};

core::Result<std::shared_ptr<const mapping::Table>> find_mapping(const Trace& t, const std::filesystem::path& trace_file,
                                                                const std::vector<std::filesystem::path>& dirs);

// The table a replay runs with (options.table, else the recorded name found by
// find_mapping), its hash in the report, and a warning there when it differs
// from the recorded hash. Both directions' replays start with it.
core::Result<std::shared_ptr<const mapping::Table>> replay_table(const std::string& mapping_name,
                                                                 const std::string& mapping_hash,
                                                                 const std::filesystem::path& trace_file,
                                                                 const ReplayOptions& options, ReplayReport& report);

// Errors only when the replay cannot be set up (mapping not found, bad state);
// a divergence is a report that did not pass.
core::Result<ReplayReport> replay(const Trace& t, const std::filesystem::path& trace_file, const ReplayOptions& options);

// A reverse trace (reverse_replay.cpp): acs::CpeSession fed the CPE's recorded
// POSTs, mapping::ReverseCall with the answers the session gets, the event
// functions for Informs and TransferCompletes; compares the ACS's answers,
// the gateway -> HOMS messages and the CMP response (docs/traces.md).
core::Result<ReplayReport> replay_reverse(const ReverseTrace& t, const std::filesystem::path& trace_file,
                                          const ReplayOptions& options);

}  // namespace trace
