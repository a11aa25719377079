// The compact, line-oriented form of a model (format in docs/datamodels.md).
// Written by dmgen, read once per model at start-up; byte-stable so that
// regenerating from the same BBF files gives the same bytes.
#include <charconv>
#include <fstream>
#include <sstream>

#include "bridge/datamodel/model.hpp"

namespace datamodel {
namespace {

constexpr std::string_view kMagic = "# dm-format 1";
constexpr std::size_t kMaxFileBytes = 32u << 20;

// Spaces separate fields and commas separate list items, so both (and
// anything non-printable or non-ASCII) are %XX-escaped inside values.
void append_encoded(std::string& out, std::string_view v) {
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : v) {
        if (c <= 0x20 || c >= 0x7F || c == '%' || c == ',') {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
}

std::optional<std::string> decode(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] != '%') {
            out.push_back(v[i]);
            continue;
        }
        if (i + 2 >= v.size()) return std::nullopt;
        unsigned x = 0;
        auto r = std::from_chars(v.data() + i + 1, v.data() + i + 3, x, 16);
        if (r.ec != std::errc{} || r.ptr != v.data() + i + 3) return std::nullopt;
        out.push_back(static_cast<char>(x));
        i += 2;
    }
    return out;
}

void append_list(std::string& out, std::string_view key, const std::vector<std::string>& items) {
    out.push_back(' ');
    out.append(key);
    out.push_back('=');
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out.push_back(',');
        append_encoded(out, items[i]);
    }
}

template <class T>
bool parse_num(std::string_view s, T& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size() && !s.empty();
}

void write_node(std::string& out, const Node& n) {
    out.append(n.path);
    if (n.is_object) {
        out.append(" object - ");
        out.append(n.writable ? "rw" : "ro");
        if (n.min_entries != 1 || n.max_entries != 1) {
            out.append(" entries=").append(std::to_string(n.min_entries)).append("..");
            out.append(n.max_entries == kUnbounded ? "unbounded" : std::to_string(n.max_entries));
        }
        if (!n.num_entries_param.empty()) out.append(" numentries=").append(n.num_entries_param);
        out.push_back('\n');
        return;
    }
    const ParamType& t = n.type;
    out.append(" param ").append(base_name(t.base));
    if (!t.named.empty()) out.append(":").append(t.named);
    out.append(n.writable ? " rw" : " ro");
    if (t.list) out.append(" list");
    if (t.list_max_length) out.append(" listmaxlen=").append(std::to_string(*t.list_max_length));
    if (t.list_max_items) out.append(" listmaxitems=").append(std::to_string(*t.list_max_items));
    std::vector<Range> ranges = t.ranges;
    if (ranges.empty() && (t.min || t.max)) ranges.push_back(Range{t.min, t.max});
    for (const Range& r : ranges) {
        out.append(" range=");
        if (r.min) out.append(std::to_string(*r.min));
        out.append("..");
        if (r.max) out.append(std::to_string(*r.max));
    }
    if (t.min_length) out.append(" minlen=").append(std::to_string(*t.min_length));
    if (t.max_length) out.append(" maxlen=").append(std::to_string(*t.max_length));
    if (!t.enumeration.empty()) append_list(out, "enum", t.enumeration);
    if (!t.readonly_values.empty()) append_list(out, "roenum", t.readonly_values);
    for (const auto& p : t.patterns) {
        out.append(" pattern=");
        append_encoded(out, p);
    }
    if (n.hidden) out.append(" hidden");
    out.push_back('\n');
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
        if (p == std::string_view::npos) return out;
        start = p + 1;
    }
}

// Fills `n` from the fields of one node line; returns "" or what is wrong.
std::string parse_node(std::string_view line, Node& n) {
    auto f = split(line, ' ');
    if (f.size() < 4) return "expected <path> <kind> <type> <access>";
    for (auto tok : f)
        if (tok.empty()) return "empty field (double space?)";
    n.path = std::string(f[0]);
    if (f[3] != "ro" && f[3] != "rw") return "access must be ro or rw";
    n.writable = f[3] == "rw";
    if (f[1] == "object") {
        n.is_object = true;
        if (n.path.back() != '.') return "object path must end in '.'";
        n.multi_instance = n.path.size() >= 4 && n.path.compare(n.path.size() - 4, 4, "{i}.") == 0;
    } else if (f[1] == "param") {
        auto colon = f[2].find(':');
        auto b = base_from_name(f[2].substr(0, colon));
        if (!b) return "unknown type \"" + std::string(f[2]) + "\"";
        n.type.base = *b;
        if (colon != std::string_view::npos) n.type.named = std::string(f[2].substr(colon + 1));
    } else {
        return "kind must be object or param";
    }
    ParamType& t = n.type;
    for (std::size_t i = 4; i < f.size(); ++i) {
        std::string_view tok = f[i];
        auto eq = tok.find('=');
        std::string_view key = tok.substr(0, eq), val = eq == std::string_view::npos ? "" : tok.substr(eq + 1);
        bool ok = true;
        if (n.is_object && key == "entries") {
            auto dots = val.find("..");
            ok = dots != std::string_view::npos && parse_num(val.substr(0, dots), n.min_entries);
            std::string_view mx = dots == std::string_view::npos ? "" : val.substr(dots + 2);
            n.max_entries = kUnbounded;
            ok = ok && (mx == "unbounded" || parse_num(mx, n.max_entries));
        } else if (n.is_object && key == "numentries") {
            n.num_entries_param = std::string(val);
        } else if (n.is_object) {
            return "unknown object facet \"" + std::string(key) + "\"";
        } else if (tok == "list") {
            t.list = true;
        } else if (tok == "hidden") {
            n.hidden = true;
        } else if (key == "listmaxlen") {
            ok = parse_num(val, t.list_max_length.emplace());
        } else if (key == "listmaxitems") {
            ok = parse_num(val, t.list_max_items.emplace());
        } else if (key == "minlen") {
            ok = parse_num(val, t.min_length.emplace());
        } else if (key == "maxlen") {
            ok = parse_num(val, t.max_length.emplace());
        } else if (key == "range") {
            auto dots = val.find("..");
            if (dots == std::string_view::npos) return "range must be min..max";
            Range r;
            if (dots > 0) ok = parse_num(val.substr(0, dots), r.min.emplace());
            if (dots + 2 < val.size()) ok = ok && parse_num(val.substr(dots + 2), r.max.emplace());
            t.ranges.push_back(r);
        } else if (key == "enum" || key == "roenum") {
            auto& dst = key == "enum" ? t.enumeration : t.readonly_values;
            for (auto item : split(val, ',')) {
                auto d = decode(item);
                if (!d) return "bad %-escape in " + std::string(key);
                dst.push_back(std::move(*d));
            }
        } else if (key == "pattern") {
            auto d = decode(val);
            if (!d) return "bad %-escape in pattern";
            t.patterns.push_back(std::move(*d));
        } else {
            return "unknown parameter facet \"" + std::string(key) + "\"";
        }
        if (!ok) return "bad value in \"" + std::string(tok) + "\"";
    }
    t.update_bounds();
    return {};
}

}  // namespace

