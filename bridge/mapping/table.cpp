// Table: loading entry points, lookups, the presented tree and CallSpec.
#include "bridge/mapping/table.hpp"

#include <algorithm>
#include <tuple>

#include "bridge/mapping/compile.hpp"
#include "bridge/mapping/hints.hpp"
#include "bridge/mapping/merge.hpp"

namespace mapping {

// ---- Compiler: the presented tree --------------------------------------------

void Compiler::build_tree() {
    auto& tree = t_->tree_;
    tree.clear();
    TreeNode root;
    root.path = t_->root_;
    root.segment = model_name_;
    tree.push_back(root);
    node_seq_[0] = 0;
    for (int oi = 0; oi < static_cast<int>(t_->objects_.size()); ++oi) {
        const ObjectRule& o = t_->objects_[oi];
        int n = tree_insert(o.path, o.pos);
        if (n < 0) continue;
        tree[n].object = oi;
        if (o.kind != ObjectKind::fixed) {
            tree[n].writable = o.kind == ObjectKind::rows || o.remove.has_value();
            if (tree[n].parent >= 0) tree[tree[n].parent].writable = o.kind == ObjectKind::rows || o.add.has_value();
        }
        for (int pi : o.params) {
            int pn = tree_insert(t_->params_[pi].path, t_->params_[pi].pos);
            if (pn < 0) continue;
            tree[pn].param = pi;
            tree[pn].writable = t_->params_[pi].writable;
        }
    }
    add_counts();
    for (auto& n : tree)
        std::stable_sort(n.children.begin(), n.children.end(), [&](int a, int b) { return node_seq_[a] < node_seq_[b]; });
    t_->node_index_.clear();
    for (int i = 0; i < static_cast<int>(tree.size()); ++i) t_->node_index_.emplace(tree[i].path, i);
}

void Compiler::add_counts() {
    auto& tree = t_->tree_;
    const std::size_t n = tree.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (tree[i].kind != TreeNode::Kind::table || tree[i].parent < 0) continue;
        std::string row = datamodel::normalise_path(tree[i].path + "{i}.");
        std::string name;
        if (const datamodel::Node* m = t_->facts_->find(row)) name = m->num_entries_param;
        else name = tree[i].segment + "NumberOfEntries";  // vendor table: the TR-106 convention
        if (name.empty()) continue;
        std::string path = tree[tree[i].parent].path + name;
        if (t_->param_index_.count(path)) continue;
        ParamRule p;
        p.path = path;
        p.name = name;
        p.source = Source::count;
        p.count_node = static_cast<int>(i);
        p.ptype.base = datamodel::ParamType::UnsignedInt;
        p.type = "xsd:unsignedInt";
        p.vendor = !t_->facts_->find(datamodel::normalise_path(path));
        for (int c : tree[i].children)
            if (tree[c].object >= 0) p.pos = t_->objects_[tree[c].object].pos;
        if (p.pos.line == 0) p.pos = SourcePos{top_file_, 1, 1};
        t_->params_.push_back(std::move(p));
        int pi = static_cast<int>(t_->params_.size()) - 1;
        t_->param_index_.emplace(path, pi);
        int pn = tree_insert(path, t_->params_[pi].pos);
        if (pn < 0) continue;
        tree[pn].param = pi;
        if (t_->params_[pi].vendor) node_seq_[pn] = node_seq_[static_cast<int>(i)] - 1;
    }
}

// ---- Table ---------------------------------------------------------------------

namespace {

core::Error joined(const Diagnostics& d) {
    std::string msg;
    for (const auto& x : d) msg += (msg.empty() ? "" : "\n") + x.to_string();
    return core::make_error("mapping.invalid", msg.empty() ? "invalid mapping table" : msg);
}

std::shared_ptr<const Table> compile(const std::string& file, const std::optional<std::string_view>& text,
                                     const LoadOptions& opt, Diagnostics& out) {
    std::shared_ptr<const Table> table;
    if (auto doc = load_document(file, text, out)) {
        Compiler c(opt, out, file);
        table = c.run(doc->root, doc->texts);
    }
    // Reported in file order, whatever order the checks ran in.
    std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.pos.file, a.pos.line, a.pos.column) < std::tie(b.pos.file, b.pos.line, b.pos.column);
    });
    for (auto& d : out)
        if (d.hint.empty()) d.hint = default_hint(d.message);
    return out.empty() ? table : nullptr;
}

}  // namespace

