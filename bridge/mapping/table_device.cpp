// TableDevice: rows, stored values, persistence and describe().
#include "bridge/mapping/table_device.hpp"

#include <algorithm>

namespace mapping {
namespace {

void key_of_record(const cmp::Record& r, std::string& out) {
    for (const auto& f : r.fields) {
        out += f.name;
        if (const auto* s = std::get_if<std::string>(&f.value)) {
            out += '=';
            out += std::to_string(s->size()) + ':' + *s;
        } else {
            out += '[';
            for (const auto& item : std::get<std::vector<cmp::Record>>(f.value)) {
                out += '{';
                key_of_record(item, out);
                out += '}';
            }
            out += ']';
        }
        out += ';';
    }
}

}  // namespace

std::string call_key(const cmp::Request& request) {
    std::string k = request.function + "(";
    key_of_record(request.args, k);
    return k + ")";
}

bool same_call(const cmp::Request& a, const cmp::Request& b) { return a.function == b.function && a.args == b.args; }

TableDevice::TableDevice(std::shared_ptr<const Table> table) : table_(std::move(table)) {}

std::string TableDevice::save_state() const {
    if (saved_generation_ != state_.generation) {
        saved_ = state_.save(*table_);
        saved_generation_ = state_.generation;
    }
    return saved_;
}

core::Status TableDevice::load_state(std::string_view blob) {
    saved_generation_.reset();
    return state_.load(*table_, blob);
}

cpe::DeviceState TableDevice::persistent_state() const { return {{"mapping", save_state()}}; }

cpe::DeviceState TableDevice::readable_state(const cpe::DeviceState& stored) const {
    cpe::DeviceState out = stored;
    if (auto it = out.find("mapping"); it != out.end()) {
        TableState s;
        if (s.load(*table_, it->second)) it->second = s.to_yaml(*table_);
    }
    return out;
}

void TableDevice::restore_state(const cpe::DeviceState& state) {
    auto it = state.find("mapping");
    if (it == state.end() || !load_state(it->second)) {
        // Generations keep increasing across a reset: a cached save of an older state never matches.
        const std::uint64_t generation = state_.generation + 1;
        state_ = TableState{};
        state_.generation = generation;
        saved_generation_.reset();
    }
}

std::optional<std::string> TableDevice::row_var(int object, std::uint32_t instance, std::string_view name,
                                                const std::map<std::string, std::string>* overrides) const {
    if (name == "$instance") return std::to_string(instance);
    if (object < 0) return std::nullopt;
    const ObjectRule& o = table_->objects()[object];
    if (name == "$key" && o.kind == ObjectKind::list) {
        auto it = state_.lists.find(object);
        if (it == state_.lists.end()) return std::nullopt;
        return it->second.key_of(instance);
    }
    if (overrides)
        if (auto it = overrides->find(std::string(name)); it != overrides->end()) return it->second;
    for (int pi : o.params) {
        const ParamRule& p = table_->params()[pi];
        if (p.name == name && (p.source == Source::stored || p.source == Source::constant))
            return p.source == Source::constant ? std::optional(p.value) : stored_value(p, instance);
    }
    return std::nullopt;
}

Vars TableDevice::row_vars(int object, std::uint32_t instance, const std::map<std::string, std::string>* overrides) const {
    // Without overrides the closure is two words, which std::function keeps in place: no
    // allocation for the Vars of every value a GetParameterValues reads.
    if (!overrides)
        return [this, object, instance](std::string_view name) { return row_var(object, instance, name, nullptr); };
    return [this, object, instance, overrides](std::string_view name) { return row_var(object, instance, name, overrides); };
}

std::vector<std::uint32_t> TableDevice::rows_of(int object) const {
    std::vector<std::uint32_t> out;
    const ObjectRule& o = table_->objects()[object];
    if (o.kind == ObjectKind::list) {
        if (auto it = state_.lists.find(object); it != state_.lists.end()) out = it->second.present;
    } else if (o.kind == ObjectKind::rows) {
        if (auto it = state_.rows.find(object); it != state_.rows.end())
            for (const auto& [inst, values] : it->second.rows) out.push_back(inst);
    }
    return out;
}

bool TableDevice::row_exists(int object, std::uint32_t instance) const {
    const ObjectRule& o = table_->objects()[object];
    if (o.kind == ObjectKind::list) {
        auto it = state_.lists.find(object);
        return it != state_.lists.end() && it->second.is_present(instance);
    }
    auto it = state_.rows.find(object);
    return it != state_.rows.end() && it->second.rows.count(instance);
}

std::map<std::uint32_t, const cmp::Record*> TableDevice::apply_list(int object, const cmp::Response& response) {
    const ObjectRule& o = table_->objects()[object];
    std::map<std::uint32_t, const cmp::Record*> items;
    const std::vector<cmp::Record>* list = o.record.list(response.fields);
    auto [entry, inserted] = state_.lists.try_emplace(object);
    ListState& l = entry->second;
    auto before_ids = l.ids;
    auto before_present = l.present;
    std::vector<std::uint32_t> present;
    if (list)
        for (const cmp::Record& item : *list) {
            if (o.filter) {
                const std::string* v = o.filter_field.scalar(item);
                if (!v || !std::regex_search(*v, *o.filter)) continue;
            }
            std::string key;
            for (std::size_t i = 0; i < o.key.size(); ++i) {
                const std::string* k = o.key[i].scalar(item);
                key += (i ? "|" : "") + (k ? *k : std::string());
            }
            std::uint32_t inst = l.assign(key);
            if (items.count(inst)) continue;  // duplicate key: the first item wins
            items.emplace(inst, &item);
            present.push_back(inst);
        }
    l.set_present(std::move(present));
    // A new entry is saved too (its path, next, an empty list): a change even when the list is empty.
    if (inserted || l.ids != before_ids || l.present != before_present) touch();
    return items;
}

std::optional<std::string> TableDevice::stored_value(const ParamRule& p, std::uint32_t instance) const {
    const ObjectRule& o = table_->objects()[p.object];
    if (o.kind == ObjectKind::rows) {
        auto it = state_.rows.find(p.object);
        if (it == state_.rows.end()) return std::nullopt;
        auto row = it->second.rows.find(instance);
        if (row == it->second.rows.end()) return std::nullopt;
        auto v = row->second.find(p.name);
        return v == row->second.end() ? p.value : v->second;
    }
    auto it = state_.stored.find(instance_path(p.path, instance));
    return it == state_.stored.end() ? p.value : it->second;
}

void TableDevice::set_stored(const ParamRule& p, std::uint32_t instance, std::string value) {
    const ObjectRule& o = table_->objects()[p.object];
    if (o.kind == ObjectKind::rows) state_.rows[p.object].rows[instance][p.name] = std::move(value);
    else state_.stored[instance_path(p.path, instance)] = std::move(value);
    touch();
}

std::uint32_t TableDevice::count_rows(int table_node) const {
    const auto& tree = table_->tree();
    std::uint32_t n = 0;
    for (int c : tree[table_node].children) {
        if (tree[c].kind == TreeNode::Kind::fixed_instance) ++n;
        else if (tree[c].kind == TreeNode::Kind::row && tree[c].object >= 0)
            n += static_cast<std::uint32_t>(rows_of(tree[c].object).size());
    }
    return n;
}

std::optional<cpe::NodeInfo> TableDevice::describe(const std::string& path) const {
    std::string p = path.empty() ? table_->root() : path;
    auto r = resolve_path(*table_, p);
    if (!r) return std::nullopt;
    const TreeNode& n = table_->tree()[r->node];
    if (int row = row_node_of(*table_, r->node); row >= 0) {
        int obj = table_->tree()[row].object;
        const ObjectRule& o = table_->objects()[obj];
        bool known = o.kind == ObjectKind::list ? (state_.lists.count(obj) && state_.lists.at(obj).known(r->instance))
                                                : row_exists(obj, r->instance);
        if (!known) return std::nullopt;
    }
    cpe::NodeInfo info;
    info.path = p;
    info.is_object = n.kind != TreeNode::Kind::param;
    info.writable = n.writable;
    if (n.param >= 0) info.type = table_->params()[n.param].type;
    return info;
}

}  // namespace mapping
