#pragma once
// Run-time facts of one standard CWMP data model (InternetGatewayDevice:1.14,
// Device:1.3, StorageService:1.0, ...): which paths exist, their types, access
// and value facets. Loaded once at start-up from the compact form under
// datamodels/ (see docs/datamodels.md) and shared read-only by every gateway.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bridge/core/result.hpp"

namespace datamodel {

// One range facet; a missing bound is open.
struct Range {
    std::optional<int64_t> min, max;
    bool operator==(const Range&) const = default;
};

struct ParamType {
    // Decimal: TR-106 Amendment 8 added it; TR-181 2.14+ uses it (IP Layer Capacity).
    enum Base : uint8_t { String, Int, UnsignedInt, Long, UnsignedLong, Boolean, DateTime, Base64, HexBinary, Decimal };
    Base base = String;
    // Named TR-106 data type ("IPAddress", "MACAddress", "Alias", ...) or "".
    // Its facets are already folded into the fields below.
    std::string named;
    // A TR-106 comma-separated list: the facets below apply to each item,
    // list_max_length to the whole value. On the wire a list is xsd:string.
    bool list = false;
    std::optional<uint32_t> list_max_length;
    std::optional<uint32_t> list_max_items;
    // Bounds over all of `ranges` (convenience for the common single range).
    std::optional<int64_t> min, max;
    // Every range facet; a value must fall into one. When empty, min/max are
    // used instead, so a hand-built type only needs min/max.
    std::vector<Range> ranges;
    // Characters for string, decoded bytes for base64/hexBinary (TR-106 A.2.3.3).
    std::optional<uint32_t> min_length, max_length;
    std::vector<std::string> enumeration;
    // Enumeration values only the CPE may report (access="readOnly"), such as
    // DiagnosticsState "Complete": an ACS setting one gets 9007.
    std::vector<std::string> readonly_values;
    // XSD patterns (implicitly anchored); with enumeration, a value must match
    // one enumeration value or one pattern.
    std::vector<std::string> patterns;

    // Sets min/max to the hull of `ranges` (no-op when ranges is empty).
    void update_bounds();
    // xsi:type for the wire: "xsd:unsignedInt"; lists are "xsd:string".
    std::string xsd_type() const;
    bool operator==(const ParamType&) const = default;
};

std::string_view base_name(ParamType::Base b);  // "unsignedInt"
std::optional<ParamType::Base> base_from_name(std::string_view name);

inline constexpr uint32_t kUnbounded = UINT32_MAX;

struct Node {
    // "InternetGatewayDevice.DeviceInfo." (object) or "...DeviceInfo.Manufacturer"
    // (parameter); instance numbers are written "{i}".
    std::string path;
    bool is_object = false;
    // Parameter: readWrite. Object: AddObject/DeleteObject allowed (tables).
    bool writable = false;
    // Path ends in "{i}.": the template of one table row.
    bool multi_instance = false;
    // "X." above a "X.{i}.": BBF XML never defines it, but it is a valid
    // partial path (GetParameterNames, AddObject), so Model synthesises it.
    bool table = false;
    // Reads back as "" (passwords, keys): syntax hidden="true".
    bool hidden = false;
    // Objects: instance count limits; multi-instance rows only are interesting.
    uint32_t min_entries = 1, max_entries = 1;
    // Multi-instance objects: the parameter of the parent object counting the
    // rows ("HostNumberOfEntries"), "" when the model names none.
    std::string num_entries_param;
    ParamType type;  // parameters only

    bool operator==(const Node&) const = default;
};

// "LANDevice.1.Hosts.Host.3.IPAddress" -> "LANDevice.{i}.Hosts.Host.{i}.IPAddress";
// instance aliases "[cpe-1]" (CWMP 1.4 alias-based addressing) become "{i}" too.
std::string normalise_path(std::string_view path);

class Model {
public:
    Model() = default;
    Model(const Model& other);
    Model& operator=(const Model& other);
    Model(Model&&) noexcept = default;
    Model& operator=(Model&&) noexcept = default;

    // The compact form (datamodels/*.dm).
    static core::Result<Model> load(const std::string& file);
    static core::Result<Model> parse(std::string_view text);
    // From nodes in definition order (parents before children); synthesises
    // table nodes and builds the indexes.
    static core::Result<Model> build(std::string name, std::vector<std::string> sources, std::vector<Node> nodes);

    // "InternetGatewayDevice:1.4"
    const std::string& name() const { return name_; }
    // BBF file names the facts were derived from (no directories).
    const std::vector<std::string>& sources() const { return sources_; }

    // Accepts template ("{i}") and instance paths. Null when not in the model.
    const Node* find(std::string_view path) const;
    bool contains(std::string_view path) const { return find(path) != nullptr; }
    // Direct children (parameters and objects, definition order) of an object
    // or table path; empty when the path is not an object of the model.
    std::vector<const Node*> children(std::string_view object_path) const;
    // Every node in definition order, synthesised table nodes included.
    const std::deque<Node>& nodes() const { return nodes_; }
    std::size_t object_count() const;     // defined objects (no table nodes)
    std::size_t parameter_count() const;

    // Grafts a service model under `at` (e.g. StorageService:1.0 at
    // "InternetGatewayDevice.Services.StorageService.{i}."): the other model's
    // root object becomes `at`. When the grafted root is multi-instance, the
    // parent gets "<Table>NumberOfEntries" as TR-106 asks for every table.
    // Invalidates Node pointers previously obtained from this model.
    core::Status mount(const Model& other, std::string_view at);

private:
    core::Status reindex();

    std::string name_;
    std::vector<std::string> sources_;
    // deque: nodes never move, so index_ keys can view their paths.
    std::deque<Node> nodes_;
    std::unordered_map<std::string_view, uint32_t> index_;
    std::vector<std::vector<uint32_t>> children_;
};

// The compact form of a model; what dmgen writes and Model::parse reads.
// Table nodes are omitted (Model synthesises them).
std::string to_compact(std::string_view name, const std::vector<std::string>& sources,
                       const std::vector<Node>& nodes);
std::string to_compact(const Model& model);

// --- values (SetParameterValues) ---

// Error codes of check_value: a value that is not of the parameter's type at
// all (CWMP fault 9006) and one of the right type that breaks a facet: out of
// range, not in the enumeration, too long, malformed IP address (9007).
inline constexpr std::string_view kErrType = "type";
inline constexpr std::string_view kErrValue = "value";

// `from_acs`: the value is being set by the ACS, so read-only enumeration
// values are refused; pass false to check what a gateway reported.
core::Status check_value(const ParamType& type, std::string_view value, bool from_acs = true);

// The canonical lexical form of a value that passed check_value: booleans
// "true"/"false" (XML Schema's canonical boolean; what GenieACS and real CPEs
// send), integers without sign or leading zeros, other types unchanged.
std::string canonical_value(const ParamType& type, std::string_view value);

// A value a gateway reported, as answered to the ACS: canonical when it passes
// check_value(type, value, false), else left as it is (never filtered). No copy
// when it is canonical already, as nearly every reported value is.
void canonicalize_reported(const ParamType& type, std::string& value);

}  // namespace datamodel
