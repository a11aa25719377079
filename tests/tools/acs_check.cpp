// The scripted ACS's judgement: does a CPE answer meet the step's expectations?
#include <algorithm>

#include "tests/tools/acs_script.hpp"

namespace {

void problem(StepResult& r, const std::string& what) {
    r.ok = false;
    r.problem += (r.problem.empty() ? "" : "; ") + what;
}

int status_of(const cwmp::Body& b) {
    if (auto* x = std::get_if<cwmp::SetParameterValuesResponse>(&b)) return x->status;
    if (auto* x = std::get_if<cwmp::AddObjectResponse>(&b)) return x->status;
    if (auto* x = std::get_if<cwmp::DeleteObjectResponse>(&b)) return x->status;
    if (auto* x = std::get_if<cwmp::DownloadResponse>(&b)) return x->status;
    if (auto* x = std::get_if<cwmp::UploadResponse>(&b)) return x->status;
    return -1;
}

}  // namespace

std::string describe_request(const cwmp::Body& b) {
    std::string s(cwmp::rpc_name(b));
    if (auto* gpv = std::get_if<cwmp::GetParameterValues>(&b)) {
        s += " [";
        for (std::size_t i = 0; i < gpv->names.size(); ++i) s += (i ? ", " : "") + gpv->names[i];
        s += "]";
    } else if (auto* gpn = std::get_if<cwmp::GetParameterNames>(&b)) {
        s += " [" + gpn->parameter_path + "] NextLevel=" + (gpn->next_level ? "1" : "0");
    } else if (auto* spv = std::get_if<cwmp::SetParameterValues>(&b)) {
        s += " [";
        for (std::size_t i = 0; i < spv->parameters.size(); ++i)
            s += (i ? ", " : "") + spv->parameters[i].name + "=" + spv->parameters[i].value;
        s += "]";
    } else if (auto* u = std::get_if<cwmp::UnknownRpc>(&b)) {
        s = "(unknown) " + u->name;
    }
    return s;
}

StepResult check_step(const AcsStep& step, const cwmp::Envelope& env) {
    StepResult r;
    r.request = std::string(cwmp::rpc_name(step.request));
    r.response = std::string(cwmp::rpc_name(env.body));
    std::map<std::string, const cwmp::ParameterValue*> values;
    std::map<std::string, bool> names;
    std::map<std::string, int> notifications;
    std::size_t count = 0;
    if (auto* f = std::get_if<cwmp::Fault>(&env.body)) {
        r.fault = f->code;
        r.summary = "Fault " + std::to_string(f->code) + " \"" + f->string + "\"";
        for (auto& sf : f->set_parameter_values_faults)
            r.summary += "; " + sf.parameter_name + ": " + std::to_string(sf.fault_code);
        for (auto& [name, code] : step.expect_param_faults) {
            auto it = std::find_if(f->set_parameter_values_faults.begin(), f->set_parameter_values_faults.end(),
                                   [&](auto& sf) { return sf.parameter_name == name; });
            if (it == f->set_parameter_values_faults.end() || it->fault_code != code)
                problem(r, "expected SetParameterValuesFault " + std::to_string(code) + " for " + name);
        }
    } else if (auto* gpv = std::get_if<cwmp::GetParameterValuesResponse>(&env.body)) {
        r.summary = r.response;
        for (auto& p : gpv->parameters) {
            r.values.emplace_back(p.name, p.value);
            values[p.name] = &p;
            r.summary += "\n        " + p.name + " = " + p.value + "  (" + p.type + ")";
        }
        count = gpv->parameters.size();
    } else if (auto* gpn = std::get_if<cwmp::GetParameterNamesResponse>(&env.body)) {
        r.summary = r.response + " (" + std::to_string(gpn->parameters.size()) + " names)";
        for (auto& p : gpn->parameters) {
            r.values.emplace_back(p.name, p.writable ? "1" : "0");
            names[p.name] = p.writable;
        }
        count = gpn->parameters.size();
    } else if (auto* gpa = std::get_if<cwmp::GetParameterAttributesResponse>(&env.body)) {
        r.summary = r.response;
        for (auto& p : gpa->parameters) {
            r.values.emplace_back(p.name, std::to_string(p.notification));
            notifications[p.name] = p.notification;
            r.summary += "\n        " + p.name + " notification " + std::to_string(p.notification);
        }
        count = gpa->parameters.size();
    } else if (auto* m = std::get_if<cwmp::GetRPCMethodsResponse>(&env.body)) {
        r.summary = r.response;
        for (auto& x : m->methods) r.summary += " " + x;
        if (step.expect_methods && m->methods != *step.expect_methods) problem(r, "unexpected method list");
    } else {
        r.summary = r.response;
    }

    if (step.expect_fault) {
        if (!r.fault || *r.fault != *step.expect_fault)
            problem(r, "expected fault " + std::to_string(*step.expect_fault) + ", got " + r.response +
                           (r.fault ? " " + std::to_string(*r.fault) : ""));
        return r;
    }
    if (r.response != step.expect_response) {
        problem(r, "expected " + step.expect_response + ", got " + r.summary);
        return r;
    }
    for (auto& [name, value] : step.expect_values) {
        auto it = values.find(name);
        if (it == values.end()) problem(r, "no value for " + name);
        else if (it->second->value != value) problem(r, name + " = '" + it->second->value + "', expected '" + value + "'");
    }
    for (auto& [name, type] : step.expect_types) {
        auto it = values.find(name);
        if (it == values.end() || it->second->type != type) problem(r, name + " is not of type " + type);
    }
    for (auto& name : step.expect_names)
        if (!names.count(name)) problem(r, "name " + name + " missing");
    for (auto& name : step.expect_absent)
        if (names.count(name) || values.count(name)) problem(r, name + " present");
    for (auto& [name, writable] : step.expect_writable)
        if (!names.count(name) || names[name] != writable) problem(r, name + " writable is not " + (writable ? "1" : "0"));
    for (auto& [name, n] : step.expect_notification)
        if (!notifications.count(name) || notifications[name] != n)
            problem(r, name + " notification is not " + std::to_string(n));
    if (step.expect_count && count != *step.expect_count)
        problem(r, std::to_string(count) + " items, expected " + std::to_string(*step.expect_count));
    if (step.expect_status && status_of(env.body) != *step.expect_status)
        problem(r, "Status " + std::to_string(status_of(env.body)) + ", expected " + std::to_string(*step.expect_status));
    return r;
}

