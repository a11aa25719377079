#include "bridge/mapping/table_device.hpp"

#include <algorithm>
#include <set>

namespace mapping {
namespace {

cwmp::Fault fault(std::uint32_t code, std::string text) {
    return cwmp::Fault{code, text.empty() ? std::string(cwmp::default_fault_string(code)) : std::move(text), {}};
}

template <class T>
cpe::Step<T> not_mapped(std::string_view what) {
    return cpe::Step<T>::ready(fault(9000, std::string(what) + " is not mapped to a CMP function for this gateway"));
}

}  // namespace

TableDevice::TableDevice(std::shared_ptr<const Table> table) : table_(std::move(table)) {}

cpe::Step<std::vector<cwmp::ParameterValue>> TableDevice::get_values(const std::vector<std::string>& names) {
    using StepT = cpe::Step<std::vector<cwmp::ParameterValue>>;
    std::vector<const ParamRule*> rules;
    std::vector<std::string> functions;  // one call per function per request
    for (const auto& name : names) {
        std::vector<const ParamRule*> found;
        if (!name.empty() && name.back() == '.') found = table_->under(name);
        else if (auto* r = table_->find(name)) found.push_back(r);
        if (found.empty()) return StepT::ready(fault(9005, "Invalid parameter name: " + name));
        for (auto* r : found) {
            rules.push_back(r);
            if (std::find(functions.begin(), functions.end(), r->function) == functions.end())
                functions.push_back(r->function);
        }
    }
    std::vector<cmp::Request> calls;
    for (auto& fn : functions) {
        cmp::Request req;
        req.function = fn;
        calls.push_back(std::move(req));
    }
    auto finish = [rules, functions](cpe::CallResults results) -> StepT {
        if (results.size() != functions.size())
            return StepT::ready(fault(9002, "Internal error: CMP results do not match the plan"));
        for (std::size_t i = 0; i < results.size(); ++i) {
            if (!results[i])
                return StepT::ready(fault(9002, "Internal error: gateway call " + functions[i] + " failed: " +
                                                    results[i].error().message));
            if (results[i]->result_code != 0)
                return StepT::ready(fault(9002, "Internal error: gateway answered " + functions[i] +
                                                    " with resultCode " + std::to_string(results[i]->result_code)));
        }
        std::vector<cwmp::ParameterValue> values;
        values.reserve(rules.size());
        for (auto* rule : rules) {
            auto idx = std::find(functions.begin(), functions.end(), rule->function) - functions.begin();
            const std::string* v = results[idx]->fields.scalar(rule->field);
            if (!v)
                return StepT::ready(fault(9002, "Internal error: gateway response " + rule->function + " lacks field " +
                                                    rule->field + " for " + rule->path));
            values.push_back({rule->path, *v, rule->type.empty() ? "xsd:string" : rule->type});
        }
        return StepT::ready(std::move(values));
    };
    if (calls.empty()) return finish({});
    return StepT::need(std::move(calls), std::move(finish));
}

cpe::Step<std::vector<cpe::NodeInfo>> TableDevice::get_names(const std::string& path, bool next_level) {
    using StepT = cpe::Step<std::vector<cpe::NodeInfo>>;
    std::vector<cpe::NodeInfo> out;
    if (path.empty() || path.back() != '.') {
        if (next_level) return StepT::ready(fault(9003, "Invalid arguments: NextLevel true on a parameter"));
        auto* r = table_->find(path);
        if (!r) return StepT::ready(fault(9005, "Invalid parameter name: " + path));
        out.push_back({r->path, false, r->writable, r->type});
        return StepT::ready(std::move(out));
    }
    auto rules = table_->under(path);
    if (rules.empty()) return StepT::ready(fault(9005, "Invalid parameter name: " + path));
    std::set<std::string> objects;
    for (auto* r : rules) {
        // Every intermediate object below `path` is a node too.
        for (auto dot = r->path.find('.', path.size()); dot != std::string::npos; dot = r->path.find('.', dot + 1)) {
            std::string obj = r->path.substr(0, dot + 1);
            if (objects.insert(obj).second && (!next_level || obj.find('.', path.size()) == obj.size() - 1))
                out.push_back({obj, true, false, ""});
        }
        bool direct = r->path.find('.', path.size()) == std::string::npos;
        if (!next_level || direct) out.push_back({r->path, false, r->writable, r->type});
    }
    std::sort(out.begin(), out.end(), [](const cpe::NodeInfo& a, const cpe::NodeInfo& b) { return a.path < b.path; });
    return StepT::ready(std::move(out));
}

std::optional<cpe::NodeInfo> TableDevice::describe(const std::string& path) const {
    if (auto* r = table_->find(path)) return cpe::NodeInfo{r->path, false, r->writable, r->type};
    if (!path.empty() && path.back() == '.' && !table_->under(path).empty()) return cpe::NodeInfo{path, true, false, ""};
    return std::nullopt;
}

cpe::Step<cpe::Unit> TableDevice::set_values(const std::vector<cwmp::ParameterValue>&) {
    return not_mapped<cpe::Unit>("SetParameterValues");
}
cpe::Step<std::uint32_t> TableDevice::add_object(const std::string&) { return not_mapped<std::uint32_t>("AddObject"); }
cpe::Step<cpe::Unit> TableDevice::delete_object(const std::string&) { return not_mapped<cpe::Unit>("DeleteObject"); }
cpe::Step<cpe::Unit> TableDevice::reboot(const std::string&) { return not_mapped<cpe::Unit>("Reboot"); }
cpe::Step<cpe::Unit> TableDevice::factory_reset() { return not_mapped<cpe::Unit>("FactoryReset"); }
cpe::Step<cpe::Unit> TableDevice::download(const cwmp::Download&) { return not_mapped<cpe::Unit>("Download"); }
cpe::Step<cpe::Unit> TableDevice::upload(const cwmp::Upload&) { return not_mapped<cpe::Unit>("Upload"); }

}  // namespace mapping
