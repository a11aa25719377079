// Compiler: the table as a whole (model, data model files, catalogue
// extensions, fault overrides) and the presented tree.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>

#include "bridge/mapping/compile.hpp"
#include "bridge/mapping/digest.hpp"
#include "bridge/mapping/reverse_mapping.hpp"

namespace mapping {
namespace {

namespace fs = std::filesystem;

std::pair<int, int> version_of(std::string_view v) {
    int major = 0, minor = 0;
    auto dot = v.find('.');
    std::from_chars(v.data(), v.data() + (dot == std::string_view::npos ? v.size() : dot), major);
    if (dot != std::string_view::npos) std::from_chars(v.data() + dot + 1, v.data() + v.size(), minor);
    return {major, minor};
}

bool valid_version(std::string_view v) {
    auto dot = v.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == v.size()) return false;
    for (char c : v)
        if (c != '.' && (c < '0' || c > '9')) return false;
    return v.find('.', dot + 1) == std::string_view::npos;
}

std::optional<cmp::Type> type_from(std::string_view n) {
    for (auto t : {cmp::Type::String, cmp::Type::Int, cmp::Type::UnsignedInt, cmp::Type::UnsignedLong,
                   cmp::Type::Boolean, cmp::Type::DateTime})
        if (cmp::to_string(t) == n) return t;
    return std::nullopt;
}

std::mutex& cache_mutex() {
    static std::mutex m;
    return m;
}

// Data model files are read once per process and shared by every table that
// names them (tables are loaded per gateway mapping and again on reload).
// The key includes size and modification time, so an edited file is re-read.
std::shared_ptr<const datamodel::Model> cached_model(const std::string& path, std::string& key, std::string& why) {
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
    key = path + "#" + std::to_string(size) + "#" + std::to_string(mtime);
    static std::map<std::string, std::shared_ptr<const datamodel::Model>> cache;
    std::lock_guard lock(cache_mutex());
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    auto model = datamodel::Model::load(path);
    if (!model) {
        why = model.error().message;
        return nullptr;
    }
    auto shared = std::make_shared<const datamodel::Model>(std::move(*model));
    cache.emplace(key, shared);
    return shared;
}

std::shared_ptr<const datamodel::Model> cached_combination(
    const std::string& key, const std::function<std::shared_ptr<const datamodel::Model>()>& build) {
    static std::map<std::string, std::shared_ptr<const datamodel::Model>> cache;
    {
        std::lock_guard lock(cache_mutex());
        if (auto it = cache.find(key); it != cache.end()) return it->second;
    }
    auto m = build();
    if (!m) return nullptr;
    std::lock_guard lock(cache_mutex());
    return cache.emplace(key, m).first->second;
}

// <dir of this executable>/../share/cmp-cwmp-bridge/datamodels, when it exists.
std::string installed_model_dir() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    fs::path d = exe.parent_path().parent_path() / "share" / "cmp-cwmp-bridge" / "datamodels";
    return fs::is_directory(d, ec) ? d.string() : std::string();
}

}  // namespace

std::string xsd_of(const datamodel::ParamType& t) { return t.xsd_type(); }

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

bool is_number_segment(std::string_view s) {
    if (s.empty() || s.size() > 9) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < path.size()) {
        auto dot = path.find('.', start);
        if (dot == std::string_view::npos) {
            out.emplace_back(path.substr(start));
            break;
        }
        out.emplace_back(path.substr(start, dot - start));
        start = dot + 1;
    }
    return out;
}

Compiler::Compiler(const LoadOptions& opt, Diagnostics& diags, std::string top_file)
    : opt_(opt), d_(diags), top_file_(std::move(top_file)) {}

void Compiler::error(const SourcePos& p, std::string msg, std::string hint) {
    d_.push_back({p, std::move(msg), std::move(hint)});
}

const std::string* Compiler::text(const YNode* n, std::string_view what) {
    if (!n) return nullptr;
    if (!n->is_scalar()) {
        error(n->pos, std::string(what) + " must be a single value, not " + std::string(n->kind_name()));
        return nullptr;
    }
    return &n->text;
}

