#include "tests/tools/acs_script.hpp"

namespace {

std::vector<std::string> strings(const YAML::Node& n) {
    std::vector<std::string> v;
    if (n && n.IsSequence())
        for (auto x : n) v.push_back(x.as<std::string>());
    else if (n && n.IsScalar())
        v.push_back(n.as<std::string>());
    return v;
}

core::Result<cwmp::Body> build(const YAML::Node& s) {
    std::string rpc = s["rpc"].as<std::string>("");
    if (rpc == "GetParameterValues") return cwmp::Body(cwmp::GetParameterValues{strings(s["names"])});
    if (rpc == "GetParameterNames")
        return cwmp::Body(cwmp::GetParameterNames{s["path"].as<std::string>(""), s["next_level"].as<bool>(false)});
    if (rpc == "GetParameterAttributes") return cwmp::Body(cwmp::GetParameterAttributes{strings(s["names"])});
    if (rpc == "SetParameterValues") {
        cwmp::SetParameterValues spv;
        for (auto p : s["parameters"])
            spv.parameters.push_back({p["name"].as<std::string>(), p["value"].as<std::string>(""),
                                      p["type"].as<std::string>("xsd:string")});
        spv.parameter_key = s["parameter_key"].as<std::string>("");
        return cwmp::Body(spv);
    }
    if (rpc == "SetParameterAttributes") {
        cwmp::SetParameterAttributes spa;
        for (auto p : s["parameters"]) {
            cwmp::SetParameterAttributesStruct a;
            a.name = p["name"].as<std::string>();
            if (p["notification"]) {
                a.notification_change = true;
                a.notification = p["notification"].as<int>();
            }
            if (p["access_list"]) {
                a.access_list_change = true;
                a.access_list = strings(p["access_list"]);
            }
            spa.parameters.push_back(a);
        }
        return cwmp::Body(spa);
    }
    if (rpc == "GetRPCMethods") return cwmp::Body(cwmp::GetRPCMethods{});
    if (rpc == "AddObject") return cwmp::Body(cwmp::AddObject{s["object"].as<std::string>(), s["parameter_key"].as<std::string>("")});
    if (rpc == "DeleteObject")
        return cwmp::Body(cwmp::DeleteObject{s["object"].as<std::string>(), s["parameter_key"].as<std::string>("")});
    if (rpc == "Reboot") return cwmp::Body(cwmp::Reboot{s["command_key"].as<std::string>("")});
    if (rpc == "FactoryReset") return cwmp::Body(cwmp::FactoryReset{});
    if (rpc == "ScheduleInform")
        return cwmp::Body(cwmp::ScheduleInform{s["delay_seconds"].as<std::uint32_t>(1), s["command_key"].as<std::string>("")});
    if (rpc == "Download") {
        cwmp::Download d;
        d.command_key = s["command_key"].as<std::string>("");
        d.file_type = s["file_type"].as<std::string>("1 Firmware Upgrade Image");
        d.url = s["url"].as<std::string>("");
        d.file_size = s["file_size"].as<std::uint32_t>(0);
        return cwmp::Body(d);
    }
    if (rpc == "Unknown") return cwmp::Body(cwmp::UnknownRpc{s["name"].as<std::string>("X_Bogus"), ""});
    return core::make_error("script.rpc", "unknown rpc '" + rpc + "'");
}

}  // namespace

core::Result<AcsScript> load_script(const std::string& path) {
    AcsScript script;
    try {
        YAML::Node doc = YAML::LoadFile(path);
        for (auto s : doc["steps"]) {
            auto m = s.Mark();
            auto body = build(s);
            if (!body)
                return core::make_error("script", path + ":" + std::to_string(m.line + 1) + ": " + body.error().message);
            AcsStep step;
            step.request = std::move(*body);
            if (s["expect_fault"]) step.expect_fault = s["expect_fault"].as<std::uint32_t>();
            step.expect_response = s["expect_response"].as<std::string>(std::string(cwmp::rpc_name(step.request)) + "Response");
            script.steps.push_back(std::move(step));
        }
    } catch (const YAML::Exception& e) {
        return core::make_error("script", path + ": " + e.what());
    }
    return script;
}

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
    }
    return s;
}

StepResult check_step(const AcsStep& step, const cwmp::Envelope& env) {
    StepResult r;
    r.request = std::string(cwmp::rpc_name(step.request));
    r.response = std::string(cwmp::rpc_name(env.body));
    if (auto* f = std::get_if<cwmp::Fault>(&env.body)) {
        r.fault = f->code;
        r.summary = "Fault " + std::to_string(f->code) + " \"" + f->string + "\"";
        for (auto& sf : f->set_parameter_values_faults)
            r.summary += "; " + sf.parameter_name + ": " + std::to_string(sf.fault_code);
    } else if (auto* gpv = std::get_if<cwmp::GetParameterValuesResponse>(&env.body)) {
        r.summary = r.response;
        for (auto& p : gpv->parameters) {
            r.values.emplace_back(p.name, p.value);
            r.summary += "\n        " + p.name + " = " + p.value + "  (" + p.type + ")";
        }
    } else if (auto* gpn = std::get_if<cwmp::GetParameterNamesResponse>(&env.body)) {
        r.summary = r.response + " (" + std::to_string(gpn->parameters.size()) + " names)";
        for (auto& p : gpn->parameters) r.values.emplace_back(p.name, p.writable ? "1" : "0");
    } else {
        r.summary = r.response;
    }
    if (step.expect_fault) {
        if (!r.fault || *r.fault != *step.expect_fault) {
            r.ok = false;
            r.problem = "expected fault " + std::to_string(*step.expect_fault) + ", got " + r.response +
                        (r.fault ? " " + std::to_string(*r.fault) : "");
        }
    } else if (r.response != step.expect_response) {
        r.ok = false;
        r.problem = "expected " + step.expect_response + ", got " + r.summary;
    }
    return r;
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
