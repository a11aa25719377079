#pragma once
// One recorded CWMP session of one virtual CPE, both sides in order, as a
// YAML document an operator can read, edit and commit (docs/traces.md).
// Everything in a Trace has already been redacted: secrets never reach this
// structure, so nothing that writes it needs to know about them.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/http/message.hpp"

namespace trace {

inline constexpr int kFormat = 1;

// One HTTP exchange between the bridge (as the CPE) and the ACS.
struct AcsExchange {
    std::string method = "POST";
    std::string target;
    http::Headers request_headers;  // selected headers only (docs/traces.md)
    std::string request_body;
    // The ACS's answer, or the transport error the bridge saw instead.
    std::optional<int> status;
    http::Headers response_headers;
    std::string response_body;
    std::string error;  // when !status
};

// One CMP call from the bridge to the gateway.
struct CmpExchange {
    std::string function;
    std::string request;   // the signed request's XML
    std::string response;  // the gateway's answer, verbatim (empty when it sent nothing)
    // The client's error when the call produced no usable response (transport
    // failure, HTTP error, undecodable answer); empty when it did.
    std::string error_code;
    std::string error_message;
    bool failed() const { return !error_code.empty(); }
};

using Exchange = std::variant<AcsExchange, CmpExchange>;

struct Trace {
    int format = kFormat;
    std::string recorded_at;  // xsd:dateTime
    std::string recorded_by;  // "cmp-cwmp-bridge 0.1.0", "replay --update", ...
    std::string gateway_id;
    std::string gateway_url;
    std::string mapping_name;  // mapping::Table::name()
    std::string mapping_hash;  // mapping::Table::hash()
    cwmp::Version cwmp_version = cwmp::Version::v1_0;
    std::string acs_url;       // configured ACS URL (the state may override it)
    std::string acs_username;
    std::string cr_url_base;   // Connection Request URL base ("http://host:port")
    bool periodic_enable = true;       // configured defaults (FactoryReset returns to them)
    std::uint32_t periodic_interval = 3600;
    std::uint32_t retry_count = 0;     // the Inform's RetryCount
    // cmp.reuse_answers_ms as recorded: which reads of the session reached the
    // gateway depends on it, so replay uses it too. Absent (older traces): 0, off.
    std::uint32_t reuse_answers_ms = 0;
    std::vector<std::string> events;   // the Inform's event codes, for people and file names
    std::vector<cwmp::ParameterValue> changed;  // values awaiting notification at the start
    std::string start_state;  // cpe::serialize() at the start, redacted (YAML text)
    std::vector<Exchange> exchanges;
    bool ok = false;          // the session ended normally
    std::string error;        // why it failed
    std::string end_state;    // cpe::serialize() at the end, redacted; empty = not compared
    std::vector<std::string> notes;  // free text; "pending: ..." lines hold a trace back from ctest
};

std::string to_yaml(const Trace& t);
// `name` is used in error messages (the file name).
core::Result<Trace> parse(std::string_view yaml, const std::string& name = "trace");
core::Result<Trace> load_file(const std::filesystem::path& file);
// Writes to a temporary file in the same folder and renames it into place
// (owner-only permissions when private_file).
core::Status write_text_file(const std::string& text, const std::filesystem::path& file, bool private_file = false);
core::Status save_file(const Trace& t, const std::filesystem::path& file);

// Short description for logs and reports: "acs POST /acs -> 200" / "cmp getRgInfo".
std::string describe(const Exchange& e);

}  // namespace trace