void Compiler::check_keys(const YNode& map, std::initializer_list<std::string_view> known, std::string_view where) {
    std::set<std::string_view> seen;
    for (const auto& [k, v] : map.entries) {
        if (!k.is_scalar()) {
            error(k.pos, "keys of " + std::string(where) + " are names, not " + std::string(k.kind_name()));
            continue;
        }
        if (std::find(known.begin(), known.end(), k.text) == known.end()) {
            std::string list;
            for (auto n : known) list += (list.empty() ? "" : ", ") + std::string(n);
            error(k.pos, "unknown key '" + k.text + "' in " + std::string(where), "known keys: " + list);
        } else if (!seen.insert(k.text).second) {
            error(k.pos, "duplicate key '" + k.text + "' in " + std::string(where));
        }
    }
}

std::shared_ptr<Table> Compiler::run(const YNode& doc, const std::vector<std::string>& texts) {
    t_ = std::make_shared<Table>();
    t_->name_ = fs::path(top_file_).filename().string();
    std::string all;
    for (const auto& s : texts) all += s;
    t_->hash_ = sha256_hex(all);
    check_keys(doc, {"model", "datamodel", "mounts", "vendor_prefix", "catalogue", "faults", "objects", "events", "rpc",
                     "unmapped", "reverse", "description"},
               "the table");
    if (!load_models(doc)) return nullptr;
    if (const YNode* vp = doc.get("vendor_prefix")) {
        if (const std::string* v = text(vp, "vendor_prefix")) {
            // TR-106 3.3: X_<OUI or upper-case domain with '-' for '.'>_
            bool ok = v->size() > 3 && v->rfind("X_", 0) == 0 && v->back() == '_';
            for (std::size_t i = 2; ok && i + 1 < v->size(); ++i) {
                char c = (*v)[i];
                ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            }
            if (!ok)
                error(vp->pos, "vendor_prefix '" + *v + "' is not X_<VENDOR>_",
                      "TR-106: X_ + a 6-digit upper-case OUI or an upper-case domain name with '-' for '.', + '_', "
                      "e.g. X_00D09E_ or X_EXAMPLE-COM_");
            else t_->vendor_prefix_ = *v;
        }
    }
    load_catalogue(doc.get("catalogue"));
    load_faults(doc.get("faults"));
    load_objects(doc.get("objects"));
    build_tree();
    load_events(doc.get("events"));
    load_rpc(doc.get("rpc"));
    load_unmapped(doc.get("unmapped"));  // last: it checks against every rule
    // Names checked here (a typo is never ignored); invertibility only by the reverse validator.
    if (const YNode* rv = doc.get("reverse")) {
        t_->reverse_source_ = *rv;
        check_reverse_section(t_, *rv, d_);
    }
    if (!d_.empty()) return nullptr;
    return t_;
}

