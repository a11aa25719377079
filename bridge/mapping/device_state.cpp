#include "bridge/mapping/device_state.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>

#include "bridge/core/binary_codec.hpp"
#include "bridge/mapping/compile.hpp"

namespace mapping {

// ---- ListState ---------------------------------------------------------------

// Forgetting waits for set_present: while a list is being applied, its keys
// assigned so far are not "present" yet, and evicting one of them would give
// that row a new number on the next call (and cost a scan per new key).
std::uint32_t ListState::assign(const std::string& key) {
    if (auto it = ids.find(key); it != ids.end()) return it->second;
    std::uint32_t n = next++;
    ids.emplace(key, n);
    return n;
}

std::optional<std::string> ListState::key_of(std::uint32_t instance) const {
    for (const auto& [k, v] : ids)
        if (v == instance) return k;
    return std::nullopt;
}

bool ListState::known(std::uint32_t instance) const {
    if (is_present(instance)) return true;
    return key_of(instance).has_value();
}

bool ListState::is_present(std::uint32_t instance) const {
    return std::binary_search(present.begin(), present.end(), instance);
}

void ListState::set_present(std::vector<std::uint32_t> instances) {
    std::sort(instances.begin(), instances.end());
    instances.erase(std::unique(instances.begin(), instances.end()), instances.end());
    present = std::move(instances);
    listed = true;
    if (ids.size() <= kRemember) return;
    // Beyond the memory: forget absent keys, smallest number first; present rows stay.
    std::vector<std::pair<std::uint32_t, std::map<std::string, std::uint32_t>::iterator>> absent;
    for (auto it = ids.begin(); it != ids.end(); ++it)
        if (!is_present(it->second)) absent.emplace_back(it->second, it);
    std::sort(absent.begin(), absent.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const std::size_t excess = std::min(ids.size() - kRemember, absent.size());
    for (std::size_t i = 0; i < excess; ++i) ids.erase(absent[i].second);
}

// ---- persistence ---------------------------------------------------------------

// The binary form (version 2): "\0MPS", a version byte, then the lists, the
// rows, the stored values and the subscriptions, each keyed by object or
// parameter path (core/binary_codec.hpp). Version 1 was YAML text, emitted
// per change; it is still read, so states written before load and are
// rewritten in this form at their next change.
namespace {

constexpr std::string_view kMagic{"\0MPS", 4};
constexpr unsigned char kVersion = 2;

int object_index(const Table& t, std::string_view path, ObjectKind kind) {
    for (int i = 0; i < static_cast<int>(t.objects().size()); ++i)
        if (t.objects()[i].path == path && t.objects()[i].kind == kind) return i;
    return -1;  // the table no longer has it: dropped
}

core::Error bad(std::string m) { return core::make_error("mapping.state", std::move(m)); }

void put_map(core::BinaryWriter& w, const std::map<std::string, std::string>& m) {
    w.u(m.size());
    for (const auto& [k, v] : m) {
        w.str(k);
        w.str(v);
    }
}

void get_map(core::BinaryReader& r, std::map<std::string, std::string>& m) {
    for (std::size_t n = r.count(); n > 0 && r.ok; --n) {
        std::string k = r.str();
        m[std::move(k)] = r.str();
    }
}

core::Result<TableState> decode_binary(const Table& t, std::string_view blob) {
    if (static_cast<unsigned char>(blob[kMagic.size()]) != kVersion)
        return bad("mapping state: unknown binary version " +
                   std::to_string(static_cast<unsigned char>(blob[kMagic.size()])));
    core::BinaryReader r{blob.substr(kMagic.size() + 1)};
    TableState s;
    for (std::size_t n = r.count(); n > 0 && r.ok; --n) {
        const std::string path = r.str();
        ListState l;
        l.next = r.u32();
        std::uint32_t max = 0;
        for (std::size_t m = r.count(); m > 0 && r.ok; --m) {
            std::string key = r.str();
            const std::uint32_t v = r.u32();
            if (r.ok && v == 0) return bad("mapping state: instance 0");
            max = std::max(max, v);
            l.ids.emplace(std::move(key), v);
        }
        std::vector<std::uint32_t> present;
        for (std::size_t m = r.count(); m > 0 && r.ok; --m) present.push_back(r.u32());
        if (!r.ok) break;
        const int oi = object_index(t, path, ObjectKind::list);
        if (oi < 0) continue;
        l.set_present(std::move(present));  // listed: a saved state counts as a list seen
        l.next = std::max(l.next, max + 1);  // never reuse, even from a corrupt count
        s.lists[oi] = std::move(l);
    }
    for (std::size_t n = r.count(); n > 0 && r.ok; --n) {
        const std::string path = r.str();
        RowsState rs;
        rs.next = r.u32();
        for (std::size_t m = r.count(); m > 0 && r.ok; --m) {
            const std::uint32_t inst = r.u32();
            if (r.ok && inst == 0) return bad("mapping state: instance 0");
            get_map(r, rs.rows[inst]);
            rs.next = std::max(rs.next, inst + 1);
        }
        if (!r.ok) break;
        const int oi = object_index(t, path, ObjectKind::rows);
        if (oi >= 0) s.rows[oi] = std::move(rs);
    }
    get_map(r, s.stored);
    get_map(r, s.subscriptions);
    if (!r.ok) return bad("mapping state: truncated or corrupt binary state");
    if (!r.in.empty()) return bad("mapping state: trailing bytes after the binary state");
    return s;
}

core::Result<TableState> decode_yaml(const Table& t, std::string_view blob) {
    TableState s;
    try {
        YAML::Node doc = YAML::Load(std::string(blob));
        if (!doc.IsMap() || !doc["version"] || doc["version"].as<int>() != 1)
            return bad("mapping state: not a version 1 state");
        if (auto lists = doc["lists"]; lists && lists.IsMap())
            for (auto it = lists.begin(); it != lists.end(); ++it) {
                int oi = object_index(t, it->first.as<std::string>(), ObjectKind::list);
                if (oi < 0) continue;
                ListState l;
                l.next = it->second["next"].as<std::uint32_t>(1);
                std::uint32_t max = 0;
                if (auto ids = it->second["ids"]; ids && ids.IsMap())
                    for (auto i = ids.begin(); i != ids.end(); ++i) {
                        auto v = i->second.as<std::uint32_t>();
                        if (v == 0) return bad("mapping state: instance 0");
                        l.ids.emplace(i->first.as<std::string>(), v);
                        max = std::max(max, v);
                    }
                std::vector<std::uint32_t> present;
                if (auto p = it->second["present"]; p && p.IsSequence())
                    for (auto v : p) present.push_back(v.as<std::uint32_t>());
                l.set_present(std::move(present));
                l.next = std::max(l.next, max + 1);  // never reuse, even from a hand-edited file
                s.lists[oi] = std::move(l);
            }
        if (auto rows = doc["rows"]; rows && rows.IsMap())
            for (auto it = rows.begin(); it != rows.end(); ++it) {
                int oi = object_index(t, it->first.as<std::string>(), ObjectKind::rows);
                if (oi < 0) continue;
                RowsState r;
                r.next = it->second["next"].as<std::uint32_t>(1);
                if (auto rr = it->second["rows"]; rr && rr.IsMap())
                    for (auto i = rr.begin(); i != rr.end(); ++i) {
                        auto inst = i->first.as<std::uint32_t>();
                        if (inst == 0) return bad("mapping state: instance 0");
                        auto& values = r.rows[inst];
                        if (i->second.IsMap())
                            for (auto v = i->second.begin(); v != i->second.end(); ++v)
                                values[v->first.as<std::string>()] = v->second.as<std::string>("");
                        r.next = std::max(r.next, inst + 1);
                    }
                s.rows[oi] = std::move(r);
            }
        for (const char* sec : {"stored", "subscriptions"})
            if (auto m = doc[sec]; m && m.IsMap())
                for (auto it = m.begin(); it != m.end(); ++it)
                    (sec[0] == 's' && sec[1] == 't' ? s.stored : s.subscriptions)[it->first.as<std::string>()] =
                        it->second.as<std::string>("");
    } catch (const std::exception& e) {
        return bad(std::string("mapping state: ") + e.what());
    }
    return s;
}

}  // namespace

std::string TableState::to_yaml(const Table& t) const {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "version" << YAML::Value << 1;
    out << YAML::Key << "table" << YAML::Value << t.name();
    out << YAML::Key << "lists" << YAML::Value << YAML::BeginMap;
    for (const auto& [oi, l] : lists) {
        out << YAML::Key << t.objects()[oi].path << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "next" << YAML::Value << l.next;
        out << YAML::Key << "present" << YAML::Value << YAML::Flow << l.present;
        out << YAML::Key << "ids" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : l.ids) out << YAML::Key << k << YAML::Value << v;
        out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndMap << YAML::Key << "rows" << YAML::Value << YAML::BeginMap;
    for (const auto& [oi, r] : rows) {
        out << YAML::Key << t.objects()[oi].path << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "next" << YAML::Value << r.next;
        out << YAML::Key << "rows" << YAML::Value << YAML::BeginMap;
        for (const auto& [inst, values] : r.rows) {
            out << YAML::Key << inst << YAML::Value << YAML::BeginMap;
            for (const auto& [n, v] : values) out << YAML::Key << n << YAML::Value << YAML::DoubleQuoted << v;
            out << YAML::EndMap;
        }
        out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndMap << YAML::Key << "stored" << YAML::Value << YAML::BeginMap;
    for (const auto& [p, v] : stored) out << YAML::Key << p << YAML::Value << YAML::DoubleQuoted << v;
    out << YAML::EndMap << YAML::Key << "subscriptions" << YAML::Value << YAML::BeginMap;
    for (const auto& [p, v] : subscriptions) out << YAML::Key << p << YAML::Value << YAML::DoubleQuoted << v;
    out << YAML::EndMap << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

std::string TableState::save(const Table& t) const {
    core::BinaryWriter w;
    w.out.reserve(256);
    w.out.append(kMagic);
    w.out.push_back(static_cast<char>(kVersion));
    w.u(lists.size());
    for (const auto& [oi, l] : lists) {
        w.str(t.objects()[oi].path);
        w.u(l.next);
        w.u(l.ids.size());
        for (const auto& [k, v] : l.ids) {
            w.str(k);
            w.u(v);
        }
        w.u(l.present.size());
        for (auto v : l.present) w.u(v);
    }
    w.u(rows.size());
    for (const auto& [oi, r] : rows) {
        w.str(t.objects()[oi].path);
        w.u(r.next);
        w.u(r.rows.size());
        for (const auto& [inst, values] : r.rows) {
            w.u(inst);
            put_map(w, values);
        }
    }
    put_map(w, stored);
    put_map(w, subscriptions);
    return std::move(w.out);
}

core::Status TableState::load(const Table& t, std::string_view blob) {
    if (blob.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        *this = TableState{};
        return core::Ok{};
    }
    // YAML text never starts with a NUL byte; the binary form always does.
    auto s = blob.size() > kMagic.size() && blob.substr(0, kMagic.size()) == kMagic ? decode_binary(t, blob)
                                                                                     : decode_yaml(t, blob);
    if (!s) return s.error();
    s->generation = generation + 1;
    *this = std::move(*s);
    return core::Ok{};
}

// ---- paths ---------------------------------------------------------------------

std::optional<Resolved> resolve_path(const Table& t, std::string_view path) {
    const auto& tree = t.tree();
    if (tree.empty()) return std::nullopt;
    const bool object = !path.empty() && path.back() == '.';
    if (path.rfind(tree[0].path, 0) != 0) return std::nullopt;
    // A path through no rows is a node's own path: one index lookup instead of a walk that
    // compares every sibling's segment. ('{' keeps a literal "{i}" away from the row templates.)
    if (path.find('{') == std::string_view::npos)
        if (int n = t.node_of(path); n >= 0) return Resolved{n, 0};
    Resolved r{0, 0};
    std::string_view rest = path.substr(tree[0].path.size());
    while (!rest.empty()) {
        auto dot = rest.find('.');
        std::string_view seg = rest.substr(0, dot);
        rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
        if (seg.empty()) return std::nullopt;
        int next = -1;
        for (int c : tree[r.node].children) {
            const TreeNode& n = tree[c];
            if (n.kind == TreeNode::Kind::row) {
                std::uint32_t inst = 0;
                auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), inst);
                if (ec != std::errc() || p != seg.data() + seg.size() || inst == 0 || seg[0] == '0') return std::nullopt;
                r.instance = inst;
                next = c;
                break;
            }
            if (n.segment == seg) {
                next = c;
                break;
            }
        }
        if (next < 0) return std::nullopt;
        r.node = next;
        const bool last = rest.empty();
        const bool is_param = tree[next].kind == TreeNode::Kind::param;
        if (is_param && !(last && dot == std::string_view::npos)) return std::nullopt;
        if (!is_param && last && !object) return std::nullopt;
    }
    if (object != (tree[r.node].kind != TreeNode::Kind::param)) return std::nullopt;
    return r;
}

std::string instance_path(std::string_view template_path, std::uint32_t instance) {
    std::string s(template_path);
    if (auto pos = s.find("{i}"); pos != std::string::npos) s.replace(pos, 3, std::to_string(instance));
    return s;
}

int row_node_of(const Table& t, int node) {
    for (int n = node; n >= 0; n = t.tree()[n].parent)
        if (t.tree()[n].kind == TreeNode::Kind::row) return n;
    return -1;
}

}  // namespace mapping
