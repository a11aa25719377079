#pragma once
// Test helpers for the reverse direction: a TR-069 CPE answering RPCs from a
// parameter map (hand-built, from the real gateway dump, or from the forward
// TableDevice over the simulated gateway), and a loop driving a ReverseCall.
#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bridge/mapping/reverse_call.hpp"

namespace rt {

struct FakeCpe {
    std::map<std::string, cwmp::ParameterValue, std::less<>> params;
    // Parameters an AddObject creates under a table prefix (name -> initial value).
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> row_templates;
    std::map<std::string, int> notification;
    std::vector<cwmp::Body> log;
    std::optional<cwmp::Fault> fault_next;  // answers the next RPC with this fault
    // Called after a SetParameterValues was applied (an action's effect on the CPE).
    std::function<void(FakeCpe&, const cwmp::SetParameterValues&)> after_set;

    void put(const std::string& name, const std::string& value, const std::string& type = "xsd:string") {
        params[name] = {name, value, type};
    }
    std::string get(const std::string& name) const {
        auto it = params.find(name);
        return it == params.end() ? std::string("<absent>") : it->second.value;
    }
    template <class T>
    std::size_t count() const {
        std::size_t n = 0;
        for (const auto& b : log) n += std::holds_alternative<T>(b);
        return n;
    }

    cwmp::Body handle(const cwmp::Body& rpc) {
        log.push_back(rpc);
        if (fault_next) {
            cwmp::Fault f = *fault_next;
            fault_next.reset();
            return f;
        }
        if (const auto* g = std::get_if<cwmp::GetParameterValues>(&rpc)) {
            cwmp::GetParameterValuesResponse r;
            for (const auto& n : g->names) {
                bool found = false;
                if (!n.empty() && n.back() == '.') {
                    for (auto it = params.lower_bound(n); it != params.end() && it->first.rfind(n, 0) == 0; ++it) {
                        r.parameters.push_back(it->second);
                        found = true;
                    }
                    // An empty table is still an object of the CPE.
                    found = found || std::any_of(row_templates.begin(), row_templates.end(),
                                                 [&](const auto& t) { return t.first == n; });
                } else if (auto it = params.find(n); it != params.end()) {
                    r.parameters.push_back(it->second);
                    found = true;
                }
                if (!found) return cwmp::Fault{9005, "Invalid parameter name " + n, {}};
            }
            return r;
        }
        if (const auto* g = std::get_if<cwmp::GetParameterNames>(&rpc)) {
            cwmp::GetParameterNamesResponse r;
            for (const auto& [n, v] : params)
                if (n.rfind(g->parameter_path, 0) == 0) r.parameters.push_back({n, false});
            return r;
        }
        if (const auto* s = std::get_if<cwmp::SetParameterValues>(&rpc)) {
            cwmp::Fault f{9003, "Invalid arguments", {}};
            for (const auto& p : s->parameters)
                if (!params.count(p.name)) f.set_parameter_values_faults.push_back({p.name, 9005, "Invalid parameter name"});
            if (!f.set_parameter_values_faults.empty()) return f;
            for (const auto& p : s->parameters) params[p.name].value = p.value;
            if (after_set) after_set(*this, *s);
            return cwmp::SetParameterValuesResponse{0};
        }
        if (const auto* a = std::get_if<cwmp::AddObject>(&rpc)) {
            auto t = row_templates.find(a->object_name);
            if (t == row_templates.end()) return cwmp::Fault{9005, "Invalid parameter name", {}};
            std::uint32_t n = 1;
            while (params.lower_bound(a->object_name + std::to_string(n) + ".") != params.end() &&
                   params.lower_bound(a->object_name + std::to_string(n) + ".")->first.rfind(
                       a->object_name + std::to_string(n) + ".", 0) == 0)
                ++n;
            for (const auto& [name, value] : t->second) put(a->object_name + std::to_string(n) + "." + name, value);
            return cwmp::AddObjectResponse{n, 0};
        }
        if (const auto* s = std::get_if<cwmp::SetParameterAttributes>(&rpc)) {
            for (const auto& p : s->parameters) {
                if (!params.count(p.name)) return cwmp::Fault{9005, "Invalid parameter name", {}};
                notification[p.name] = p.notification;
            }
            return cwmp::SetParameterAttributesResponse{};
        }
        if (std::holds_alternative<cwmp::Reboot>(rpc)) return cwmp::RebootResponse{};
        if (std::holds_alternative<cwmp::FactoryReset>(rpc)) return cwmp::FactoryResetResponse{};
        if (std::holds_alternative<cwmp::Download>(rpc)) return cwmp::DownloadResponse{};
        if (std::holds_alternative<cwmp::Upload>(rpc)) return cwmp::UploadResponse{};
        return cwmp::Fault{9000, "Method not supported", {}};
    }
};

inline cmp::Request request(std::string function, cmp::Record args = {}) {
    cmp::Request r;
    r.header = {"202BC1-BM632w-8KA8WA1151100043", "tx-17", "2026-12-03T12:00:00Z"};
    r.function = std::move(function);
    r.args = std::move(args);
    return r;
}

// Runs the call to its answer against the CPE.
inline cmp::Response drive(mapping::ReverseCall& call, FakeCpe& cpe) {
    for (int guard = 0; guard < 100; ++guard) {
        auto step = call.next();
        if (auto* r = std::get_if<cmp::Response>(&step)) return *r;
        call.on_rpc_result(cpe.handle(std::get<cwmp::Body>(step)));
    }
    FAIL("the reverse call never finished");
    return {};
}

inline cmp::Response answer(const std::shared_ptr<const mapping::ReverseMapping>& m, FakeCpe& cpe, cmp::Request req,
                            mapping::ReverseContext ctx = {}) {
    mapping::ReverseCall call(m, std::move(req), ctx);
    cmp::Response r = drive(call, cpe);
    INFO(r.result_msg);
    return r;
}

// One CSV line of the genieacs-sim dump: quoted fields may hold commas.
inline std::vector<std::string> csv_fields(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == '"') {
            if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
                out.back() += '"';
                ++i;
            } else {
                quoted = !quoted;
            }
        } else if (c == ',' && !quoted) {
            out.emplace_back();
        } else if (c != '\r') {
            out.back() += c;
        }
    }
    return out;
}

// The real gateway's parameters (Parameter,Object,Writable,Value,Value type).
inline void load_dump(FakeCpe& cpe, const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        auto f = csv_fields(line);
        if (f.size() < 5 || f[1] == "true" || f[0].rfind("InternetGatewayDevice.", 0) != 0) continue;
        cpe.put(f[0], f[3], f[4]);
    }
}

}  // namespace rt
