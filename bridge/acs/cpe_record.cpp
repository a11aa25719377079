#include "bridge/acs/cpe_record.hpp"

#include <charconv>

#include "bridge/acs/cpe_id.hpp"

namespace acs {
namespace {

bool has_event(const cwmp::Inform& inform, std::string_view code) {
    for (const auto& e : inform.events)
        if (e.event_code == code) return true;
    return false;
}

bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

void CpeRecord::on_inform(const cwmp::Inform& inform, cwmp::Version v, TimePoint now) {
    device_id = inform.device_id;
    id = cpe_id(inform.device_id);
    version = v;
    if (auto r = data_model_root(inform); !r.empty()) root = r;
    inform_parameters = inform.parameters;
    last_events = inform.events;
    last_inform = now;
    ++informs;
    came_back = gone;
    gone = false;
    for (const auto& p : inform.parameters) {
        if (ends_with(p.name, ".ManagementServer.ConnectionRequestURL")) connection_request_url = p.value;
        if (ends_with(p.name, ".ManagementServer.PeriodicInformInterval")) set_periodic_interval(p.value);
    }
}

bool CpeRecord::set_periodic_interval(std::string_view value) {
    unsigned long s = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
    if (ec != std::errc{} || ptr != value.data() + value.size() || s == 0) return false;
    periodic_interval = std::chrono::seconds(s);
    return true;
}

bool CpeRecord::needs_discovery(const cwmp::Inform& inform) const {
    if (!discovered || has_event(inform, "0 BOOTSTRAP") || has_event(inform, "1 BOOT")) return true;
    if (!has_event(inform, "4 VALUE CHANGE")) return false;
    for (const auto& p : inform.parameters)
        if (!knows(p.name)) return true;
    return false;
}

void CpeRecord::on_names(const cwmp::GetParameterNamesResponse& answer, TimePoint now) {
    names.clear();
    for (const auto& p : answer.parameters) names[p.name] = p.writable;
    discovered = true;
    discovered_at = now;
    notification_refused.clear();  // a new model: worth asking once more
    // Instances that went away took their notification with them.
    for (auto it = notification_active.begin(); it != notification_active.end();)
        it = knows(*it) ? std::next(it) : notification_active.erase(it);
}

std::optional<bool> CpeRecord::writable(std::string_view name) const {
    auto it = names.find(name);
    if (it == names.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> CpeRecord::unwatched_matches() const {
    std::vector<std::string> out;
    for (const auto& [name, w] : names) {
        if (notification_active.count(name) || notification_refused.count(name)) continue;
        for (const auto& pattern : watch) {
            const bool absolute = !root.empty() && pattern.rfind(root, 0) == 0;
            if (matches_watch(name, absolute ? pattern : root + pattern)) {
                out.push_back(name);
                break;
            }
        }
    }
    return out;
}

std::optional<TimePoint> CpeRecord::gone_deadline(int missed, std::chrono::seconds grace) const {
    if (!last_inform || !periodic_interval) return std::nullopt;
    return *last_inform + *periodic_interval * missed + grace;
}

bool matches_watch(std::string_view name, std::string_view pattern) {
    while (true) {
        auto nd = name.find('.');
        auto pd = pattern.find('.');
        std::string_view ns = name.substr(0, nd);
        std::string_view ps = pattern.substr(0, pd);
        if (ps == "{i}" ? !all_digits(ns) : ns != ps) return false;
        if (nd == std::string_view::npos || pd == std::string_view::npos) return nd == pd;
        name.remove_prefix(nd + 1);
        pattern.remove_prefix(pd + 1);
        if (name.empty() || pattern.empty()) return name.empty() && pattern.empty();
    }
}

}  // namespace acs
