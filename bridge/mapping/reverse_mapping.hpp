#pragma once
// A mapping table read the other way (issue 13, docs/mapping.md section 20):
// the rule "getRgInfo.manufacturer fills DeviceInfo.Manufacturer" also says
// how to answer getRgInfo from a TR-069 CPE that has DeviceInfo.Manufacturer.
// ReverseMapping classifies every HOMS -> gateway function of a table (get,
// set, operation, action, subscription), lays out which CPE parameters fill
// which response fields, and says where a rule cannot be inverted. Pure and
// immutable: ReverseCall (reverse_call.hpp) and reverse_events use it.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/mapping/table.hpp"

namespace mapping {

// One way to get a CMP field's value from the CPE; a field has several, tried in order.
struct ReverseSource {
    int param = -1;          // a parameter rule: its value through the inverse of the rule's transform
    std::string path;        // or a parameter named in `reverse.fields` (rows: relative to the row)
    std::optional<std::string> constant;  // or a constant (`{ value: "" }` in `reverse.fields`)
    SourcePos pos;
};

struct ReverseField {
    FieldPath field;  // fixed objects: from the response root ("wan[0].ipAddr"); lists: in the item ("devId")
    std::vector<ReverseSource> sources;
};

// Rows filtered by the request: read arguments that are one row parameter
// ("devId: {DevId}" -> rows whose DevId equals the request's devId).
struct RowMatch {
    std::string arg;         // request field
    std::string item_field;  // for list arguments (varName: [ { name: "{Name}" } ]): the item field
    int param = -1;          // the row parameter it must equal
};

// The answer to one get function (with one argument set) from the CPE.
struct GetLayout {
    std::vector<ReverseField> scalars;  // fixed objects and single rows
    struct List {
        FieldPath list;                  // response list ("dev", "proc", "var")
        int object = -1;                 // one item per instance of this object
        std::vector<ReverseField> fields;
        // Other objects listing the same items (PhysicalMedium and LogicalVolume both from disk):
        // their fields join the item whose key fields match.
        std::vector<int> joined;
    };
    std::vector<List> lists;
    int rows_object = -1;                // local-row object whose rows the request selects
    std::vector<RowMatch> matches;       // ... by these arguments
    std::vector<int> params;             // every parameter read (for GPV names)
    struct Problem {
        std::string field;  // the response field the rule would fill ("localTimeZone", "service")
        Diagnostic diagnostic;
    };
    std::vector<Problem> problems;       // rules that cannot be read back
};

enum class ReverseKind {
    get,          // GetParameterValues, then fill the response
    set,          // SetParameterValues
    transfer,     // Reboot, FactoryReset, Download, Upload (the table's rpc: section)
    action,       // a row parameter's on_set (ctrlHomeDev): set the row, read the results
    subscribe,    // notify.subscribe (applyHomeDevEvent): Notification 2 on the row's parameter
    unsubscribe,  // notify.unsubscribe (releaseHomeDevEvent): Notification 0
    unsupported,  // `reverse.unsupported` or no rule: answered not_supported
};

class ReverseMapping {
public:
    // Parses the table's `reverse:` section; problems (and every rule that
    // cannot be inverted) go to diagnostics(). The mapping is usable anyway:
    // a field without a source is left out or answered with a resultCode.
    static std::shared_ptr<const ReverseMapping> make(std::shared_ptr<const Table> table);

    const Table& table() const { return *table_; }
    const std::shared_ptr<const Table>& table_ptr() const { return table_; }
    // Every reverse problem of the table, in file order (validate --reverse).
    const Diagnostics& diagnostics() const { return diagnostics_; }

    ReverseKind kind(std::string_view function) const;
    // Why a function is not served in reverse ("" when it is).
    std::string unsupported_reason(std::string_view function) const;

    // The layout answering `function` with these request arguments.
    GetLayout layout(std::string_view function, const cmp::Record& args) const;
    // Argument sets the table reads a function with (one empty set when none).
    std::vector<cmp::Record> argument_sets(std::string_view function) const;

    // Explicit sources of a field from `reverse.fields` ("getHomeDevList.dev.devId"), nullptr if none.
    const std::vector<ReverseSource>* override_of(std::string_view function, std::string_view field) const;

    // Parameters whose VALUE CHANGE makes a gateway -> HOMS message (event
    // trigger and alert parameters, template paths with {i}): the ACS side
    // sets Notification 2 on them (AcsServerConfig::watch).
    std::vector<std::string> watch_paths() const;

    const TransferRule* transfer_of(std::string_view function) const;
    // Parameter with an on_set action / a notify rule calling this function; -1 if none.
    int action_param(std::string_view function) const;
    int notify_param(std::string_view function, bool subscribe) const;

private:
    friend void check_reverse_section(const std::shared_ptr<const Table>&, const YNode&, Diagnostics&);
    ReverseMapping() = default;
    void parse_spec(const YNode& n);
    void diagnose();
    void add(const SourcePos& pos, std::string message, std::string hint);

    std::shared_ptr<const Table> table_;
    std::map<std::string, std::vector<ReverseSource>, std::less<>> fields_;  // "function.field"
    std::map<std::string, std::string, std::less<>> unsupported_;
    Diagnostics diagnostics_;
};

// The shape of a `reverse:` section (keys, function and field names, parameter
// paths), checked by the forward compile too: a misspelt name is never silently
// ignored. Whether the rules invert is the reverse validator's (make()).
void check_reverse_section(const std::shared_ptr<const Table>& table, const YNode& section, Diagnostics& out);

// The value of a CMP field from a CPE parameter's value: the inverse of the
// rule's read transform. nullopt when the transform has no inverse for it.
std::optional<std::string> reverse_read(const ParamRule& p, const std::string& cpe_value);

// CPE fault (TR-069 A.5.1) -> CMP resultCode, one table (docs/mapping.md 20).
int result_code_of_fault(std::uint32_t cwmp_code);
// A failed RPC (transport error) -> CMP resultCode: acs.busy -> busy, acs.timeout/unreachable -> timeout.
int result_code_of_error(const core::Error& e);

// `cmp-cwmp-bridge validate --reverse`: the forward check, then the reverse one.
int run_validate_reverse(const std::vector<std::string>& files, std::ostream& out, std::ostream& err,
                         const LoadOptions& opt = {});

}  // namespace mapping
