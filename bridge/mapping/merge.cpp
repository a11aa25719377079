#include "bridge/mapping/merge.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mapping {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxIncludeDepth = 8;

// Replaces or appends entry `key` of map m with value v.
void put(YNode& m, const YNode& key, const YNode& v) {
    for (auto& [k, old] : m.entries)
        if (k.is_scalar() && key.is_scalar() && k.text == key.text) {
            old = v;
            return;
        }
    m.entries.emplace_back(key, v);
}

// Map merge one level deep: entries of `over` replace those of `base`;
// nested maps named in `deep` merge one more level.
void merge_map(YNode& base, const YNode& over, const std::vector<std::string_view>& deep = {}) {
    if (!base.is_map() || !over.is_map()) {
        base = over;
        return;
    }
    for (const auto& [k, v] : over.entries) {
        YNode* existing = k.is_scalar() ? base.get(k.text) : nullptr;
        if (existing && existing->is_map() && v.is_map() &&
            std::find(deep.begin(), deep.end(), k.text) != deep.end()) {
            merge_map(*existing, v);
            continue;
        }
        put(base, k, v);
    }
}

void merge_objects(YNode& base, const YNode& over) {
    if (!base.is_map() || !over.is_map()) {
        base = over;
        return;
    }
    for (const auto& [k, v] : over.entries) {
        YNode* existing = k.is_scalar() ? base.get(k.text) : nullptr;
        if (!existing || !existing->is_map() || !v.is_map()) {
            put(base, k, v);
            continue;
        }
        // Object keys replace one by one; parameters replace one by one.
        merge_map(*existing, v, {"parameters"});
    }
}

bool erase_entry(YNode& m, std::string_view key) {
    if (!m.is_map()) return false;
    auto before = m.entries.size();
    std::erase_if(m.entries, [&](const auto& e) { return e.first.is_scalar() && e.first.text == key; });
    return m.entries.size() != before;
}

// `remove:` one entry: an object path (with everything below), a parameter
// path, events.NAME, unmapped.NAME, rpc.NAME, rpc.Download.<FileType>, faults.<ctx>.<code>.
bool remove_target(YNode& doc, std::string_view target) {
    auto section = [&](std::string_view name) { return doc.get(name); };
    for (std::string_view sec : {"events.", "unmapped.", "rpc.", "faults."}) {
        if (target.rfind(sec, 0) != 0) continue;
        YNode* m = section(sec.substr(0, sec.size() - 1));
        if (!m) return false;
        std::string_view rest = target.substr(sec.size());
        if (sec == "rpc." || sec == "faults.") {
            auto dot = rest.find('.');
            if (dot != std::string_view::npos) {
                YNode* inner = m->get(rest.substr(0, dot));
                return inner && erase_entry(*inner, rest.substr(dot + 1));
            }
        }
        return erase_entry(*m, rest);
    }
    YNode* objects = section("objects");
    if (!objects || !objects->is_map()) return false;
    if (!target.empty() && target.back() == '.') {
        auto before = objects->entries.size();
        std::erase_if(objects->entries,
                      [&](const auto& e) { return e.first.is_scalar() && e.first.text.rfind(target, 0) == 0; });
        return objects->entries.size() != before;
    }
    auto dot = target.rfind('.');
    if (dot == std::string_view::npos) return false;
    YNode* obj = objects->get(target.substr(0, dot + 1));
    YNode* params = obj ? obj->get("parameters") : nullptr;
    return params && erase_entry(*params, target.substr(dot + 1));
}

struct Loader {
    Diagnostics& diags;
    std::vector<std::string> stack;  // canonical paths being loaded (cycle check)
    std::vector<std::string> texts;

    void error(const SourcePos& p, std::string msg, std::string hint = {}) {
        diags.push_back({p, std::move(msg), std::move(hint)});
    }