std::string to_compact(std::string_view name, const std::vector<std::string>& sources, const std::vector<Node>& nodes) {
    std::size_t objects = 0, params = 0;
    for (const Node& n : nodes) {
        if (n.table) continue;
        (n.is_object ? objects : params)++;
    }
    std::string out;
    out.reserve(nodes.size() * 96);
    out.append(kMagic).append(" model=").append(name).append(" sources=");
    for (std::size_t i = 0; i < sources.size(); ++i) {
        if (i) out.push_back(',');
        append_encoded(out, sources[i]);
    }
    out.append(" objects=").append(std::to_string(objects));
    out.append(" parameters=").append(std::to_string(params)).append("\n");
    out.append("# Facts derived from Broadband Forum data model XML (Copyright (c) Broadband Forum,\n"
               "# BSD-3-Clause; see docs/datamodels.md). Generated by dmgen: do not edit.\n");
    for (const Node& n : nodes)
        if (!n.table) write_node(out, n);
    return out;
}

std::string to_compact(const Model& model) {
    std::vector<Node> nodes(model.nodes().begin(), model.nodes().end());
    return to_compact(model.name(), model.sources(), nodes);
}

core::Result<Model> Model::parse(std::string_view text) {
    auto lines = split(text, '\n');
    if (lines.empty() || lines[0].substr(0, kMagic.size()) != kMagic)
        return core::make_error("dm.format", "not a compact data model (first line must start \"# dm-format 1\")");
    std::string name;
    std::vector<std::string> sources;
    std::size_t want_objects = 0, want_params = 0;
    for (auto tok : split(lines[0].substr(kMagic.size()), ' ')) {
        if (tok.empty()) continue;
        auto eq = tok.find('=');
        std::string_view key = tok.substr(0, eq), val = eq == std::string_view::npos ? "" : tok.substr(eq + 1);
        bool ok = true;
        if (key == "model") {
            name = std::string(val);
        } else if (key == "sources") {
            for (auto s : split(val, ',')) {
                auto d = decode(s);
                ok = ok && d.has_value();
                if (d) sources.push_back(std::move(*d));
            }
        } else if (key == "objects") {
            ok = parse_num(val, want_objects);
        } else if (key == "parameters") {
            ok = parse_num(val, want_params);
        }
        if (!ok) return core::make_error("dm.format", "line 1: bad header field \"" + std::string(tok) + "\"");
    }
    if (name.empty()) return core::make_error("dm.format", "line 1: header names no model");
    std::vector<Node> nodes;
    nodes.reserve(want_objects + want_params);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;
        Node n;
        std::string why = parse_node(line, n);
        if (!why.empty())
            return core::make_error("dm.format", name + " line " + std::to_string(i + 1) + ": " + why);
        nodes.push_back(std::move(n));
    }
    std::size_t objects = 0;
    for (const Node& n : nodes) objects += n.is_object;
    if (objects != want_objects || nodes.size() - objects != want_params)
        return core::make_error("dm.format", name + ": header promises " + std::to_string(want_objects) +
                                                 " objects and " + std::to_string(want_params) +
                                                 " parameters; file has " + std::to_string(objects) + " and " +
                                                 std::to_string(nodes.size() - objects) + " (truncated?)");
    return build(std::move(name), std::move(sources), std::move(nodes));
}

core::Result<Model> Model::load(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return core::make_error("dm.io", "cannot open data model file " + file);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (text.size() > kMaxFileBytes) return core::make_error("dm.io", file + " is larger than 32 MiB");
    auto m = parse(text);
    if (!m) return core::make_error(m.error().code, file + ": " + m.error().message);
    return m;
}

}  // namespace datamodel
