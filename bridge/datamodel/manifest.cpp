// datamodels/models.list: the single list of what dmgen generates, read by
// dmgen (regeneration) and by the "datamodels are current" test alike.
#include <filesystem>
#include <fstream>

#include "bridge/datamodel/bbf_reader.hpp"

namespace datamodel::bbf {

core::Result<std::vector<ManifestEntry>> read_manifest(const std::string& path) {
    std::ifstream in(path);
    if (!in) return core::make_error("bbf.io", "cannot open manifest " + path);
    std::vector<ManifestEntry> out;
    std::string line;
    for (int no = 1; std::getline(in, line); ++no) {
        if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::vector<std::string> f;
        std::size_t p = 0;
        while (p < line.size()) {
            auto s = line.find_first_not_of(" \t\r", p);
            if (s == std::string::npos) break;
            auto e = line.find_first_of(" \t\r", s);
            f.push_back(line.substr(s, e == std::string::npos ? std::string::npos : e - s));
            p = e == std::string::npos ? line.size() : e;
        }
        if (f.empty()) continue;
        auto bad = [&](const std::string& why) {
            return core::make_error("bbf.manifest", path + ":" + std::to_string(no) + ": " + why);
        };
        if (f.size() < 3) return bad("expected <output.dm> <model> <source.xml> [options]");
        ManifestEntry m{f[0], f[1], f[2], {}, {}};
        if (m.output.find('/') != std::string::npos || m.source.find('/') != std::string::npos)
            return bad("file names only: directories come from the command line");
        for (std::size_t i = 3; i < f.size(); ++i) {
            if (f[i].rfind("version=", 0) == 0) {
                m.version = f[i].substr(8);
            } else if (f[i].rfind("types=", 0) == 0) {
                std::string v = f[i].substr(6);
                for (std::size_t s = 0; s <= v.size();) {
                    auto c = v.find(',', s);
                    if (c == std::string::npos) c = v.size();
                    if (c > s) m.types.push_back(v.substr(s, c - s));
                    s = c + 1;
                }
            } else {
                return bad("unknown option \"" + f[i] + "\"");
            }
        }
        out.push_back(std::move(m));
    }
    return out;
}

core::Result<std::string> generate(const ManifestEntry& entry, const std::string& bbf_dir) {
    namespace fs = std::filesystem;
    ReadOptions o;
    o.model = entry.model;
    o.version = entry.version;
    for (const auto& t : entry.types) o.type_files.push_back((fs::path(bbf_dir) / t).string());
    auto r = read_file((fs::path(bbf_dir) / entry.source).string(), o);
    if (!r) return r.error();
    // Build the model once so that a file that would not load is never written.
    auto m = Model::build(r->name, r->sources, r->nodes);
    if (!m) return m.error();
    return to_compact(r->name, r->sources, r->nodes);
}

}  // namespace datamodel::bbf
