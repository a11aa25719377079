#pragma once
// A mapping table: how one CMP gateway presents itself as a TR-069 data
// model. Immutable once loaded (a reload builds a new Table), so every
// virtual CPE can share one by shared_ptr without locks.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"

namespace mapping {

// Where in the YAML a rule came from, for file:line:col diagnostics.
struct SourcePos {
    std::string file;
    int line = 0;    // 1-based
    int column = 0;  // 1-based
    std::string to_string() const;
};

// A scalar parameter read from one field of a CMP get response.
struct ParamRule {
    std::string path;      // full TR-069 path, e.g. InternetGatewayDevice.DeviceInfo.UpTime
    std::string function;  // CMP function answering it, e.g. getRgInfo
    std::string field;     // field of the response
    std::string type;      // xsd type on the wire ("xsd:unsignedInt"); from the data model unless overridden
    bool writable = false;
    SourcePos pos;
};

class Table {
public:
    // Loads and validates a YAML table. Errors carry file:line:col.
    static core::Result<std::shared_ptr<const Table>> load_file(const std::string& path);
    static core::Result<std::shared_ptr<const Table>> load_string(std::string_view yaml, std::string file_name);

    const std::string& name() const { return name_; }
    const std::string& model() const { return model_; }  // "InternetGatewayDevice:1.4"
    const std::string& root() const { return root_; }    // "InternetGatewayDevice."
    const std::string& hash() const { return hash_; }    // sha256 of the source text

    const ParamRule* find(std::string_view path) const;
    // Every rule whose path starts with prefix (an object path ending in '.').
    std::vector<const ParamRule*> under(std::string_view prefix) const;
    const std::map<std::string, ParamRule, std::less<>>& rules() const { return rules_; }

private:
    std::string name_, model_, root_, hash_;
    std::map<std::string, ParamRule, std::less<>> rules_;
};

}  // namespace mapping
