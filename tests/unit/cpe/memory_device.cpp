#include "tests/unit/cpe/memory_device.hpp"

#include <algorithm>

namespace cpe_test {
namespace {

cwmp::Fault fault(std::uint32_t code, std::string text = {}) {
    return cwmp::Fault{code, text.empty() ? std::string(cwmp::default_fault_string(code)) : std::move(text), {}};
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// "A.B.C" → true when `child` is directly below `parent` ("A.B." / "A.B.C" or "A.B.C.").
bool is_child(const std::string& parent, const std::string& child) {
    if (child.size() <= parent.size() || !starts_with(child, parent)) return false;
    auto rest = child.substr(parent.size());
    auto dot = rest.find('.');
    return dot == std::string::npos || dot == rest.size() - 1;
}

}  // namespace

MemoryDevice::MemoryDevice(std::string root, std::string model) : root_(std::move(root)), model_(std::move(model)) {}

void MemoryDevice::add(const std::string& path, std::string value, std::string type, bool writable, cpe::ActiveNotify an) {
    params_[path] = Param{std::move(value), std::move(type), writable, an};
}

void MemoryDevice::add_table(const std::string& table, std::map<std::string, Param> row_template) {
    tables_[table] = std::move(row_template);
    next_instance_[table] = 1;
}

void MemoryDevice::add_row(const std::string& table, std::uint32_t n) {
    for (auto& [name, p] : tables_.at(table)) params_[table + std::to_string(n) + "." + name] = p;
    next_instance_[table] = std::max(next_instance_[table], n + 1);
}

std::string MemoryDevice::value(const std::string& path) const {
    auto it = params_.find(path);
    return it == params_.end() ? "<absent>" : it->second.value;
}

bool MemoryDevice::is_row(const std::string& path) const {
    for (auto& [t, tmpl] : tables_)
        if (is_child(t, path) && path.back() == '.') {
            for (auto& [p, v] : params_)
                if (starts_with(p, path)) return true;
        }
    return false;
}

std::set<std::string> MemoryDevice::objects() const {
    std::set<std::string> out{root_};
    auto add_prefixes = [&](const std::string& path) {
        for (auto dot = path.find('.', root_.size()); dot != std::string::npos; dot = path.find('.', dot + 1))
            if (dot + 1 < path.size() || path.back() == '.') out.insert(path.substr(0, dot + 1));
    };
    for (auto& [p, v] : params_) add_prefixes(p);
    for (auto& [t, tmpl] : tables_) add_prefixes(t);
    return out;
}

template <class T>
cpe::Step<T> MemoryDevice::finish(cpe::Outcome<T> outcome) {
    if (!async) return cpe::Step<T>::ready(std::move(outcome));
    cmp::Request fake;
    fake.function = "fakeCall";
    return cpe::Step<T>::need({fake}, [this, outcome = std::move(outcome)](cpe::CallResults r) {
        fake_calls += r.size();
        return cpe::Step<T>::ready(outcome);
    });
}

cpe::Step<std::vector<cwmp::ParameterValue>> MemoryDevice::get_values(const std::vector<std::string>& names) {
    using V = std::vector<cwmp::ParameterValue>;
    if (fail_get) return finish<V>(*fail_get);
    V out;
    for (auto& n : names) {
        bool hit = false;
        for (auto& [p, v] : params_)
            if (n.back() == '.' ? starts_with(p, n) : p == n) {
                out.push_back({p, v.value, v.type});
                hit = true;
            }
        if (!hit && !(n.back() == '.' && objects().count(n))) return finish<V>(fault(9005, "Invalid parameter name: " + n));
    }
    return finish<V>(std::move(out));
}

std::optional<cpe::NodeInfo> MemoryDevice::describe(const std::string& path) const {
    if (dynamic_rows)
        for (auto& [t, tmpl] : tables_)
            if (starts_with(path, t) && path.size() > t.size()) return std::nullopt;
    if (auto it = params_.find(path); it != params_.end())
        return cpe::NodeInfo{path, false, it->second.writable, it->second.type, it->second.active_notify};
    if (!path.empty() && path.back() == '.' && objects().count(path))
        return cpe::NodeInfo{path, true, is_table(path) || is_row(path), "", cpe::ActiveNotify::normal};
    return std::nullopt;
}

cpe::Step<std::vector<cpe::NodeInfo>> MemoryDevice::get_names(const std::string& path, bool next_level) {
    using N = std::vector<cpe::NodeInfo>;
    N out;
    if (path.empty() || path.back() != '.') {
        auto it = params_.find(path);
        if (it == params_.end()) return finish<N>(fault(9005, "Invalid parameter name: " + path));
        if (next_level) return finish<N>(fault(9003));
        out.push_back({path, false, it->second.writable, it->second.type, it->second.active_notify});
        return finish<N>(std::move(out));
    }
    auto objs = objects();
    if (!objs.count(path)) return finish<N>(fault(9005, "Invalid parameter name: " + path));
    for (auto& o : objs)
        if (o != path && starts_with(o, path) && (!next_level || is_child(path, o)))
            out.push_back({o, true, is_table(o) || is_row(o), ""});
    for (auto& [p, v] : params_)
        if (starts_with(p, path) && (!next_level || is_child(path, p)))
            out.push_back({p, false, v.writable, v.type, v.active_notify});
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
    return finish<N>(std::move(out));
}

cpe::Step<cpe::Unit> MemoryDevice::set_values(const std::vector<cwmp::ParameterValue>& values) {
    if (fail_set) return finish<cpe::Unit>(*fail_set);
    cwmp::Fault f = fault(9003);
    for (auto& v : values)
        if (auto it = set_value_faults.find(v.name); it != set_value_faults.end())
            f.set_parameter_values_faults.push_back({v.name, it->second, std::string(cwmp::default_fault_string(it->second))});
    if (!f.set_parameter_values_faults.empty()) return finish<cpe::Unit>(f);
    for (auto& v : values) {
        params_.at(v.name).value = v.value;
        log.push_back("set " + v.name + "=" + v.value + " (" + v.type + ")");
    }
    return finish<cpe::Unit>(cpe::Unit{});
}

cpe::Step<std::uint32_t> MemoryDevice::add_object(const std::string& object_path) {
    if (fail_add) return finish<std::uint32_t>(*fail_add);
    if (!is_table(object_path)) return finish<std::uint32_t>(fault(9005));
    std::uint32_t n = next_instance_[object_path];
    add_row(object_path, n);
    log.push_back("add " + object_path + " -> " + std::to_string(n));
    return finish<std::uint32_t>(n);
}

cpe::Step<cpe::Unit> MemoryDevice::delete_object(const std::string& instance_path) {
    if (fail_delete) return finish<cpe::Unit>(*fail_delete);
    if (!is_row(instance_path)) return finish<cpe::Unit>(fault(9005));
    std::erase_if(params_, [&](auto& kv) { return starts_with(kv.first, instance_path); });
    log.push_back("delete " + instance_path);
    return finish<cpe::Unit>(cpe::Unit{});
}

cpe::Step<cpe::Unit> MemoryDevice::reboot(const std::string& command_key) {
    if (fail_reboot) return finish<cpe::Unit>(*fail_reboot);
    log.push_back("reboot " + command_key);
    return finish<cpe::Unit>(cpe::Unit{});
}

cpe::Step<cpe::Unit> MemoryDevice::factory_reset() {
    if (fail_factory_reset) return finish<cpe::Unit>(*fail_factory_reset);
    log.push_back("factory_reset");
    return finish<cpe::Unit>(cpe::Unit{});
}

cpe::Step<cpe::Unit> MemoryDevice::download(const cwmp::Download& r) {
    if (fail_download) return finish<cpe::Unit>(*fail_download);
    log.push_back("download " + r.file_type + " " + r.url + " key=" + r.command_key);
    return finish<cpe::Unit>(cpe::Unit{});
}

cpe::Step<cpe::Unit> MemoryDevice::upload(const cwmp::Upload& r) {
    if (fail_upload) return finish<cpe::Unit>(*fail_upload);
    log.push_back("upload " + r.file_type + " " + r.url + " key=" + r.command_key);
    return finish<cpe::Unit>(cpe::Unit{});
}

cpe::Step<cpe::Unit> MemoryDevice::notification_changed(const std::string& path, int notification) {
    if (refuse_notification.count(path)) return finish<cpe::Unit>(fault(9009));
    log.push_back("notify " + path + " " + std::to_string(notification));
    return finish<cpe::Unit>(cpe::Unit{});
}

cpe::DeviceState MemoryDevice::persistent_state() const {
    cpe::DeviceState s;
    for (auto& [t, n] : next_instance_) s["next." + t] = std::to_string(n);
    return s;
}

void MemoryDevice::restore_state(const cpe::DeviceState& state) {
    for (auto& [k, v] : state)
        if (k.rfind("next.", 0) == 0) next_instance_[k.substr(5)] = static_cast<std::uint32_t>(std::stoul(v));
}

}  // namespace cpe_test