bool has_expected_events(const SessionScript& s, const cwmp::Inform& inform) {
    return std::all_of(s.expect_events.begin(), s.expect_events.end(), [&](const std::string& code) {
        return std::any_of(inform.events.begin(), inform.events.end(), [&](auto& e) { return e.event_code == code; });
    });
}

std::string check_events(const SessionScript& s, const cwmp::Inform& inform) {
    std::string out;
    auto has = [&](const std::string& code) {
        return std::any_of(inform.events.begin(), inform.events.end(), [&](auto& e) { return e.event_code == code; });
    };
    for (auto& e : s.expect_events)
        if (!has(e)) out += "missing event " + e + "; ";
    for (auto& e : s.forbid_events)
        if (has(e)) out += "unexpected event " + e + "; ";
    return out;
}

std::string check_transfers(const SessionScript& s, const std::vector<cwmp::TransferComplete>& received) {
    if (!s.expect_transfer_complete) return "";
    const ExpectTransfer& e = *s.expect_transfer_complete;
    auto it = std::find_if(received.begin(), received.end(), [&](auto& t) { return t.command_key == e.command_key; });
    if (it == received.end()) return "no TransferComplete with CommandKey '" + e.command_key + "'";
    std::string out;
    if (it->fault.code != e.fault_code)
        out += "TransferComplete FaultCode " + std::to_string(it->fault.code) + ", expected " +
               std::to_string(e.fault_code) + "; ";
    // TR-069 A.3.3.2: FaultString empty exactly when FaultCode is 0.
    if ((it->fault.code == 0) != it->fault.string.empty()) out += "TransferComplete FaultString does not match FaultCode; ";
    if (e.times_known) {
        if (it->start_time == cwmp::kUnknownTime || it->complete_time == cwmp::kUnknownTime)
            out += "TransferComplete StartTime/CompleteTime unknown; ";
        // Both are UTC xsd:dateTime; to the second, text order is time order.
        else if (it->start_time.substr(0, 19) > it->complete_time.substr(0, 19))
            out += "TransferComplete StartTime " + it->start_time + " after CompleteTime " + it->complete_time + "; ";
    }
    return out;
}

std::string check_transfer_consistency(const cwmp::Inform& inform, const std::vector<cwmp::TransferComplete>& received) {
    std::string out;
    auto has = [&](std::string_view code, const std::string* key) {
        return std::any_of(inform.events.begin(), inform.events.end(),
                           [&](auto& e) { return e.event_code == code && (!key || e.command_key == *key); });
    };
    if (has("7 TRANSFER COMPLETE", nullptr) && received.empty())
        out += "Inform has 7 TRANSFER COMPLETE but no TransferComplete followed; ";
    for (auto& t : received) {
        if (!has("7 TRANSFER COMPLETE", nullptr))
            out += "TransferComplete '" + t.command_key + "' in a session without 7 TRANSFER COMPLETE; ";
        if (!has("M Download", &t.command_key) && !has("M Upload", &t.command_key))
            out += "TransferComplete '" + t.command_key + "' without M Download/M Upload with its CommandKey; ";
    }
    return out;
}

void emit_result(YAML::Emitter& out, const StepResult& r) {
    out << YAML::BeginMap;
    out << YAML::Key << "request" << YAML::Value << r.request;
    out << YAML::Key << "response" << YAML::Value << r.response;
    out << YAML::Key << "ok" << YAML::Value << r.ok;
    if (!r.problem.empty()) out << YAML::Key << "problem" << YAML::Value << r.problem;
    if (r.fault) out << YAML::Key << "fault" << YAML::Value << *r.fault;
    if (!r.values.empty()) {
        out << YAML::Key << "values" << YAML::Value << YAML::BeginMap;
        for (auto& [k, v] : r.values) out << YAML::Key << k << YAML::Value << v;
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
}
