#pragma once
// Reads Broadband Forum cwmp-datamodel XML (the flattened "-full.xml" files
// of github.com/BroadbandForum/cwmp-data-models) into datamodel::Node lists.
// Used only by dmgen and tests: the bridge itself loads the compact form.
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/datamodel/model.hpp"

namespace datamodel::bbf {

struct ReadOptions {
    // "InternetGatewayDevice:1.14"; "" picks the file's only model.
    std::string model;
    // "1.4": keep only what (dmr:)version says existed by then, inheriting an
    // object's version when a parameter has none. Refused when the file carries
    // no version attributes at all (then it cannot say what is older). "" = all.
    std::string version;
    // Files defining named data types the model file does not define itself
    // (tr-106-types.xml); imports inside them are followed.
    std::vector<std::string> type_files;
};

struct ReadResult {
    std::string name;                  // "InternetGatewayDevice:1.14"
    std::vector<std::string> sources;  // base names of the files used
    std::vector<Node> nodes;           // definition order, no table nodes
};

core::Result<ReadResult> read_file(const std::string& path, const ReadOptions& options);
// `source_name` is recorded in sources; type files still come from options.
core::Result<ReadResult> read_text(std::string_view xml, const std::string& source_name, const ReadOptions& options);
// Names of the <model>s defined in a file.
core::Result<std::vector<std::string>> list_models(const std::string& path);

// One line of datamodels/models.list:
//   <output.dm> <model> <source.xml> [version=<v>] [types=<file>[,<file>]]
struct ManifestEntry {
    std::string output;
    std::string model;
    std::string source;
    std::string version;
    std::vector<std::string> types;
};
core::Result<std::vector<ManifestEntry>> read_manifest(const std::string& path);
// The compact text of one manifest entry, sources read from bbf_dir.
core::Result<std::string> generate(const ManifestEntry& entry, const std::string& bbf_dir);

}  // namespace datamodel::bbf
