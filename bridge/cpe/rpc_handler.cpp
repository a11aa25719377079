#include "bridge/cpe/rpc_handler.hpp"

#include <algorithm>
#include <memory>

namespace cpe {
namespace {

// Maps the value of a finished Step<T> to a Step<U>, following continuations.
template <class U, class T, class F>
Step<U> then(Step<T> step, F f) {
    if (step.done) {
        if (auto* fault = std::get_if<cwmp::Fault>(&*step.done)) return Step<U>::ready(*fault);
        return f(std::move(std::get<0>(*step.done)));
    }
    auto resume = std::move(step.resume);
    return Step<U>::need(std::move(step.calls), [resume = std::move(resume), f](CallResults r) mutable {
        return then<U>(resume(std::move(r)), f);
    });
}

}  // namespace

cwmp::Fault make_fault(std::uint32_t code, std::string text) {
    cwmp::Fault f;
    f.code = code;
    f.string = text.empty() ? std::string(cwmp::default_fault_string(code)) : std::move(text);
    return f;
}

RpcHandler::RpcHandler(LocalContext local, Device& device) : local_(std::move(local)), device_(device) {}

Step<std::vector<cwmp::ParameterValue>> RpcHandler::get_values(const std::vector<std::string>& raw_names) {
    using Values = std::vector<cwmp::ParameterValue>;
    auto locals = local_parameters(local_);
    Values local_values;
    std::vector<std::string> device_names;
    for (const auto& raw : raw_names) {
        // An empty name means the whole tree (TR-069 A.3.2.2).
        std::string name = raw.empty() ? local_.root : raw;
        if (name.rfind(local_.root, 0) != 0) return Step<Values>::ready(make_fault(9005, "Invalid parameter name: " + raw));
        bool local_hit = false;
        for (auto& l : locals)
            if (name.back() == '.' ? l.path.rfind(name, 0) == 0 : l.path == name) {
                local_values.push_back({l.path, l.value, l.type});
                local_hit = true;
            }
        bool device_has = name.back() == '.' ? device_.describe(name).has_value() : device_.describe(name).has_value();
        if (device_has) device_names.push_back(name);
        else if (!local_hit) return Step<Values>::ready(make_fault(9005, "Invalid parameter name: " + raw));
    }
    auto merge = [local_values](Values device_values) -> Step<Values> {
        Values all = local_values;
        all.insert(all.end(), std::make_move_iterator(device_values.begin()), std::make_move_iterator(device_values.end()));
        std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        return Step<Values>::ready(std::move(all));
    };
    if (device_names.empty()) return merge({});
    return then<Values>(device_.get_values(device_names), merge);
}

Step<cwmp::Body> RpcHandler::handle(const cwmp::Body& request) {
    if (auto* gpv = std::get_if<cwmp::GetParameterValues>(&request))
        return then<cwmp::Body>(get_values(gpv->names), [](std::vector<cwmp::ParameterValue> v) {
            return Step<cwmp::Body>::ready(cwmp::Body(cwmp::GetParameterValuesResponse{std::move(v)}));
        });
    if (std::holds_alternative<cwmp::GetRPCMethods>(request))
        return Step<cwmp::Body>::ready(cwmp::Body(cwmp::GetRPCMethodsResponse{{"GetRPCMethods", "GetParameterValues"}}));
    return Step<cwmp::Body>::ready(make_fault(9000));
}

}  // namespace cpe