bool Compiler::load_models(const YNode& doc) {
    const YNode* m = doc.get("model");
    if (!m) {
        error(doc.pos, "missing 'model'", "e.g. 'model: InternetGatewayDevice:1.4' or 'model: Device:1.3'");
        return false;
    }
    const std::string* mv = text(m, "model");
    if (!mv) return false;
    auto colon = mv->find(':');
    if (colon == std::string::npos || colon == 0 || !valid_version(mv->substr(colon + 1))) {
        error(m->pos, "model '" + *mv + "' is not NAME:MAJOR.MINOR", "e.g. InternetGatewayDevice:1.4");
        return false;
    }
    t_->model_ = *mv;
    model_name_ = mv->substr(0, colon);
    t_->root_ = model_name_ + ".";
    const std::string version = mv->substr(colon + 1);

    std::vector<std::string> dirs = opt_.model_dirs;
    if (dirs.empty()) {
        if (const char* env = std::getenv("BRIDGE_DATAMODELS"); env && *env) dirs.push_back(env);
        fs::path here = fs::path(top_file_).parent_path();
        dirs.push_back((here / ".." / "datamodels").string());
        dirs.push_back(here.empty() ? "." : here.string());
        // The installed layout (<prefix>/bin, <prefix>/share/cmp-cwmp-bridge/datamodels), wherever the
        // prefix is: an operator's own table in /etc still finds the shipped models. The build tree
        // mirrors it with a link (cmake/BridgeInstall.cmake), so nothing depends on where the sources were.
        if (auto d = installed_model_dir(); !d.empty()) dirs.push_back(d);
    }
    auto locate = [&](const std::string& name) -> std::string {
        for (const auto& d : dirs) {
            std::error_code ec;
            fs::path p = fs::path(d) / name;
            if (fs::is_regular_file(p, ec)) return p.string();
        }
        return {};
    };
    // Returns the model and a key naming its file's content version.
    auto load = [&](const std::string& name, const SourcePos& pos,
                    std::string& key) -> std::shared_ptr<const datamodel::Model> {
        if (name.find('/') != std::string::npos || name.find("..") != std::string::npos) {
            error(pos, "data model '" + name + "' must be a file name under datamodels/");
            return nullptr;
        }
        std::string path = locate(name);
        if (path.empty()) {
            std::set<std::string> files;
            for (const auto& d : dirs) {
                std::error_code ec;
                for (auto& e : fs::directory_iterator(d, ec))
                    if (e.path().extension() == ".dm") files.insert(e.path().filename().string());
                if (!files.empty()) break;
            }
            std::string avail, searched;
            for (const auto& f : files) avail += (avail.empty() ? "" : ", ") + f;
            for (const auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
            // No model at all means the folder is missing, not that the table names the wrong one.
            if (avail.empty())
                error(pos, "no data model file '" + name + "'",
                      "no datamodels/ folder found (searched: " + searched +
                          "); install the shipped datamodels/ or name the folder with --datamodels DIR or "
                          "BRIDGE_DATAMODELS");
            else
                error(pos, "no data model file '" + name + "'",
                      "name one with 'datamodel:' (available: " + avail +
                          "); docs/mapping.md explains how an IGD:1.4 table is checked against 1.1");
            return nullptr;
        }
        std::string why;
        auto model = cached_model(path, key, why);
        if (!model) error(pos, "cannot load data model '" + name + "': " + why);
        return model;
    };

    const YNode* dm = doc.get("datamodel");
    SourcePos dm_pos = dm ? dm->pos : m->pos;
    std::string file = model_name_ + "-" + version + ".dm";
    if (dm) {
        const std::string* f = text(dm, "datamodel");
        if (!f) return false;
        file = *f;
    }
    std::string key;
    auto facts = load(file, dm_pos, key);
    if (!facts) return false;
    model_file_ = file;
    t_->model_files_.push_back(file);
    const std::string& fname = facts->name();
    auto fcolon = fname.find(':');
    if (fname.substr(0, fcolon) != model_name_) {
        error(dm_pos, "data model '" + file + "' is " + fname + ", not a " + model_name_ + " model");
        return false;
    }
    if (fcolon != std::string::npos && version_of(fname.substr(fcolon + 1)) > version_of(version)) {
        error(dm_pos, "data model '" + file + "' (" + fname + ") is newer than the presented " + t_->model_,
              "checking against a newer model would accept items " + t_->model_ + " does not have");
        return false;
    }
    t_->facts_ = facts;

    if (const YNode* mounts = doc.get("mounts")) {
        if (!mounts->is_map()) {
            error(mounts->pos, "'mounts' maps an object path to a data model file",
                  "mounts: { " + t_->root_ + "Services.StorageService.{i}.: StorageService-1.0.dm }");
        } else {
            std::vector<std::pair<std::string, std::shared_ptr<const datamodel::Model>>> services;
            std::vector<const YNode*> keys;
            for (const auto& [k, v] : mounts->entries) {
                const std::string* f = text(&v, "a mount");
                if (!f || !k.is_scalar()) continue;
                if (k.text.rfind(t_->root_, 0) != 0 || k.text.back() != '.') {
                    error(k.pos, "mount point '" + k.text + "' must be an object path under " + t_->root_);
                    continue;
                }
                std::string skey;
                auto service = load(*f, v.pos, skey);
                if (!service) continue;
                key += "|" + k.text + "=" + skey;
                services.emplace_back(k.text, service);
                keys.push_back(&k);
                t_->model_files_.push_back(*f);
            }
            if (!services.empty()) {
                // A mounted model is built once per combination, like a loaded one.
                t_->facts_ = cached_combination(key, [&]() -> std::shared_ptr<const datamodel::Model> {
                    auto m = std::make_shared<datamodel::Model>(*facts);
                    for (std::size_t i = 0; i < services.size(); ++i)
                        if (auto st = m->mount(*services[i].second, services[i].first); !st) {
                            error(keys[i]->pos, "cannot mount at '" + services[i].first + "': " + st.error().message);
                            return nullptr;
                        }
                    return m;
                });
                if (!t_->facts_) return false;
            }
        }
    }
    int i = 0;
    for (const auto& n : t_->facts_->nodes()) model_index_.emplace(n.path, i++);
    return true;
}

void Compiler::load_catalogue(const YNode* n) {
    std::vector<cmp::FunctionSpec> fns = cmp::Catalogue::builtin().functions();
    if (n && !n->is_map()) error(n->pos, "'catalogue' maps CMP function names to their fields");
    if (n && n->is_map()) {
        // Field declarations: "name: type" or "name: { list: { item fields } }".
        std::function<void(const YNode&, std::vector<cmp::FieldSpec>&, int)> fields =
            [&](const YNode& m, std::vector<cmp::FieldSpec>& out, int depth) {
                if (!m.is_map()) {
                    error(m.pos, "fields are a map of name: type");
                    return;
                }
                for (const auto& [k, v] : m.entries) {
                    cmp::FieldSpec f;
                    f.name = k.text;
                    if (!cmp::is_valid_name(f.name)) {
                        error(k.pos, "'" + k.text + "' is not a valid CMP field name");
                        continue;
                    }
                    if (v.is_map() && v.get("list") && depth < 4) {
                        f.type = cmp::Type::List;
                        fields(*v.get("list"), f.item_fields, depth + 1);
                        if (f.item_fields.empty()) error(v.pos, "a list needs item fields");
                    } else if (auto t = v.is_scalar() ? type_from(v.text) : std::nullopt) {
                        f.type = *t;
                    } else {
                        error(v.pos, "unknown CMP field type", "string, int, unsignedInt, unsignedLong, boolean, "
                                                               "dateTime or { list: { field: type, ... } }");
                        continue;
                    }
                    auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.name == f.name; });
                    if (it != out.end()) *it = std::move(f);
                    else out.push_back(std::move(f));
                }
            };
        for (const auto& [k, v] : n->entries) {
            if (!k.is_scalar() || !cmp::is_valid_name(k.text)) {
                error(k.pos, "'" + k.text + "' is not a valid CMP function name");
                continue;
            }
            if (!v.is_map()) {
                error(v.pos, "a catalogue entry is a map (direction, request, response)");
                continue;
            }
            check_keys(v, {"direction", "request", "response"}, "catalogue entry " + k.text);
            auto it = std::find_if(fns.begin(), fns.end(), [&](const auto& f) { return f.name == k.text; });
            if (it == fns.end()) {
                cmp::FunctionSpec f;
                f.name = k.text;
                f.idempotent = f.name.rfind("get", 0) == 0;
                fns.push_back(std::move(f));
                it = fns.end() - 1;
            }
            if (const YNode* dir = v.get("direction")) {
                if (dir->is_scalar() && dir->text == "to_gateway") it->direction = cmp::Direction::to_gateway;
                else if (dir->is_scalar() && dir->text == "from_gateway") it->direction = cmp::Direction::from_gateway;
                else error(dir->pos, "direction is to_gateway or from_gateway");
            }
            if (const YNode* rq = v.get("request")) fields(*rq, it->request, 0);
            if (const YNode* rs = v.get("response")) fields(*rs, it->response, 0);
        }
    }
    try {
        t_->catalogue_ = std::make_shared<cmp::Catalogue>(std::move(fns));
    } catch (const std::exception& e) {
        error(n ? n->pos : SourcePos{top_file_, 1, 1}, std::string("bad catalogue extension: ") + e.what());
        t_->catalogue_ = std::shared_ptr<const cmp::Catalogue>(&cmp::Catalogue::builtin(), [](const cmp::Catalogue*) {});
    }
}