std::shared_ptr<const Table> Table::compile_file(const std::string& path, const LoadOptions& opt, Diagnostics& out) {
    return compile(path, std::nullopt, opt, out);
}

std::shared_ptr<const Table> Table::compile_string(std::string_view yaml, const std::string& file_name,
                                                   const LoadOptions& opt, Diagnostics& out) {
    return compile(file_name, yaml, opt, out);
}

core::Result<std::shared_ptr<const Table>> Table::load_file(const std::string& path, const LoadOptions& opt) {
    Diagnostics d;
    auto t = compile_file(path, opt, d);
    if (!t || !d.empty()) return joined(d);
    return t;
}

core::Result<std::shared_ptr<const Table>> Table::load_string(std::string_view yaml, std::string file_name,
                                                              const LoadOptions& opt) {
    Diagnostics d;
    auto t = compile_string(yaml, file_name, opt, d);
    if (!t || !d.empty()) return joined(d);
    return t;
}

const ParamRule* Table::find(std::string_view path) const {
    auto it = param_index_.find(path);
    return it == param_index_.end() ? nullptr : &params_[it->second];
}

std::vector<const ParamRule*> Table::under(std::string_view prefix) const {
    std::vector<const ParamRule*> out;
    for (auto it = param_index_.lower_bound(prefix);
         it != param_index_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
        out.push_back(&params_[it->second]);
    return out;
}

int Table::node_of(std::string_view template_path) const {
    auto it = node_index_.find(template_path);
    return it == node_index_.end() ? -1 : it->second;
}

const TransferRule* Table::transfer(std::string_view rpc, std::string_view file_type) const {
    for (const auto& r : transfers_)
        if (r.rpc == rpc && r.file_type == file_type) return &r;
    return nullptr;
}

std::set<std::string> Table::functions() const {
    std::set<std::string> out;
    auto add = [&](const std::string& f) {
        if (!f.empty()) out.insert(f);
    };
    for (const auto& o : objects_) {
        add(o.read.function);
        if (o.write) add(o.write->function);
        if (o.add) add(o.add->function);
        if (o.remove) add(o.remove->function);
    }
    for (const auto& p : params_) {
        add(p.read.function);
        if (p.write) add(p.write->function);
        if (p.on_set) add(p.on_set->call.function);
        if (p.notify) {
            add(p.notify->subscribe.function);
            add(p.notify->unsubscribe.function);
        }
    }
    for (const auto& e : events_) add(e.message);
    for (const auto& r : transfers_) {
        add(r.call.function);
        add(r.completion);
        add(r.content_read.function);
    }
    return out;
}

// ---- CallSpec ------------------------------------------------------------------

namespace {

void build_args(const std::vector<ArgSpec>& specs, cmp::Record& out, const Vars& vars, std::string* missing) {
    for (const auto& a : specs) {
        switch (a.kind) {
            case ArgSpec::Kind::scalar: out.set(a.name, a.value.expand(vars, missing)); break;
            case ArgSpec::Kind::list: {
                std::vector<cmp::Record> items;
                for (const auto& item : a.items) {
                    items.emplace_back();
                    build_args(item, items.back(), vars, missing);
                }
                out.add_list(a.name, std::move(items));
                break;
            }
            case ArgSpec::Kind::pairs: {
                std::vector<cmp::Record> items;
                auto pairs = decode_pairs(a.value.expand(vars, missing));
                if (pairs)
                    for (auto& [n, v] : *pairs) {
                        items.emplace_back();
                        items.back().set("name", n).set("value", v);
                    }
                else if (missing && missing->empty())
                    *missing = "(" + pairs.error().message + ")";
                out.add_list(a.name, std::move(items));
                break;
            }
        }
    }
}

void collect_refs(const std::vector<ArgSpec>& specs, std::vector<std::string>& out) {
    for (const auto& a : specs) {
        for (auto& r : a.value.refs()) out.push_back(r);
        for (const auto& item : a.items) collect_refs(item, out);
    }
}

}  // namespace

cmp::Request CallSpec::build(const Vars& vars, std::string* missing) const {
    cmp::Request r;
    r.function = function;
    build_args(args, r.args, vars, missing);
    return r;
}

std::vector<std::string> CallSpec::refs() const {
    std::vector<std::string> out;
    collect_refs(args, out);
    return out;
}

}  // namespace mapping
