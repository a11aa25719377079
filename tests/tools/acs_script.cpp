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
            if (p["notification"].IsDefined()) {
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
        d.delay_seconds = s["delay_seconds"].as<std::uint32_t>(0);
        return cwmp::Body(d);
    }
    if (rpc == "Upload") {
        cwmp::Upload u;
        u.command_key = s["command_key"].as<std::string>("");
        u.file_type = s["file_type"].as<std::string>("1 Vendor Configuration File");
        u.url = s["url"].as<std::string>("");
        return cwmp::Body(u);
    }
    if (rpc == "Unknown") return cwmp::Body(cwmp::UnknownRpc{s["name"].as<std::string>("X_Bogus"), ""});
    return core::make_error("script.rpc", "unknown rpc '" + rpc + "'");
}

core::Result<AcsStep> load_step(const YAML::Node& s, const std::string& path) {
    auto m = s.Mark();
    auto body = build(s);
    if (!body) return core::make_error("script", path + ":" + std::to_string(m.line + 1) + ": " + body.error().message);
    AcsStep step;
    step.request = std::move(*body);
    if (s["expect_fault"]) step.expect_fault = s["expect_fault"].as<std::uint32_t>();
    step.expect_response = s["expect_response"].as<std::string>(std::string(cwmp::rpc_name(step.request)) + "Response");
    for (auto kv : s["expect_values"]) step.expect_values[kv.first.as<std::string>()] = kv.second.as<std::string>("");
    for (auto kv : s["expect_types"]) step.expect_types[kv.first.as<std::string>()] = kv.second.as<std::string>();
    step.expect_names = strings(s["expect_names"]);
    step.expect_absent = strings(s["expect_absent"]);
    if (s["expect_count"]) step.expect_count = s["expect_count"].as<std::size_t>();
    for (auto kv : s["expect_writable"]) step.expect_writable[kv.first.as<std::string>()] = kv.second.as<bool>();
    for (auto kv : s["expect_notification"]) step.expect_notification[kv.first.as<std::string>()] = kv.second.as<int>();
    for (auto kv : s["expect_param_faults"])
        step.expect_param_faults[kv.first.as<std::string>()] = kv.second.as<std::uint32_t>();
    if (s["expect_status"]) step.expect_status = s["expect_status"].as<int>();
    if (s["expect_methods"]) step.expect_methods = strings(s["expect_methods"]);
    return step;
}

core::Result<SessionScript> load_session(const YAML::Node& n, const std::string& path) {
    SessionScript session;
    session.expect_events = strings(n["expect_events"]);
    session.forbid_events = strings(n["forbid_events"]);
    session.wait_for_events = n["wait_for_events"].as<bool>(false);
    if (session.wait_for_events && session.expect_events.empty())
        return core::make_error("script", path + ":" + std::to_string(n.Mark().line + 1) +
                                              ": wait_for_events needs expect_events");
    for (auto s : n["steps"]) {
        auto step = load_step(s, path);
        if (!step) return step.error();
        session.steps.push_back(std::move(*step));
    }
    if (auto tc = n["expect_transfer_complete"]) {
        if (!tc.IsMap() || !tc["command_key"])
            return core::make_error("script", path + ":" + std::to_string(tc.Mark().line + 1) +
                                                  ": expect_transfer_complete needs at least command_key");
        ExpectTransfer e;
        e.command_key = tc["command_key"].as<std::string>();
        e.fault_code = tc["fault_code"].as<std::uint32_t>(0);
        e.times_known = tc["times_known"].as<bool>(e.fault_code == 0);
        session.expect_transfer_complete = e;
    }
    if (auto cr = n["connection_request"]) {
        CrAction a;
        a.username = cr["username"].as<std::string>("");
        a.password = cr["password"].as<std::string>("");
        a.wrong_password_first = cr["wrong_password_first"].as<bool>(false);
        a.expect_status = cr["expect_status"].as<int>(200);
        a.delay_ms = cr["delay_ms"].as<unsigned>(100);
        session.connection_request = a;
    }
    return session;
}

}  // namespace

const SessionScript* AcsScript::session(std::size_t n) const {
    if (repeat) return sessions.empty() ? nullptr : &sessions[0];
    return n < sessions.size() ? &sessions[n] : nullptr;
}

core::Result<AcsScript> load_script(const std::string& path) {
    AcsScript script;
    try {
        YAML::Node doc = YAML::LoadFile(path);
        if (doc["sessions"]) {
            for (auto n : doc["sessions"]) {
                auto s = load_session(n, path);
                if (!s) return s.error();
                script.sessions.push_back(std::move(*s));
            }
        } else {
            auto s = load_session(doc, path);
            if (!s) return s.error();
            script.sessions.push_back(std::move(*s));
            script.repeat = true;
        }
    } catch (const YAML::Exception& e) {
        return core::make_error("script", path + ": " + e.what());
    }
    return script;
}
