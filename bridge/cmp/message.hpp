#pragma once
// CMP messages as a generic tree. Deployments rename functions and fields in
// their mapping tables, so nothing here hard-codes the catalogue: a message is
// a function name plus ordered fields, each scalar text or a list of records.
// The catalogue (catalogue.hpp) gives the tree its types. Wire rules:
// docs/cmp-protocol.md.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cmp {

// CMP namespace URI; receivers match by URI, the "cmp" prefix is a convention.
inline constexpr std::string_view kNamespace = "urn:iso:std:iso-iec:29104:-1:cmp:1";
inline constexpr std::string_view kPrefix = "cmp";
// Container items are written as <item>; any element name is accepted on receipt.
inline constexpr std::string_view kItemElement = "item";
inline constexpr std::string_view kContentType = "text/xml; charset=utf-8";

// resultCode values (docs/cmp-protocol.md, "Result codes").
namespace result_code {
inline constexpr int success = 0;
inline constexpr int general_failure = 1;
inline constexpr int invalid_argument = 2;
inline constexpr int unknown_function = 3;
inline constexpr int unauthorized = 4;
inline constexpr int busy = 5;  // retry later
inline constexpr int not_supported = 6;
inline constexpr int resource_unavailable = 7;
inline constexpr int device_not_found = 8;  // home device (devId) unknown
inline constexpr int device_error = 9;      // home device refused or failed the action
inline constexpr int timeout = 10;          // a downstream party did not answer in time
inline constexpr int transfer_failed = 11;  // firmware/config download or upload failed
inline constexpr int upgrade_failed = 12;   // image rejected or could not be applied
inline constexpr int subscription_not_found = 13;
inline constexpr int malformed_message = 14;  // SOAP Fault "Client" without a CMP detail
inline constexpr int peer_fault = 15;         // SOAP Fault "Server" without a CMP detail
}  // namespace result_code
// Short stable name ("invalid_argument"), "unknown" outside the table.
std::string_view result_code_name(int code);
// Codes after which the same request may succeed if sent again later.
bool is_retryable(int code);

struct Record;

struct Field {
    std::string name;
    std::variant<std::string, std::vector<Record>> value;  // scalar text or list of structs
    bool is_list() const { return value.index() == 1; }
    bool operator==(const Field&) const;
};

struct Record {
    std::vector<Field> fields;

    const Field* find(std::string_view name) const;
    Field* find(std::string_view name);
    const std::string* scalar(std::string_view name) const;  // nullptr if absent or a list
    const std::vector<Record>* list(std::string_view name) const;
    std::vector<Record>* list(std::string_view name);
    // The scalar's text, or fallback when absent or a list.
    std::string get(std::string_view name, std::string_view fallback = {}) const;
    bool has(std::string_view name) const { return find(name) != nullptr; }

    Record& set(std::string name, std::string value);  // replace or append
    Record& add_list(std::string name, std::vector<Record> items);  // replace or append
    bool erase(std::string_view name);

    bool operator==(const Record&) const = default;
};

struct Header {
    std::string rg_id;
    std::string transaction_id;
    std::string time_stamp;  // xsd:dateTime, UTC ("2024-11-25T10:22:00Z")
    bool operator==(const Header&) const = default;
};

struct Request {
    Header header;
    std::string function;
    Record args;
    bool operator==(const Request&) const = default;
};

struct Response {
    Header header;
    std::string function;  // without the "Response" suffix
    int result_code = result_code::success;
    std::string result_msg;
    Record fields;
    bool ok() const { return result_code == result_code::success; }
    bool operator==(const Response&) const = default;
};

// A response to req: same function, rgId and transactionId; time stamp left for the caller.
Response make_response(const Request& req, int code = result_code::success, std::string msg = {});

// ---- lexical helpers shared by the codec, the catalogue and the simulator ----
// XML NCName check for element names coming from mapping tables.
bool is_valid_name(std::string_view name);
// "2024-11-25T10:22:00Z" (seconds precision, always UTC).
std::string format_date_time(std::chrono::system_clock::time_point t);
std::string format_date_time(std::int64_t unix_seconds);
// xsd:dateTime with optional fraction and zone (Z or +hh:mm); no zone = UTC.
// Returns Unix seconds; nullopt when not a valid dateTime.
std::optional<std::int64_t> parse_date_time(std::string_view text);

}  // namespace cmp
