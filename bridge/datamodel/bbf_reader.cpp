#include "bridge/datamodel/bbf_reader.hpp"

#include <tinyxml2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace datamodel::bbf {
namespace {

using tinyxml2::XMLElement;
using Entities = std::unordered_map<std::string, std::string>;

// BBF files are trusted local inputs, but tr-106-types.xml is up to 1.2 MB and
// some use a DOCTYPE, so the project's bounded soap::parse does not fit here.
constexpr std::size_t kMaxXmlBytes = 16u << 20;

struct Doc {
    std::string file;  // base name
    std::string dir;
    std::unique_ptr<tinyxml2::XMLDocument> xml;
    Entities entities;
};

std::string_view local(const char* qname) {
    std::string_view n(qname ? qname : "");
    auto c = n.find(':');
    return c == std::string_view::npos ? n : n.substr(c + 1);
}

std::string_view attr(const XMLElement* e, const char* name) {
    const char* v = e->Attribute(name);
    return v ? std::string_view(v) : std::string_view{};
}

// "version" or any prefix's "version" (dmr:version in older files).
const XMLElement* first_child(const XMLElement* e, std::string_view name) {
    for (auto* c = e->FirstChildElement(); c; c = c->NextSiblingElement())
        if (local(c->Name()) == name) return c;
    return nullptr;
}

// Bounds beyond int64 only occur as an unsignedLong's own maximum: treat as open.
std::optional<int64_t> bound(const XMLElement* e, const char* name) {
    std::string_view v = attr(e, name);
    int64_t x = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), x);
    if (v.empty() || r.ec != std::errc{}) return std::nullopt;
    return x;
}

// Range bounds are kept as integers: a decimal bound ("0.5") would be cut to
// 0 and check the wrong values, so it is refused rather than read.
bool integral_bound(const XMLElement* e, const char* name) {
    std::string_view v = attr(e, name);
    if (v.empty()) return true;
    int64_t x = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), x);
    return r.ec == std::errc{} && r.ptr == v.data() + v.size();
}

// Names are trimmed: TR-157 issue 1 has "UPnPQoSDevice " and TR-098 1.8
// "Queueing ", errata that later issues fixed, and no CWMP path holds spaces.
std::string name_of(const XMLElement* e) {
    std::string_view n = attr(e, "name");
    while (!n.empty() && std::isspace(static_cast<unsigned char>(n.front()))) n.remove_prefix(1);
    while (!n.empty() && std::isspace(static_cast<unsigned char>(n.back()))) n.remove_suffix(1);
    return std::string(n);
}

bool valid_name(std::string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '{' || c == '}';
    });
}

std::string_view version_of(const XMLElement* e) {
    for (auto* a = e->FirstAttribute(); a; a = a->Next())
        if (local(a->Name()) == "version") return a->Value();
    return {};
}

// tr-106-types.xml declares regex fragments (&octet; ...) in its DOCTYPE.
// tinyxml2 leaves unknown references as text, so we blank the DOCTYPE out,
// keep its literal internal entities and substitute them ourselves.
Entities strip_doctype(std::string& text) {
    Entities out;
    auto start = text.find("<!DOCTYPE");
    if (start == std::string::npos) return out;
    auto open = text.find('[', start), gt = text.find('>', start);
    std::size_t end = gt;
    if (open != std::string::npos && open < gt) {
        // The subset ends at the first ']' outside a quoted literal (entity
        // values are regexes full of brackets).
        std::size_t close = open + 1;
        for (char quote = 0; close < text.size(); ++close) {
            char c = text[close];
            if (quote) {
                if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == ']') {
                break;
            }
        }
        if (close >= text.size()) close = std::string::npos;
        end = close == std::string::npos ? std::string::npos : text.find('>', close);
        std::string_view subset(text.data() + open + 1, (close == std::string::npos ? text.size() : close) - open - 1);
        for (std::size_t p = subset.find("<!ENTITY"); p != std::string_view::npos;
             p = subset.find("<!ENTITY", p + 1)) {
            std::size_t q = p + 8;
            while (q < subset.size() && subset[q] == ' ') ++q;
            std::size_t name_end = subset.find_first_of(" \t\r\n", q);
            if (name_end == std::string_view::npos || subset[q] == '%') continue;  // parameter entity
            std::size_t quote = subset.find_first_of("\"'", name_end);
            if (quote == std::string_view::npos) break;
            std::size_t qend = subset.find(subset[quote], quote + 1);
            if (qend == std::string_view::npos) break;
            out[std::string(subset.substr(q, name_end - q))] = std::string(subset.substr(quote + 1, qend - quote - 1));
        }
    }
    if (end == std::string::npos) end = text.size() - 1;
    for (std::size_t i = start; i <= end; ++i)
        if (text[i] != '\n') text[i] = ' ';
    return out;
}

