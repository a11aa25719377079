#pragma once
// A mapping table: how one CMP gateway presents itself as a TR-069 data
// model (the language: docs/mapping.md). Immutable once loaded (a reload
// builds a new Table), so every virtual CPE shares one by shared_ptr without
// locks; the per-gateway state (instance numbers, stored values) lives in
// mapping::TableDevice.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/core/result.hpp"
#include "bridge/datamodel/model.hpp"
#include "bridge/mapping/faults.hpp"
#include "bridge/mapping/fieldpath.hpp"
#include "bridge/mapping/transform.hpp"
#include "bridge/mapping/ynode.hpp"

namespace mapping {

// One argument of a CMP request the table builds: a text template, a list of
// records, or "n=v,n=v" text turned into a list of {name, value} records.
struct ArgSpec {
    enum class Kind { scalar, list, pairs };
    std::string name;
    Kind kind = Kind::scalar;
    Template value;
    std::vector<std::vector<ArgSpec>> items;
    SourcePos pos;
};

// A CMP request: function plus argument templates.
struct CallSpec {
    std::string function;
    std::vector<ArgSpec> args;
    SourcePos pos;

    bool empty() const { return function.empty(); }
    // missing receives the first variable the templates could not resolve.
    cmp::Request build(const Vars& vars, std::string* missing = nullptr) const;
    std::vector<std::string> refs() const;
};

// How a parameter reaches the gateway: fields of several parameters sharing
// a function are merged into one request.
struct WriteSpec {
    std::string function;
    FieldPath record;  // request record for the fields ("lan[0]"); default: the read record
    // Send the whole record as read (minus `drop`), modified: for set
    // functions that replace a record rather than patch it.
    bool read_modify_write = false;
    std::vector<std::string> drop;
    SourcePos pos;
};

// A value from a CMP record with a transform (action results, event values).
struct ValueSpec {
    std::optional<std::string> constant;
    FieldPath field;
    Transform transform;
    SourcePos pos;
};

// on_set: setting the parameter to `when` makes a CMP call (ctrlHomeDev).
struct ActionSpec {
    std::string when;  // canonical value that triggers; "" = any value
    CallSpec call;
    std::vector<std::pair<std::string, ValueSpec>> results;  // sibling parameter <- response value
    std::optional<std::string> reset;  // stored after the call ("false" for a trigger)
    SourcePos pos;
};

// Notification != 0 subscribes; 0 unsubscribes ({$id} is the subscription).
struct NotifySpec {
    CallSpec subscribe;
    FieldPath id_field;  // response field holding the subscription id
    CallSpec unsubscribe;
    SourcePos pos;
};

enum class Source { field, constant, templ, stored, count };

struct ParamRule {
    std::string path;  // presented path: "...LANDevice.1.Hosts.Host.{i}.IPAddress"
    std::string name;
    int object = -1;   // ObjectRule index; -1 for NumberOfEntries the table adds
    Source source = Source::field;
    CallSpec read;          // field/templ sources (list objects: the list call)
    std::string function;   // read.function
    std::string field;      // the field as written in the table
    FieldPath field_path;   // in the response (fixed objects) or the list item
    Template templ;         // templ: {field paths} relative to the object's record
    std::string value;      // constant / stored initial value
    Transform transform;
    std::string type;       // xsi:type, "xsd:unsignedInt"
    datamodel::ParamType ptype;
    bool writable = false;
    bool vendor = false;
    bool hidden = false;
    std::optional<WriteSpec> write;
    std::optional<ActionSpec> on_set;
    std::optional<NotifySpec> notify;
    int count_node = -1;    // count: the tree node (table) whose rows are counted
    SourcePos pos;
};

enum class ObjectKind { fixed, list, rows };

struct ObjectRule {
    std::string path;  // "...DeviceInfo." / "...LANDevice.1." / "...Host.{i}."
    ObjectKind kind = ObjectKind::fixed;
    CallSpec read;     // default read for the parameters; list: the list call
    FieldPath record;  // fixed: the response record the fields are in; list: the items
    std::vector<FieldPath> key;    // list: item fields identifying a row across calls
    FieldPath filter_field;        // list: only items whose field ...
    std::optional<std::regex> filter;  // ... matches
    std::optional<WriteSpec> write;
    unsigned max_rows = 0;         // rows: AddObject limit (0: unbounded)
    std::optional<CallSpec> add;   // list: AddObject through the gateway
    FieldPath add_key;             // ... response field with the new row's key
    std::optional<CallSpec> remove;  // list: DeleteObject through the gateway ({$key})
    std::vector<int> params;
    bool vendor = false;
    SourcePos pos;
};

// The presented tree (template level).
struct TreeNode {
    enum class Kind { object, table, fixed_instance, row, param };
    Kind kind = Kind::object;
    std::string path;     // objects end in '.'
    std::string segment;  // "Hosts", "{i}", "1", "HostName"
    int parent = -1;
    std::vector<int> children;  // presentation order
    int param = -1;
    int object = -1;      // rows: the list/rows ObjectRule
    bool writable = false;  // param: SetParameterValues; table: AddObject; row: DeleteObject
};

struct EventRule {
    std::string name;
    std::string message;   // gateway -> HOMS function
    int object = -1;
    FieldPath key;          // list rows: message field with the row key
    FieldPath subscription; // subscribed parameters: message field with the subscription id
    ValueSpec value;        // subscription events: the new value (selectors see the row)
    std::vector<std::pair<int, ValueSpec>> values;  // param index <- value
    SourcePos pos;
};

struct TransferRule {
    std::string rpc;        // Reboot, FactoryReset, Download, Upload
    std::string file_type;  // Download/Upload
    CallSpec call;
    // Completion message (notifyRgUpgradeResult); empty: the call's answer completes it.
    std::string completion;
    FieldPath result_field, start_field, complete_field;
    // Upload content the bridge transfers itself (getRgLog.logText).
    CallSpec content_read;
    FieldPath content_field;
    SourcePos pos;
};

struct LoadOptions {
    // Folders searched for datamodels/*.dm; default: $BRIDGE_DATAMODELS,
    // <table dir>/../datamodels, <table dir>, <executable dir>/../share/cmp-cwmp-bridge/datamodels.
    std::vector<std::string> model_dirs;
};

class Table {
public:
    // Loads, merges includes and validates. Errors: every diagnostic, one per
    // line as file:line:col: message (hint on the next line).
    static core::Result<std::shared_ptr<const Table>> load_file(const std::string& path, const LoadOptions& opt = {});
    static core::Result<std::shared_ptr<const Table>> load_string(std::string_view yaml, std::string file_name,
                                                                  const LoadOptions& opt = {});
    // Every problem of a file (the validator); the table when there are none.
    static std::shared_ptr<const Table> compile_file(const std::string& path, const LoadOptions& opt,
                                                     Diagnostics& out);
    static std::shared_ptr<const Table> compile_string(std::string_view yaml, const std::string& file_name,
                                                       const LoadOptions& opt, Diagnostics& out);

