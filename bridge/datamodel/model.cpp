#include "bridge/datamodel/model.hpp"

#include <algorithm>
#include <unordered_set>

namespace datamodel {
namespace {

bool is_instance_segment(std::string_view seg) {
    if (seg.empty()) return false;
    if (seg.front() == '[') return seg.size() >= 2 && seg.back() == ']';
    return std::all_of(seg.begin(), seg.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <class F>
void for_each_segment(std::string_view path, F&& f) {
    std::size_t start = 0;
    while (start < path.size()) {
        std::size_t dot = path.find('.', start);
        if (dot == std::string_view::npos) dot = path.size();
        f(path.substr(start, dot - start), dot < path.size());
        start = dot + 1;
    }
}

bool needs_normalising(std::string_view path) {
    bool found = false;
    for_each_segment(path, [&](std::string_view seg, bool) { found = found || is_instance_segment(seg); });
    return found;
}

// "A.B.C." -> "A.B.", "A.B.x" -> "A.B.", "A." -> "".
std::string_view parent_of(std::string_view path) {
    std::string_view p = path;
    if (!p.empty() && p.back() == '.') p.remove_suffix(1);
    std::size_t dot = p.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot + 1);
}

bool ends_with_instance(std::string_view path) { return path.size() >= 4 && path.substr(path.size() - 4) == "{i}."; }

// Nodes in definition order with a table node "X." before the first "X.{i}.".
std::vector<Node> with_tables(std::vector<Node> in) {
    std::vector<Node> out;
    out.reserve(in.size() + in.size() / 8);
    std::unordered_set<std::string> defined;
    for (auto& n : in)
        if (!n.table) defined.insert(n.path);
    std::unordered_set<std::string> tables;
    for (auto& n : in) {
        if (n.table) continue;  // regenerated below, so mount/copy stay idempotent
        if (n.is_object && ends_with_instance(n.path)) {
            std::string t = n.path.substr(0, n.path.size() - 4);
            if (!defined.count(t) && tables.insert(t).second) {
                Node tn;
                tn.path = t;
                tn.is_object = true;
                tn.table = true;
                tn.writable = n.writable;
                tn.min_entries = n.min_entries;
                tn.max_entries = n.max_entries;
                tn.num_entries_param = n.num_entries_param;
                out.push_back(std::move(tn));
            }
        }
        out.push_back(std::move(n));
    }
    return out;
}

}  // namespace

std::string normalise_path(std::string_view path) {
    std::string out;
    out.reserve(path.size() + 8);
    for_each_segment(path, [&](std::string_view seg, bool dotted) {
        out.append(is_instance_segment(seg) ? std::string_view{"{i}"} : seg);
        if (dotted) out.push_back('.');
    });
    return out;
}

Model::Model(const Model& other) : name_(other.name_), sources_(other.sources_), nodes_(other.nodes_) {
    // Keys view the copied paths, not the source model's.
    (void)reindex();
}

Model& Model::operator=(const Model& other) {
    if (this != &other) {
        Model copy(other);
        *this = std::move(copy);
    }
    return *this;
}

core::Result<Model> Model::build(std::string name, std::vector<std::string> sources, std::vector<Node> nodes) {
    Model m;
    m.name_ = std::move(name);
    m.sources_ = std::move(sources);
    for (auto& n : with_tables(std::move(nodes))) m.nodes_.push_back(std::move(n));
    auto st = m.reindex();
    if (!st) return st.error();
    return m;
}

core::Status Model::reindex() {
    index_.clear();
    children_.assign(nodes_.size(), {});
    index_.reserve(nodes_.size());
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
        const Node& n = nodes_[i];
        if (n.path.empty() || n.is_object != (n.path.back() == '.'))
            return core::make_error("dm.path", "malformed path \"" + n.path + "\" in " + name_);
        if (!index_.emplace(n.path, i).second)
            return core::make_error("dm.duplicate", "path \"" + n.path + "\" defined twice in " + name_);
        std::string_view parent = parent_of(n.path);
        if (parent.empty()) {
            if (!n.is_object) return core::make_error("dm.orphan", "parameter \"" + n.path + "\" has no object");
            continue;  // a root object
        }
        auto it = index_.find(parent);
        if (it == index_.end())
            return core::make_error("dm.orphan", "\"" + n.path + "\" comes before or without its parent object in " +
                                                     name_);
        children_[it->second].push_back(i);
    }
    return core::Ok{};
}

const Node* Model::find(std::string_view path) const {
    if (needs_normalising(path)) {
        std::string norm = normalise_path(path);
        auto it = index_.find(norm);
        return it == index_.end() ? nullptr : &nodes_[it->second];
    }
    auto it = index_.find(path);
    return it == index_.end() ? nullptr : &nodes_[it->second];
}

std::vector<const Node*> Model::children(std::string_view object_path) const {
    std::vector<const Node*> out;
    const Node* n = find(object_path);
    if (!n || !n->is_object) return out;
    auto idx = index_.find(n->path)->second;
    out.reserve(children_[idx].size());
    for (uint32_t c : children_[idx]) out.push_back(&nodes_[c]);
    return out;
}

std::size_t Model::object_count() const {
    return static_cast<std::size_t>(
        std::count_if(nodes_.begin(), nodes_.end(), [](const Node& n) { return n.is_object && !n.table; }));
}

std::size_t Model::parameter_count() const {
    return static_cast<std::size_t>(
        std::count_if(nodes_.begin(), nodes_.end(), [](const Node& n) { return !n.is_object; }));
}

core::Status Model::mount(const Model& other, std::string_view at) {
    auto root_it = std::find_if(other.nodes_.begin(), other.nodes_.end(), [](const Node& n) { return !n.table; });
    if (root_it == other.nodes_.end()) return core::make_error("dm.mount", "model " + other.name_ + " is empty");
    const std::string root = root_it->path;
    std::string at_s(at);
    if (at_s.empty() || at_s.back() != '.' || needs_normalising(at_s))
        return core::make_error("dm.mount", "mount point \"" + at_s + "\" must be an object template path");
    if (ends_with_instance(root) != ends_with_instance(at_s))
        return core::make_error("dm.mount", "mount point \"" + at_s + "\" and root \"" + root +
                                                "\" differ in being multi-instance");
    if (contains(at_s)) return core::make_error("dm.mount", "\"" + at_s + "\" already exists in " + name_);
    std::string table = ends_with_instance(at_s) ? at_s.substr(0, at_s.size() - 4) : at_s;
    std::string parent(parent_of(table));
    const Node* p = find(parent);
    if (parent.empty() || !p || !p->is_object || p->table)
        return core::make_error("dm.mount", "parent object \"" + parent + "\" of \"" + at_s + "\" is not in " + name_);

    std::vector<Node> all;
    all.reserve(nodes_.size() + other.nodes_.size() + 1);
    for (const Node& n : nodes_)
        if (!n.table) all.push_back(n);
    std::string count_param;
    if (ends_with_instance(at_s)) {
        std::string_view tname = std::string_view(table).substr(parent.size());
        tname.remove_suffix(1);
        count_param = std::string(tname) + "NumberOfEntries";
        if (!contains(parent + count_param)) {
            Node c;
            c.path = parent + count_param;
            c.type.base = ParamType::UnsignedInt;
            // Insert among the parent's own parameters, which must precede
            // any child object for the reader's parent-first rule.
            auto pos = std::find_if(all.begin(), all.end(), [&](const Node& n) { return n.path == parent; });
            all.insert(pos + 1, std::move(c));
        }
    }
    for (const Node& n : other.nodes_) {
        if (n.table) continue;
        if (n.path.compare(0, root.size(), root) != 0)
            return core::make_error("dm.mount", "\"" + n.path + "\" is outside the root \"" + root + "\" of " +
                                                    other.name_);
        Node g = n;
        g.path = at_s + n.path.substr(root.size());
        if (&n == &*root_it && g.num_entries_param.empty()) g.num_entries_param = count_param;
        all.push_back(std::move(g));
    }
    std::vector<std::string> sources = sources_;
    for (const auto& s : other.sources_)
        if (std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(s);
    auto built = build(name_, std::move(sources), std::move(all));
    if (!built) return built.error();
    *this = std::move(built).value();
    return core::Ok{};
}

}  // namespace datamodel