std::string expand(std::string_view v, const Entities& ents) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '&') {
            auto semi = v.find(';', i);
            if (semi != std::string_view::npos) {
                auto it = ents.find(std::string(v.substr(i + 1, semi - i - 1)));
                if (it != ents.end()) {
                    out += it->second;
                    i = semi;
                    continue;
                }
            }
        }
        out.push_back(v[i]);
    }
    return out;
}

core::Result<std::unique_ptr<Doc>> parse_doc(std::string text, const std::string& path) {
    if (text.size() > kMaxXmlBytes) return core::make_error("bbf.too_large", path + " exceeds 16 MiB");
    auto d = std::make_unique<Doc>();
    std::filesystem::path p(path);
    d->file = p.filename().string();
    d->dir = p.parent_path().string();
    d->entities = strip_doctype(text);
    d->xml = std::make_unique<tinyxml2::XMLDocument>(true, tinyxml2::PRESERVE_WHITESPACE);
    if (d->xml->Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS)
        return core::make_error("bbf.xml", path + ": " + (d->xml->ErrorStr() ? d->xml->ErrorStr() : "malformed XML"));
    auto* root = d->xml->RootElement();
    if (!root || local(root->Name()) != "document")
        return core::make_error("bbf.xml", path + ": not a cwmp-datamodel document");
    return d;
}