    std::optional<YNode> load(const std::string& file, const std::optional<std::string_view>& given, const SourcePos& from) {
        std::string text;
        if (given) {
            text = std::string(*given);
        } else {
            std::ifstream in(file, std::ios::binary);
            if (!in) {
                error(from.file.empty() ? SourcePos{file, 1, 1} : from, "cannot open mapping file '" + file + "'");
                return std::nullopt;
            }
            std::stringstream ss;
            ss << in.rdbuf();
            text = ss.str();
        }
        texts.push_back(text);
        Diagnostic perr;
        auto parsed = parse_yaml(text, file, perr);
        if (!parsed) {
            diags.push_back(std::move(perr));
            return std::nullopt;
        }
        YNode doc = std::move(*parsed);
        if (doc.is_null()) {
            error(doc.pos, "the mapping file is empty", "start with 'model: InternetGatewayDevice:1.4'");
            return std::nullopt;
        }
        if (!doc.is_map()) {
            error(doc.pos, "a mapping table is a YAML map, not " + std::string(doc.kind_name()),
                  "start with 'model: InternetGatewayDevice:1.4'");
            return std::nullopt;
        }
        const YNode* inc = doc.get("include");
        if (!inc) return doc;

        std::vector<const YNode*> names;
        if (inc->is_scalar()) names.push_back(inc);
        else if (inc->is_seq())
            for (const auto& i : inc->items) names.push_back(&i);
        else error(inc->pos, "'include' must name a file or a list of files");

        std::optional<YNode> acc;
        for (const YNode* n : names) {
            if (!n->is_scalar() || n->text.empty()) {
                error(n->pos, "'include' entries are file names");
                continue;
            }
            fs::path p = fs::path(n->text).is_absolute() ? fs::path(n->text) : fs::path(file).parent_path() / n->text;
            std::error_code ec;
            std::string canon = fs::weakly_canonical(p, ec).string();
            if (std::find(stack.begin(), stack.end(), canon) != stack.end()) {
                error(n->pos, "include cycle: '" + n->text + "' includes itself (directly or indirectly)");
                continue;
            }
            if (static_cast<int>(stack.size()) >= kMaxIncludeDepth) {
                error(n->pos, "includes nested more than " + std::to_string(kMaxIncludeDepth) + " deep");
                continue;
            }
            stack.push_back(canon);
            auto base = load(p.lexically_normal().string(), std::nullopt, n->pos);
            stack.pop_back();
            if (!base) continue;
            if (!acc) acc = std::move(*base);
            else merge_tables(*acc, *base);
        }
        if (!acc) {  // the include failed (already reported): check the rest of the file anyway
            erase_entry(doc, "include");
            erase_entry(doc, "remove");
            return doc;
        }

        if (const YNode* rm = doc.get("remove")) {
            if (!rm->is_seq()) {
                error(rm->pos, "'remove' is a list of paths", "remove: [InternetGatewayDevice.DeviceInfo.X_EXAMPLE-COM_Foo]");
            } else {
                for (const auto& r : rm->items) {
                    if (!r.is_scalar() || !remove_target(*acc, r.text))
                        error(r.pos, "remove: nothing named '" + (r.is_scalar() ? r.text : std::string("?")) +
                                         "' in the included tables",
                              "name an object path (ending in '.'), a parameter path, events.NAME, unmapped.NAME, rpc.NAME, "
                              "rpc.Download.<FileType> or faults.<context>.<code>");
                }
            }
        }
        YNode own = doc;
        erase_entry(own, "include");
        erase_entry(own, "remove");
        merge_tables(*acc, own);
        return acc;
    }
};

}  // namespace

void merge_tables(YNode& base, const YNode& over) {
    if (!base.is_map() || !over.is_map()) {
        base = over;
        return;
    }
    for (const auto& [k, v] : over.entries) {
        if (!k.is_scalar()) {
            base.entries.emplace_back(k, v);
            continue;
        }
        YNode* existing = base.get(k.text);
        if (!existing) {
            base.entries.emplace_back(k, v);
        } else if (k.text == "objects") {
            merge_objects(*existing, v);
        } else if (k.text == "rpc") {
            merge_map(*existing, v, {"Download", "Upload"});
        } else if (k.text == "faults") {
            merge_map(*existing, v, {"default", "get", "set", "rpc", "download", "upload", "notify", "object"});
        } else if (k.text == "catalogue" && existing->is_map() && v.is_map()) {
            for (const auto& [fk, fv] : v.entries) {
                YNode* fn = fk.is_scalar() ? existing->get(fk.text) : nullptr;
                if (fn && fn->is_map() && fv.is_map()) merge_map(*fn, fv, {"request", "response"});
                else put(*existing, fk, fv);
            }
        } else if (k.text == "reverse") {
            merge_map(*existing, v, {"fields", "unsupported"});
        } else if (k.text == "events" || k.text == "mounts" || k.text == "unmapped") {
            merge_map(*existing, v);
        } else {
            *existing = v;
        }
    }
}

std::optional<MergedDocument> load_document(const std::string& file, const std::optional<std::string_view>& text,
                                            Diagnostics& diags) {
    Loader l{diags, {}, {}};
    std::error_code ec;
    l.stack.push_back(fs::weakly_canonical(file, ec).string());
    auto doc = l.load(file, text, SourcePos{});
    if (!doc) return std::nullopt;
    return MergedDocument{std::move(*doc), std::move(l.texts)};
}

}  // namespace mapping