void Compiler::load_faults(const YNode* n) {
    if (!n) return;
    if (!n->is_map()) {
        error(n->pos, "'faults' maps a context (default, get, set, rpc, download, upload, notify, object) to "
                      "resultCode: CWMP fault code entries");
        return;
    }
    for (const auto& [ctx, codes] : n->entries) {
        std::optional<FaultContext> c;
        if (ctx.text != "default") {
            c = fault_context_from(ctx.text);
            if (!c) {
                error(ctx.pos, "unknown fault context '" + ctx.text + "'",
                      "default, get, set, rpc, download, upload, notify or object");
                continue;
            }
        }
        if (!codes.is_map()) {
            error(codes.pos, "fault entries are resultCode: fault code", "e.g. { invalid_argument: 9007, busy: 9002 }");
            continue;
        }
        for (const auto& [rk, fv] : codes.entries) {
            auto code = rk.is_scalar() ? result_code_from(rk.text) : std::nullopt;
            if (!code) {
                error(rk.pos, "unknown CMP resultCode '" + rk.text + "'",
                      "a number or a name such as invalid_argument, busy, not_supported");
                continue;
            }
            unsigned fault = 0;
            auto [p, ec] = std::from_chars(fv.text.data(), fv.text.data() + fv.text.size(), fault);
            if (!fv.is_scalar() || ec != std::errc() || p != fv.text.data() + fv.text.size() || fault < 9000 ||
                fault > 9899) {
                error(fv.pos, "'" + fv.text + "' is not a CWMP fault code", "9000-9899 (TR-069 A.5.1)");
                continue;
            }
            t_->faults_.set(c, *code, fault);
        }
    }
}