core::Result<std::string> slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::make_error("bbf.io", "cannot open " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int compare_versions(std::string_view a, std::string_view b) {
    auto part = [](std::string_view& s) {
        unsigned v = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        s.remove_prefix(static_cast<std::size_t>(r.ptr - s.data()));
        if (!s.empty() && s.front() == '.') s.remove_prefix(1);
        return v;
    };
    while (!a.empty() || !b.empty()) {
        unsigned x = part(a), y = part(b);
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

struct TypeDef {
    const XMLElement* e;
    const Doc* doc;
};

class Reader {
public:
    explicit Reader(const ReadOptions& o) : opts_(o) {}

    core::Status add_types(const Doc& d, int depth);
    core::Result<ReadResult> read_model(const Doc& d);

private:
    bool keep(std::string_view version) const {
        return opts_.version.empty() || version.empty() || compare_versions(version, opts_.version) <= 0;
    }
    core::Status facets(const XMLElement* el, const Doc& d, ParamType& t) const;
    core::Result<ParamType> resolve(const std::string& name, int depth) const;
    core::Result<Node> parameter(const XMLElement* p, const Doc& d, const std::string& object) const;

    const ReadOptions& opts_;
    std::map<std::string, TypeDef> types_;  // first definition wins: the model file's own
    std::vector<std::unique_ptr<Doc>> imported_;
};

core::Status Reader::add_types(const Doc& d, int depth) {
    if (depth > 4) return core::make_error("bbf.import", d.file + ": imports nested too deeply");
    for (auto* e = d.xml->RootElement()->FirstChildElement(); e; e = e->NextSiblingElement()) {
        std::string_view tag = local(e->Name());
        if (tag == "dataType" && e->Attribute("name")) {
            types_.emplace(e->Attribute("name"), TypeDef{e, &d});
        } else if (tag == "import" && first_child(e, "dataType")) {
            std::string file = (std::filesystem::path(d.dir) / attr(e, "file")).string();
            auto text = slurp(file);
            if (!text) return text.error();
            auto doc = parse_doc(std::move(text).value(), file);
            if (!doc) return doc.error();
            imported_.push_back(std::move(doc).value());
            if (auto st = add_types(*imported_.back(), depth + 1); !st) return st;
        }
    }
    return core::Ok{};
}

// Facets directly under `el`; a kind given here replaces the inherited one.
core::Status Reader::facets(const XMLElement* el, const Doc& d, ParamType& t) const {
    bool ranges = false, enums = false, patterns = false;
    for (auto* f = el->FirstChildElement(); f; f = f->NextSiblingElement()) {
        if (attr(f, "status") == "deleted" || !keep(version_of(f))) continue;
        std::string_view tag = local(f->Name());
        if (tag == "size") {
            if (f->Attribute("minLength")) t.min_length = f->UnsignedAttribute("minLength");
            if (f->Attribute("maxLength")) t.max_length = f->UnsignedAttribute("maxLength");
        } else if (tag == "range") {
            if (!integral_bound(f, "minInclusive") || !integral_bound(f, "maxInclusive"))
                return core::make_error("bbf.syntax", "range [" + std::string(attr(f, "minInclusive")) + ", " +
                                                          std::string(attr(f, "maxInclusive")) +
                                                          "] has a bound that is not an integer");
            if (!ranges) t.ranges.clear();
            ranges = true;
            Range r;
            r.min = bound(f, "minInclusive");
            r.max = bound(f, "maxInclusive");
            t.ranges.push_back(r);
        } else if (tag == "enumeration") {
            if (!enums) {
                t.enumeration.clear();
                t.readonly_values.clear();
            }
            enums = true;
            std::string v = expand(attr(f, "value"), d.entities);
            if (attr(f, "access") == "readOnly") t.readonly_values.push_back(v);
            t.enumeration.push_back(std::move(v));
        } else if (tag == "pattern") {
            if (!patterns) t.patterns.clear();
            patterns = true;
            t.patterns.push_back(expand(attr(f, "value"), d.entities));
        }
        // units, pathRef, enumerationRef, instanceRef, description: not checked facts.
    }
    t.update_bounds();
    return core::Ok{};
}

core::Result<ParamType> Reader::resolve(const std::string& name, int depth) const {
    auto it = types_.find(name);
    if (it == types_.end()) return core::make_error("bbf.type", "data type \"" + name + "\" is not defined");
    if (depth > 8) return core::make_error("bbf.type", "data type \"" + name + "\" derives too deeply");
    const XMLElement* e = it->second.e;
    ParamType t;
    if (e->Attribute("base")) {
        auto b = resolve(e->Attribute("base"), depth + 1);
        if (!b) return b.error();
        t = std::move(b).value();
        if (auto st = facets(e, *it->second.doc, t); !st) return st.error();
        return t;
    }
    for (auto* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
        if (auto b = base_from_name(local(c->Name()))) {
            t.base = *b;
            if (auto st = facets(c, *it->second.doc, t); !st) return st.error();
            return t;
        }
    }
    return core::make_error("bbf.type", "data type \"" + name + "\" has no base type");
}

core::Result<Node> Reader::parameter(const XMLElement* p, const Doc& d, const std::string& object) const {
    Node n;
    std::string name = name_of(p);
    n.path = object + name;
    if (!valid_name(name) || name.find('.') != std::string::npos)
        return core::make_error("bbf.name", "bad parameter name \"" + n.path + "\"");
    n.writable = attr(p, "access") == "readWrite";
    const XMLElement* syn = first_child(p, "syntax");
    if (!syn) return core::make_error("bbf.syntax", n.path + " has no syntax");
    n.hidden = attr(syn, "hidden") == "true";
    ParamType& t = n.type;
    bool typed = false, list = false;
    std::optional<uint32_t> list_len, list_items;
    for (auto* c = syn->FirstChildElement(); c; c = c->NextSiblingElement()) {
        std::string_view tag = local(c->Name());
        if (tag == "list") {
            list = true;
            if (c->Attribute("maxItems") && attr(c, "maxItems") != "unbounded")
                list_items = c->UnsignedAttribute("maxItems");
            if (auto* s = first_child(c, "size"); s && s->Attribute("maxLength"))
                list_len = s->UnsignedAttribute("maxLength");
        } else if (tag == "dataType") {
            // ref="IPAddress" uses a named type; base="TenthdB" (TR-181 2.x) derives an
            // anonymous one from it in place, whose own facets follow below either way.
            std::string ref(c->Attribute("ref") ? attr(c, "ref") : attr(c, "base"));
            if (ref.empty()) return core::make_error("bbf.syntax", n.path + ": <dataType> names no ref or base type");
            auto r = resolve(ref, 0);
            if (!r) return core::make_error(r.error().code, n.path + ": " + r.error().message);
            t = std::move(r).value();
            t.named = ref;
            if (auto st = facets(c, d, t); !st)
                return core::make_error(st.error().code, n.path + ": " + st.error().message);
            typed = true;
        } else if (auto b = base_from_name(tag)) {
            t.base = *b;
            if (auto st = facets(c, d, t); !st)
                return core::make_error(st.error().code, n.path + ": " + st.error().message);
            typed = true;
        } else if (tag != "default") {
            return core::make_error("bbf.syntax", n.path + ": unsupported syntax <" + std::string(tag) + ">");
        }
    }
    if (!typed) return core::make_error("bbf.syntax", n.path + " has no type");
    t.list = list;
    t.list_max_length = list_len;
    t.list_max_items = list_items;
    return n;
}

std::string parent_object(std::string_view path) {
    if (!path.empty() && path.back() == '.') path.remove_suffix(1);
    if (path.size() >= 4 && path.substr(path.size() - 4) == ".{i}") path.remove_suffix(4);
    auto dot = path.rfind('.');
    return dot == std::string_view::npos ? std::string{} : std::string(path.substr(0, dot + 1));
}

core::Result<ReadResult> Reader::read_model(const Doc& d) {
    const XMLElement* model = nullptr;
    std::vector<std::string> names;
    for (auto* e = d.xml->RootElement()->FirstChildElement(); e; e = e->NextSiblingElement()) {
        if (local(e->Name()) != "model") continue;
        names.emplace_back(attr(e, "name"));
        if (opts_.model.empty() ? !model : names.back() == opts_.model) model = e;
    }
    if (opts_.model.empty() && names.size() > 1) model = nullptr;
    if (!model) {
        std::string all;
        for (auto& n : names) all += (all.empty() ? "" : ", ") + n;
        return core::make_error("bbf.model", d.file + " defines " + (all.empty() ? "no model" : all) +
                                                 (opts_.model.empty() ? "; name one" : ", not " + opts_.model));
    }
    ReadResult out;
    out.name = std::string(attr(model, "name"));
    std::string model_version = out.name.substr(out.name.find(':') + 1);
    if (model->Attribute("base"))
        return core::make_error("bbf.model", out.name + " in " + d.file + " is defined relative to " +
                                                 std::string(attr(model, "base")) +
                                                 "; use the flattened -full.xml file");
    if (!opts_.version.empty() && compare_versions(opts_.version, model_version) > 0)
        return core::make_error("bbf.version", d.file + " defines " + out.name + ", older than " + opts_.version);

    std::unordered_map<std::string, std::string> object_version;
    std::vector<std::string> dropped;  // objects left out, with everything below them
    bool versioned = false;
    auto below_dropped = [&](const std::string& path) {
        return std::any_of(dropped.begin(), dropped.end(),
                           [&](const std::string& p) { return path.compare(0, p.size(), p) == 0; });
    };
    for (auto* o = model->FirstChildElement(); o; o = o->NextSiblingElement()) {
        std::string_view tag = local(o->Name());
        if (tag == "component")
            return core::make_error("bbf.model", out.name + " in " + d.file +
                                                     " uses components; use the flattened -full.xml file");
        if (tag != "object") continue;  // profiles, descriptions; service-level parameters are synthesised by mount
        Node obj;
        obj.path = name_of(o);
        if (!valid_name(obj.path) || obj.path.back() != '.')
            return core::make_error("bbf.name", "bad object name \"" + obj.path + "\"");
        obj.is_object = true;
        std::string ver(version_of(o));
        versioned = versioned || !ver.empty();
        if (ver.empty()) {
            for (std::string p = parent_object(obj.path); !p.empty() && ver.empty(); p = parent_object(p))
                if (auto it = object_version.find(p); it != object_version.end()) ver = it->second;
            // Still empty: nothing says when it came, so every version keeps it.
        }
        object_version[obj.path] = ver;
        if (attr(o, "status") == "deleted" || !keep(ver) || below_dropped(obj.path)) {
            dropped.push_back(obj.path);
            continue;
        }
        obj.writable = attr(o, "access") == "readWrite";
        obj.multi_instance = obj.path.size() >= 4 && obj.path.compare(obj.path.size() - 4, 4, "{i}.") == 0;
        obj.min_entries = o->UnsignedAttribute("minEntries", 1);
        obj.max_entries = attr(o, "maxEntries") == "unbounded" ? kUnbounded : o->UnsignedAttribute("maxEntries", 1);
        obj.num_entries_param = std::string(attr(o, "numEntriesParameter"));
        out.nodes.push_back(obj);
        for (auto* p = o->FirstChildElement(); p; p = p->NextSiblingElement()) {
            if (local(p->Name()) != "parameter") continue;
            std::string_view pver = version_of(p);
            versioned = versioned || !pver.empty();
            if (attr(p, "status") == "deleted" || !keep(pver.empty() ? std::string_view(ver) : pver)) continue;
            auto n = parameter(p, d, obj.path);
            if (!n) return n.error();
            out.nodes.push_back(std::move(n).value());
        }
    }
    if (!opts_.version.empty() && opts_.version != model_version) {
        if (!versioned)
            return core::make_error("bbf.no_versions", d.file + " has no version attributes, so " + out.name +
                                                           " cannot be cut down to version " + opts_.version);
        out.name = out.name.substr(0, out.name.find(':') + 1) + opts_.version;
    }
    return out;
}

core::Result<ReadResult> read_doc(const Doc& d, const ReadOptions& options) {
    Reader r(options);
    // The model file's own definitions first: they are the ones of its issue.
    if (auto st = r.add_types(d, 0); !st) return st.error();
    std::vector<std::unique_ptr<Doc>> extra;
    for (const auto& f : options.type_files) {
        auto text = slurp(f);
        if (!text) return text.error();
        auto doc = parse_doc(std::move(text).value(), f);
        if (!doc) return doc.error();
        extra.push_back(std::move(doc).value());
        if (auto st = r.add_types(*extra.back(), 0); !st) return st.error();
    }
    auto res = r.read_model(d);
    if (!res) return res;
    res->sources.push_back(d.file);
    for (const auto& e : extra) res->sources.push_back(e->file);
    return res;
}

}  // namespace

core::Result<ReadResult> read_text(std::string_view xml, const std::string& source_name, const ReadOptions& options) {
    auto d = parse_doc(std::string(xml), source_name);
    if (!d) return d.error();
    return read_doc(*d.value(), options);
}

core::Result<ReadResult> read_file(const std::string& path, const ReadOptions& options) {
    auto text = slurp(path);
    if (!text) return text.error();
    auto d = parse_doc(std::move(text).value(), path);
    if (!d) return d.error();
    return read_doc(*d.value(), options);
}

core::Result<std::vector<std::string>> list_models(const std::string& path) {
    auto text = slurp(path);
    if (!text) return text.error();
    auto d = parse_doc(std::move(text).value(), path);
    if (!d) return d.error();
    std::vector<std::string> names;
    for (auto* e = d.value()->xml->RootElement()->FirstChildElement("model"); e; e = e->NextSiblingElement("model"))
        names.emplace_back(attr(e, "name"));
    return names;
}

}  // namespace datamodel::bbf
