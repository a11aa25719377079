#pragma once
// `run --record DIR`: one trace file per CWMP session (docs/traces.md).
//
// Each session's exchanges are redacted as the recorder takes them and kept
// in memory (a session is a few kilobytes to a few hundred); when the session
// ends the trace is handed to one writer thread, which finishes redaction,
// serialises, checks the text for known secrets and writes it (temporary file
// + rename, so a reader never sees half a trace). The event loop therefore
// never touches the disk and never waits for it. Without fsync: a trace lost
// to a power cut is a trace not recorded, not a corrupt one.
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bridge/app/transport.hpp"
#include "bridge/core/result.hpp"
#include "bridge/app/reverse_recording.hpp"
#include "bridge/trace/redact.hpp"
#include "bridge/trace/reverse_trace.hpp"
#include "bridge/trace/trace.hpp"

namespace trace {

struct RecorderOptions {
    std::filesystem::path dir;
    // Secrets the traces must never contain: the ACS password, CMP shared secrets.
    std::vector<std::string> known_secrets;
    // cmp.registration_secret: each session's gateway secret derived from it
    // (cmp::derive_gateway_secret) is a known secret of that session too.
    std::string registration_secret;
    // A session whose recorded bytes exceed this is not written (and says so in the log).
    std::size_t max_trace_bytes = 32 * 1024 * 1024;
    std::string recorded_by = "cmp-cwmp-bridge";
};

// The values of a cmp.secrets_file (a YAML map rgId -> secret), to add to
// known_secrets; a file that cannot be read gives none (the bridge says why).
std::vector<std::string> secrets_in_file(const std::filesystem::path& file);
// Every value under a key named like a secret (password, secret, ...), at any
// depth of a YAML file (the reverse ACS's credentials file); none when unreadable.
std::vector<std::string> secrets_in_yaml(const std::filesystem::path& file);

class Recorder : public app::SessionRecorderFactory {
public:
    // Creates the folder (mode 0700: traces hold serial numbers and addresses).
    static core::Result<std::unique_ptr<Recorder>> open(RecorderOptions options);
    explicit Recorder(RecorderOptions options);
    // Writes every finished trace, then stops the writer.
    ~Recorder() override;

    void set_mapping(const std::string& gateway_id, const std::string& name, const std::string& hash) override;
    std::unique_ptr<app::SessionRecorder> begin(app::SessionStart start) override;

    // Blocks until every trace handed over so far is written (tests).
    void flush();
    std::size_t written() const;
    std::size_t withheld() const;

    // Called by a finished session (any thread).
    void submit(Trace trace, std::unique_ptr<Redactor> redactor);
    // A finished reverse trace (reverse_recorder.cpp), written by the same thread.
    void submit(ReverseTrace trace, std::unique_ptr<Redactor> redactor);
    // The reverse direction's hooks (ReverseBridge, AcsServer); owned by this recorder.
    app::ReverseRecording* reverse();
    const RecorderOptions& options() const { return options_; }

private:
    struct Job {
        Trace trace;
        std::unique_ptr<Redactor> redactor;
        std::optional<ReverseTrace> reverse;  // a reverse trace instead of `trace`
    };
    void writer();
    void write(Job& job);
    void write_reverse(ReverseTrace& t, Redactor& redactor);
    void write_checked(const std::string& text, const std::string& who, const std::string& stem, Redactor& redactor);

    RecorderOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_, idle_;
    std::deque<Job> queue_;
    std::map<std::string, std::pair<std::string, std::string>> mappings_;  // gateway -> name, hash
    std::size_t sequence_ = 0;
    std::size_t written_ = 0;
    std::size_t withheld_ = 0;
    bool busy_ = false;
    bool stopping_ = false;
    std::unique_ptr<app::ReverseRecording> reverse_;
    std::thread thread_;
};

}  // namespace trace