int Compiler::model_order(const std::string& template_path) const {
    if (auto it = model_index_.find(template_path); it != model_index_.end()) return it->second;
    return -1;
}

int Compiler::tree_insert(const std::string& path, const SourcePos& pos) {
    auto& tree = t_->tree_;
    const bool object = !path.empty() && path.back() == '.';
    auto segs = split_path(object ? std::string_view(path).substr(0, path.size() - 1) : std::string_view(path));
    int cur = 0;
    std::string prefix = tree[0].path;
    for (std::size_t i = 1; i < segs.size(); ++i) {
        const bool leaf = i + 1 == segs.size();
        const bool is_param = leaf && !object;
        std::string np = prefix + segs[i] + (is_param ? "" : ".");
        int found = -1;
        for (int c : tree[cur].children)
            if (tree[c].segment == segs[i]) found = c;
        if (found >= 0) {
            if ((tree[found].kind == TreeNode::Kind::param) != is_param) {
                error(pos, "'" + np + "' is used both as an object and as a parameter");
                return -1;
            }
            cur = found;
            prefix = np;
            continue;
        }
        TreeNode n;
        n.path = np;
        n.segment = segs[i];
        n.parent = cur;
        const bool instance = is_number_segment(segs[i]) || segs[i] == "{i}";
        if (is_param) n.kind = TreeNode::Kind::param;
        else if (instance) n.kind = segs[i] == "{i}" ? TreeNode::Kind::row : TreeNode::Kind::fixed_instance;
        if (instance) {
            if (tree[cur].kind == TreeNode::Kind::object && !tree[cur].children.empty()) {
                error(pos, "'" + tree[cur].path + "' has both instances and named children");
                return -1;
            }
            for (int c : tree[cur].children)
                if ((tree[c].kind == TreeNode::Kind::row) != (n.kind == TreeNode::Kind::row)) {
                    error(pos, "'" + tree[cur].path + "' mixes fixed instances and rows from a list",
                          "a table is either fixed instances (1., 2.) or {i}. rows");
                    return -1;
                }
            tree[cur].kind = TreeNode::Kind::table;
        } else if (tree[cur].kind == TreeNode::Kind::table) {
            error(pos, "'" + tree[cur].path + "' is a table: its children are instance numbers, not '" + segs[i] + "'");
            return -1;
        }
        std::string tmpl = datamodel::normalise_path(np);
        // Even keys; odd ones are left for vendor NumberOfEntries (before their table).
        int order = instance ? (segs[i] == "{i}" ? 0 : std::stoi(segs[i])) : model_order(tmpl);
        if (order < 0) order = 1'000'000 + vendor_seq_++;
        order *= 2;
        tree.push_back(std::move(n));
        int idx = static_cast<int>(tree.size()) - 1;
        node_seq_[idx] = order;
        tree[cur].children.push_back(idx);
        cur = idx;
        prefix = np;
    }
    return cur;
}

}  // namespace mapping
