#include "bridge/cpe/attributes.hpp"

#include <optional>

namespace cpe {
namespace {

// The rule value for `field` that applies to `path`: exact, then the longest
// enclosing partial path.
template <class T, class Get>
std::optional<T> lookup(const AttributeRules& rules, const std::string& path, Get get) {
    if (auto it = rules.find(path); it != rules.end())
        if (auto v = get(it->second)) return *v;
    for (auto dot = path.size(); dot-- > 0;) {
        if (path[dot] != '.' || dot + 1 == path.size()) continue;
        if (auto it = rules.find(path.substr(0, dot + 1)); it != rules.end())
            if (auto v = get(it->second)) return *v;
    }
    return std::nullopt;
}

bool covers(const std::string& rule_path, const std::string& name) {
    if (rule_path == name) return true;
    return !name.empty() && name.back() == '.' && rule_path.compare(0, name.size(), name) == 0;
}

}  // namespace

int effective_notification(const AttributeRules& rules, const std::string& path, ActiveNotify an) {
    if (an == ActiveNotify::force_enabled) return 2;
    auto v = lookup<int>(rules, path, [](const AttributeRule& r) { return r.notification; });
    if (v) return *v;
    return an == ActiveNotify::force_default_enabled ? 2 : 0;
}

std::vector<std::string> effective_access_list(const AttributeRules& rules, const std::string& path) {
    auto v = lookup<std::vector<std::string>>(rules, path, [](const AttributeRule& r) { return r.access_list; });
    return v ? *v : std::vector<std::string>{};
}

void apply_attribute(AttributeRules& rules, const cwmp::SetParameterAttributesStruct& item) {
    for (auto it = rules.begin(); it != rules.end();) {
        if (covers(it->first, item.name)) {
            if (item.notification_change) it->second.notification.reset();
            if (item.access_list_change) it->second.access_list.reset();
        }
        if (!it->second.notification && !it->second.access_list) it = rules.erase(it);
        else ++it;
    }
    if (!item.notification_change && !item.access_list_change) return;
    AttributeRule& r = rules[item.name];
    if (item.notification_change) r.notification = item.notification;
    if (item.access_list_change) r.access_list = item.access_list;
}

ActiveNotify standard_active_notify(std::string_view root, std::string_view path) {
    if (path.compare(0, root.size(), root) != 0) return ActiveNotify::normal;
    const std::string_view rel = path.substr(root.size());
    // TR-098 (InternetGatewayDevice:1.1, inherited by the 1.x models up to
    // 1.13): the ACS must always learn these at once.
    if (root == "InternetGatewayDevice." &&
        (rel == "DeviceInfo.SoftwareVersion" || rel == "DeviceInfo.ProvisioningCode" ||
         rel == "ManagementServer.ConnectionRequestURL"))
        return ActiveNotify::force_enabled;
    // Changes only through the ACS itself, which never triggers a notification.
    if (rel == "ManagementServer.ParameterKey") return ActiveNotify::can_deny;
    // A counter that changes every second would turn active notification
    // into a session per second (TR-098 1.14 and TR-181 mark it canDeny).
    if (rel == "DeviceInfo.UpTime") return ActiveNotify::can_deny;
    return ActiveNotify::normal;
}

ActiveNotify stronger(ActiveNotify a, ActiveNotify b) {
    auto rank = [](ActiveNotify x) {
        switch (x) {
            case ActiveNotify::force_enabled: return 3;
            case ActiveNotify::force_default_enabled: return 2;
            case ActiveNotify::can_deny: return 1;
            default: return 0;
        }
    };
    return rank(a) >= rank(b) ? a : b;
}

}  // namespace cpe
