#include "bridge/mapping/ynode.hpp"

#include <yaml-cpp/yaml.h>

namespace mapping {

std::string SourcePos::to_string() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const YNode* YNode::get(std::string_view key) const {
    if (kind != Kind::Map) return nullptr;
    for (const auto& [k, v] : entries)
        if (k.is_scalar() && k.text == key) return &v;
    return nullptr;
}

YNode* YNode::get(std::string_view key) {
    return const_cast<YNode*>(static_cast<const YNode*>(this)->get(key));
}

const YNode* YNode::key_of(std::string_view key) const {
    if (kind != Kind::Map) return nullptr;
    for (const auto& [k, v] : entries)
        if (k.is_scalar() && k.text == key) return &k;
    return nullptr;
}

std::string_view YNode::kind_name() const {
    switch (kind) {
        case Kind::Null: return "nothing";
        case Kind::Scalar: return "a scalar";
        case Kind::Seq: return "a list";
        case Kind::Map: return "a map";
    }
    return "?";
}

namespace {

struct Converter {
    const std::string& file;
    const ParseLimits& limits;
    std::size_t nodes = 0;
    std::string error;
    SourcePos error_pos;

    SourcePos pos_of(const YAML::Node& n) const {
        auto m = n.Mark();
        // yaml-cpp reports -1 for nodes without a mark (e.g. an empty document).
        return SourcePos{file, m.line < 0 ? 1 : m.line + 1, m.column < 0 ? 1 : m.column + 1};
    }

    bool fail(const YAML::Node& n, std::string what) {
        if (error.empty()) {
            error = std::move(what);
            error_pos = pos_of(n);
        }
        return false;
    }

    bool convert(const YAML::Node& in, YNode& out, std::size_t depth) {
        if (++nodes > limits.max_nodes) return fail(in, "mapping file too large (more than " +
                                                            std::to_string(limits.max_nodes) + " YAML nodes)");
        if (depth > limits.max_depth) return fail(in, "YAML nested too deeply");
        out.pos = pos_of(in);
        switch (in.Type()) {
            case YAML::NodeType::Undefined:
            case YAML::NodeType::Null:
                out.kind = YNode::Kind::Null;
                return true;
            case YAML::NodeType::Scalar:
                out.kind = YNode::Kind::Scalar;
                out.text = in.Scalar();
                return true;
            case YAML::NodeType::Sequence:
                out.kind = YNode::Kind::Seq;
                for (const auto& item : in) {
                    out.items.emplace_back();
                    if (!convert(item, out.items.back(), depth + 1)) return false;
                }
                return true;
            case YAML::NodeType::Map:
                out.kind = YNode::Kind::Map;
                for (auto it = in.begin(); it != in.end(); ++it) {
                    out.entries.emplace_back();
                    if (!convert(it->first, out.entries.back().first, depth + 1)) return false;
                    if (!convert(it->second, out.entries.back().second, depth + 1)) return false;
                }
                return true;
        }
        return fail(in, "unexpected YAML node");
    }
};

}  // namespace

std::optional<YNode> parse_yaml(std::string_view text, const std::string& file, Diagnostic& error,
                                const ParseLimits& limits) {
    const std::string hint = "check the indentation and quoting around that position";
    if (text.size() > limits.max_bytes) {
        error = {SourcePos{file, 1, 1}, "mapping file larger than " + std::to_string(limits.max_bytes) + " bytes", ""};
        return std::nullopt;
    }
    YAML::Node doc;
    try {
        doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        error = {SourcePos{file, e.mark.line < 0 ? 1 : e.mark.line + 1, e.mark.column < 0 ? 1 : e.mark.column + 1},
                 "YAML syntax error: " + e.msg, hint};
        return std::nullopt;
    } catch (const std::exception& e) {
        error = {SourcePos{file, 1, 1}, std::string("YAML syntax error: ") + e.what(), hint};
        return std::nullopt;
    }
    Converter c{file, limits};
    YNode root;
    try {
        if (!c.convert(doc, root, 0)) {
            error = {c.error_pos, c.error, ""};
            return std::nullopt;
        }
    } catch (const std::exception& e) {
        error = {SourcePos{file, 1, 1}, std::string("unreadable YAML: ") + e.what(), hint};
        return std::nullopt;
    }
    if (root.pos.line == 0) root.pos = SourcePos{file, 1, 1};
    return root;
}

}  // namespace mapping

namespace mapping {
std::string Diagnostic::to_string() const {
    std::string s = pos.to_string() + ": " + message;
    if (!hint.empty()) s += "\n  hint: " + hint;
    return s;
}
}  // namespace mapping