    const std::string& name() const { return name_; }
    const std::string& model() const { return model_; }  // "InternetGatewayDevice:1.4"
    const std::string& root() const { return root_; }    // "InternetGatewayDevice."
    const std::string& hash() const { return hash_; }    // sha256 of the source text(s)
    const std::string& vendor_prefix() const { return vendor_prefix_; }
    const datamodel::Model& facts() const { return *facts_; }
    // The datamodels/ files the table was checked against (model, mounts).
    const std::vector<std::string>& model_files() const { return model_files_; }
    const cmp::Catalogue& catalogue() const { return *catalogue_; }
    const FaultMap& faults() const { return faults_; }

    // Parameter by presented path (instance segments as written in the table:
    // "...WANDevice.1....ExternalIPAddress", "...Host.{i}.HostName").
    const ParamRule* find(std::string_view path) const;
    // Every parameter whose presented path starts with prefix.
    std::vector<const ParamRule*> under(std::string_view prefix) const;

    const std::vector<ParamRule>& params() const { return params_; }
    const std::vector<ObjectRule>& objects() const { return objects_; }
    const std::vector<TreeNode>& tree() const { return tree_; }  // tree()[0] is the root
    int node_of(std::string_view template_path) const;          // -1 when absent
    const std::vector<EventRule>& events() const { return events_; }
    const TransferRule* transfer(std::string_view rpc, std::string_view file_type = {}) const;
    const std::vector<TransferRule>& transfers() const { return transfers_; }
    // Every CMP function a rule calls or listens to (reads, writes, actions,
    // subscriptions, list add/delete, events, RPCs, completions).
    std::set<std::string> functions() const;
    // Catalogue functions the table leaves out on purpose (`unmapped:`), with the reason.
    const std::map<std::string, std::string, std::less<>>& unmapped() const { return unmapped_; }
    // The `reverse:` section as written (nullptr when absent). Only the reverse
    // direction reads it (mapping::ReverseMapping, docs/mapping.md section 20),
    // so the forward use of a table never depends on it.
    const YNode* reverse_source() const { return reverse_source_ ? &*reverse_source_ : nullptr; }

private:
    friend class Compiler;
    std::string name_, model_, root_, hash_, vendor_prefix_;
    std::shared_ptr<const datamodel::Model> facts_;  // shared with other tables naming the same files
    std::vector<std::string> model_files_;
    std::shared_ptr<const cmp::Catalogue> catalogue_;
    FaultMap faults_;
    std::vector<ParamRule> params_;
    std::vector<ObjectRule> objects_;
    std::vector<TreeNode> tree_;
    std::map<std::string, int, std::less<>> param_index_;
    // Hashed: resolve_path looks every plain request name up here.
    struct PathHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, int, PathHash, std::equal_to<>> node_index_;
    std::vector<EventRule> events_;
    std::vector<TransferRule> transfers_;
    std::map<std::string, std::string, std::less<>> unmapped_;
    std::optional<YNode> reverse_source_;
};

}  // namespace mapping
