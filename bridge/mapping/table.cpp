#include "bridge/mapping/table.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bridge/mapping/digest.hpp"

namespace mapping {
namespace {

SourcePos pos_of(const YAML::Node& n, const std::string& file) {
    auto m = n.Mark();
    return SourcePos{file, m.line + 1, m.column + 1};
}

core::Error err_at(const SourcePos& p, std::string what, std::string hint = {}) {
    std::string msg = p.to_string() + ": " + std::move(what);
    if (!hint.empty()) msg += "\n  hint: " + hint;
    return core::make_error("mapping.invalid", msg);
}

bool valid_segment(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
    return true;
}

}  // namespace

std::string SourcePos::to_string() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

core::Result<std::shared_ptr<const Table>> Table::load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::make_error("mapping.io", path + ": cannot open mapping file");
    std::stringstream ss;
    ss << in.rdbuf();
    return load_string(ss.str(), path);
}

core::Result<std::shared_ptr<const Table>> Table::load_string(std::string_view text, std::string file) {
    YAML::Node doc;
    try {
        doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return err_at(SourcePos{file, e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    }
    SourcePos top{file, 1, 1};
    if (!doc.IsMap()) return err_at(top, "a mapping table is a YAML map", "start with 'model: InternetGatewayDevice:1.4'");

    auto t = std::make_shared<Table>();
    t->name_ = std::filesystem::path(file).filename().string();
    t->hash_ = sha256_hex(text);

    try {
        auto model = doc["model"];
        if (!model || !model.IsScalar())
            return err_at(top, "missing 'model'", "e.g. 'model: InternetGatewayDevice:1.4' or 'model: Device:1.2'");
        t->model_ = model.as<std::string>();
        auto colon = t->model_.find(':');
        if (colon == std::string::npos || colon == 0)
            return err_at(pos_of(model, file), "model '" + t->model_ + "' is not NAME:VERSION");
        t->root_ = t->model_.substr(0, colon) + ".";

        auto objects = doc["objects"];
        if (!objects || !objects.IsMap())
            return err_at(top, "missing 'objects' map", "objects: { InternetGatewayDevice.DeviceInfo.: {...} }");
        for (auto it = objects.begin(); it != objects.end(); ++it) {
            auto key = it->first;
            auto obj = it->second;
            std::string opath = key.as<std::string>();
            SourcePos opos = pos_of(key, file);
            if (opath.rfind(t->root_, 0) != 0)
                return err_at(opos, "object '" + opath + "' is not under the model root '" + t->root_ + "'");
            if (opath.back() != '.') return err_at(opos, "object path '" + opath + "' must end with '.'");
            if (!obj.IsMap()) return err_at(pos_of(obj, file), "object '" + opath + "' must be a map");
            std::string read_fn;
            if (auto r = obj["read"]) read_fn = r.as<std::string>();
            auto params = obj["parameters"];
            if (!params || !params.IsMap())
                return err_at(pos_of(obj, file), "object '" + opath + "' has no 'parameters' map");
            for (auto pit = params.begin(); pit != params.end(); ++pit) {
                std::string pname = pit->first.as<std::string>();
                SourcePos ppos = pos_of(pit->first, file);
                if (!valid_segment(pname))
                    return err_at(ppos, "bad parameter name '" + pname + "'", "a single name segment, no dots");
                ParamRule rule;
                rule.path = opath + pname;
                rule.function = read_fn;
                rule.pos = ppos;
                auto spec = pit->second;
                if (spec.IsScalar()) {
                    rule.field = spec.as<std::string>();
                } else if (spec.IsMap()) {
                    for (auto sit = spec.begin(); sit != spec.end(); ++sit) {
                        auto k = sit->first.as<std::string>();
                        if (k == "field") rule.field = sit->second.as<std::string>();
                        else if (k == "read") rule.function = sit->second.as<std::string>();
                        else if (k == "type") rule.type = sit->second.as<std::string>();
                        else
                            return err_at(pos_of(sit->first, file), "unknown key '" + k + "' in parameter '" + pname + "'",
                                          "known keys: field, read, type");
                    }
                } else {
                    return err_at(pos_of(spec, file), "parameter '" + pname + "' must be a field name or a map");
                }
                if (rule.function.empty())
                    return err_at(ppos, "parameter '" + rule.path + "' has no CMP function",
                                  "set 'read: getRgInfo' on the object or on the parameter");
                if (rule.field.empty()) return err_at(ppos, "parameter '" + rule.path + "' has no field");
                if (!rule.type.empty() && rule.type.rfind("xsd:", 0) != 0) rule.type = "xsd:" + rule.type;
                if (t->rules_.count(rule.path))
                    return err_at(ppos, "duplicate parameter '" + rule.path + "'",
                                  "first defined at " + t->rules_[rule.path].pos.to_string());
                t->rules_.emplace(rule.path, std::move(rule));
            }
        }
    } catch (const YAML::Exception& e) {
        return err_at(SourcePos{file, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
    return std::shared_ptr<const Table>(std::move(t));
}

const ParamRule* Table::find(std::string_view path) const {
    auto it = rules_.find(path);
    return it == rules_.end() ? nullptr : &it->second;
}

std::vector<const ParamRule*> Table::under(std::string_view prefix) const {
    std::vector<const ParamRule*> out;
    for (auto it = rules_.lower_bound(prefix); it != rules_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
        out.push_back(&it->second);
    return out;
}

}  // namespace mapping
