#pragma once
// The CMP function catalogue: every function of the project's profile with its
// request and response fields (docs/cmp-protocol.md is generated from the same
// table and a test keeps the two in step). The catalogue types the generic
// message tree: the decoder asks it which elements are lists, and validate()
// checks a decoded or about-to-be-sent message against it.
#include <string>
#include <string_view>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"

namespace cmp {

enum class Direction {
    to_gateway,    // HOMS (the bridge) -> gateway's CMP agent
    from_gateway,  // gateway -> HOMS
};
std::string_view to_string(Direction d);

enum class Type { String, Int, UnsignedInt, UnsignedLong, Boolean, DateTime, List };
std::string_view to_string(Type t);  // the xsd name ("unsignedInt"), "list" for List

struct FieldSpec {
    std::string name;
    Type type = Type::String;
    bool required = false;
    std::vector<FieldSpec> item_fields;  // for List
    std::string unit;                    // "KB", "MB", "B", "%", "ms", "s" or empty
    bool sensitive = false;              // credentials: never log the value
    std::string doc;                     // one line for docs/cmp-protocol.md
};

struct FunctionSpec {
    std::string name;
    Direction direction = Direction::to_gateway;
    bool idempotent = false;  // get* queries: safe to retry after a timeout
    std::vector<FieldSpec> request;
    std::vector<FieldSpec> response;  // besides resultCode and resultMsg
    std::string doc;

    const FieldSpec* request_field(std::string_view name) const;
    const FieldSpec* response_field(std::string_view name) const;
};

// A spec among siblings, nullptr when absent.
const FieldSpec* find_field(const std::vector<FieldSpec>& specs, std::string_view name);

class Catalogue {
public:
    // Throws std::invalid_argument on duplicate function names or invalid XML
    // names: catalogues are built at start-up (builtin or from a mapping table).
    explicit Catalogue(std::vector<FunctionSpec> functions);

    // The project's profile as documented in docs/cmp-protocol.md.
    static const Catalogue& builtin();

    const FunctionSpec* find(std::string_view name) const;
    const std::vector<FunctionSpec>& functions() const { return functions_; }

    // Errors (code: message):
    //   cmp.unknown_function  the function is not in the catalogue
    //   cmp.bad_header        rgId or transactionId empty, timeStamp not an xsd:dateTime
    //   cmp.rg_id_mismatch    a body rgId differs from the header rgId
    //   cmp.unknown_field / cmp.missing_field / cmp.duplicate_field / cmp.bad_type
    // Messages name the path, e.g. "getRgDiskRsc.disk[1].totalMB: 'x' is not an unsignedInt".
    core::Status validate(const Request& req) const;
    // A failed response (resultCode != 0) needs none of its required fields.
    core::Status validate(const Response& resp) const;

private:
    std::vector<FunctionSpec> functions_;
};

// Lexical check of one scalar against a type (XSD lexical spaces; numeric,
// boolean and dateTime values may carry surrounding XML whitespace).
bool valid_lexical(Type type, std::string_view value);

}  // namespace cmp
