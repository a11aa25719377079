#include "bridge/mapping/validator.hpp"

namespace mapping {

Validation validate_file(const std::string& path, const LoadOptions& opt) {
    Validation v;
    v.file = path;
    v.table = Table::compile_file(path, opt, v.diagnostics);
    if (!v.diagnostics.empty()) v.table.reset();
    return v;
}

int run_validate(const std::vector<std::string>& files, std::ostream& out, std::ostream& err, const LoadOptions& opt) {
    int status = 0;
    for (const auto& f : files) {
        Validation v = validate_file(f, opt);
        if (!v.table) {
            status = 1;
            for (const auto& d : v.diagnostics) err << d.to_string() << "\n";
            err << f << ": " << v.diagnostics.size() << (v.diagnostics.size() == 1 ? " error" : " errors") << "\n";
            continue;
        }
        const Table& t = *v.table;
        std::size_t objects = 0, writable = 0;
        for (const auto& n : t.tree()) objects += n.kind != TreeNode::Kind::param;
        for (const auto& p : t.params()) writable += p.writable;
        std::string models;
        for (const auto& m : t.model_files()) models += (models.empty() ? "" : " + ") + m;
        out << f << ": ok (" << t.model() << " checked against " << models << "; " << t.params().size()
            << " parameters, " << writable << " writable, " << objects << " objects, " << t.events().size()
            << " event rules, " << t.transfers().size() << " RPC rules)\n";
    }
    return status;
}

}  // namespace mapping
