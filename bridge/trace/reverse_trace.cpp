#include "bridge/trace/reverse_trace.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "bridge/trace/trace.hpp"
#include "bridge/trace/yaml_detail.hpp"

namespace trace {
namespace {

using namespace yaml_detail;

void emit_record(YAML::Emitter& out, const acs::CpeRecord& r) {
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << r.id;
    out << YAML::Key << "device_id" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "manufacturer" << YAML::Value << r.device_id.manufacturer;
    out << YAML::Key << "oui" << YAML::Value << r.device_id.oui;
    out << YAML::Key << "product_class" << YAML::Value << r.device_id.product_class;
    out << YAML::Key << "serial_number" << YAML::Value << r.device_id.serial_number << YAML::EndMap;
    out << YAML::Key << "root" << YAML::Value << r.root;
    out << YAML::Key << "cwmp_version" << YAML::Value << std::string(cwmp::to_string(r.version));
    out << YAML::Key << "connection_request_url" << YAML::Value << r.connection_request_url;
    if (r.periodic_interval) out << YAML::Key << "periodic_interval_s" << YAML::Value << r.periodic_interval->count();
    out << YAML::Key << "informs" << YAML::Value << r.informs;
    out << YAML::Key << "discovered" << YAML::Value << r.discovered;
    auto list = [&](const char* key, const auto& names) {
        out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
        for (const auto& n : names) out << n;
        out << YAML::EndSeq;
    };
    list("watch", r.watch);
    list("notification_active", r.notification_active);
    list("notification_refused", r.notification_refused);
    if (!r.notification_error.empty()) out << YAML::Key << "notification_error" << YAML::Value << r.notification_error;
    if (r.gone) out << YAML::Key << "gone" << YAML::Value << true;
    // Names as discovered, writable ones marked: a whole tree is a thousand short lines.
    std::vector<std::string> writable, read_only;
    for (const auto& [name, w] : r.names) (w ? writable : read_only).push_back(name);
    list("names_writable", writable);
    list("names_read_only", read_only);
    out << YAML::EndMap;
}

acs::CpeRecord read_record(const YAML::Node& n) {
    acs::CpeRecord r;
    r.id = n["id"].as<std::string>("");
    if (auto d = n["device_id"]) {
        r.device_id.manufacturer = d["manufacturer"].as<std::string>("");
        r.device_id.oui = d["oui"].as<std::string>("");
        r.device_id.product_class = d["product_class"].as<std::string>("");
        r.device_id.serial_number = d["serial_number"].as<std::string>("");
    }
    r.root = n["root"].as<std::string>("");
    auto v = cwmp::version_from_string(n["cwmp_version"].as<std::string>("cwmp-1-0"));
    if (!v) throw YAML::Exception(n["cwmp_version"].Mark(), "unknown cwmp_version");
    r.version = *v;
    r.connection_request_url = n["connection_request_url"].as<std::string>("");
    if (auto p = n["periodic_interval_s"]) r.periodic_interval = std::chrono::seconds(p.as<std::int64_t>());
    r.informs = n["informs"].as<std::uint64_t>(0);
    r.discovered = n["discovered"].as<bool>(false);
    for (auto x : n["watch"]) r.watch.push_back(x.as<std::string>());
    for (auto x : n["notification_active"]) r.notification_active.insert(x.as<std::string>());
    for (auto x : n["notification_refused"]) r.notification_refused.insert(x.as<std::string>());
    r.notification_error = n["notification_error"].as<std::string>("");
    r.gone = n["gone"].as<bool>(false);
    for (auto x : n["names_writable"]) r.names[x.as<std::string>()] = true;
    for (auto x : n["names_read_only"]) r.names[x.as<std::string>()] = false;
    return r;
}

void emit_step(YAML::Emitter& out, const ReverseStep& s) {
    out << YAML::BeginMap;
    if (auto* p = std::get_if<CpePost>(&s)) {
        out << YAML::Key << "cpe" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "session" << YAML::Value << p->session;
        out << YAML::Key << "request" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "method" << YAML::Value << p->method;
        emit_header_list(out, "headers", p->request_headers);
        emit_body(out, "body", p->request_body);
        out << YAML::EndMap << YAML::Key << "response" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "status" << YAML::Value << p->status;
        emit_header_list(out, "headers", p->response_headers);
        emit_body(out, "body", p->response_body);
        out << YAML::EndMap << YAML::EndMap;
    } else if (auto* c = std::get_if<SessionClosed>(&s)) {
        out << YAML::Key << "session_closed" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "session" << YAML::Value << c->session;
        out << YAML::Key << "why" << YAML::Value << c->why << YAML::EndMap;
    } else if (auto* h = std::get_if<HomsRequest>(&s)) {
        emit_body(out, "homs_request", h->xml);
    } else if (auto* f = std::get_if<RpcFailed>(&s)) {
        out << YAML::Key << "rpc_failed" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "code" << YAML::Value << f->code;
        out << YAML::Key << "message" << YAML::Value << f->message << YAML::EndMap;
    } else if (auto* q = std::get_if<Queued>(&s)) {
        out << YAML::Key << "queued" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "by" << YAML::Value << q->by;
        emit_body(out, "rpc", q->rpc);
        out << YAML::EndMap;
    } else if (auto* t = std::get_if<ToHoms>(&s)) {
        out << YAML::Key << "to_homs" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "function" << YAML::Value << t->function;
        emit_body(out, "message", t->xml);
        out << YAML::EndMap;
    } else {
        emit_body(out, "homs_response", std::get<HomsResponse>(s).xml);
    }
    out << YAML::EndMap;
}

ReverseStep read_step(const YAML::Node& x, const std::string& name) {
    if (auto c = x["cpe"]) {
        CpePost p;
        p.session = c["session"].as<std::uint32_t>(1);
        auto req = c["request"];
        p.method = req["method"].as<std::string>("POST");
        p.request_headers = read_header_list(req["headers"]);
        p.request_body = read_body(req, "body");
        auto res = c["response"];
        p.status = res["status"].as<int>(0);
        p.response_headers = read_header_list(res["headers"]);
        p.response_body = read_body(res, "body");
        return p;
    }
    if (auto c = x["session_closed"]) return SessionClosed{c["session"].as<std::uint32_t>(1), c["why"].as<std::string>("")};
    if (x["homs_request"] || x["homs_request_base64"]) return HomsRequest{read_body(x, "homs_request")};
    if (auto f = x["rpc_failed"]) return RpcFailed{f["code"].as<std::string>(""), f["message"].as<std::string>("")};
    if (auto q = x["queued"]) return Queued{q["by"].as<std::string>(""), read_body(q, "rpc")};
    if (auto t = x["to_homs"]) return ToHoms{t["function"].as<std::string>(""), read_body(t, "message")};
    if (x["homs_response"] || x["homs_response_base64"]) return HomsResponse{read_body(x, "homs_response")};
    throw YAML::Exception(x.Mark(), name + ": a step is one of cpe, session_closed, homs_request, rpc_failed, queued, "
                                           "to_homs, homs_response");
}

}  // namespace

bool is_reverse_trace(std::string_view yaml) {
    try {
        YAML::Node doc = YAML::Load(std::string(yaml));
        return doc.IsMap() && doc["direction"] && doc["direction"].as<std::string>("") == "reverse";
    } catch (const YAML::Exception&) {
        return false;  // the forward parser says what is wrong with it
    }
}

bool is_reverse_trace_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return is_reverse_trace(ss.str());
}

std::string record_to_yaml(const acs::CpeRecord& r) {
    YAML::Emitter out;
    emit_record(out, r);
    return std::string(out.c_str()) + "\n";
}

core::Result<acs::CpeRecord> record_from_yaml(std::string_view yaml) {
    try {
        return read_record(YAML::Load(std::string(yaml)));
    } catch (const YAML::Exception& e) {
        return core::make_error("trace.invalid", "cpe record: " + e.msg);
    }
}

std::string to_yaml(const ReverseTrace& t) {
    YAML::Emitter out;
    out.SetIndent(2);
    out << YAML::BeginMap;
    out << YAML::Key << "format" << YAML::Value << t.format;
    out << YAML::Key << "direction" << YAML::Value << "reverse";
    out << YAML::Key << "recorded_at" << YAML::Value << t.recorded_at;
    out << YAML::Key << "recorded_by" << YAML::Value << t.recorded_by;
    if (!t.notes.empty()) {
        out << YAML::Key << "notes" << YAML::Value << YAML::BeginSeq;
        for (auto& n : t.notes) out << n;
        out << YAML::EndSeq;
    }
    out << YAML::Key << "cpe" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << t.cpe_id;
    out << YAML::Key << "rg_id" << YAML::Value << t.rg_id << YAML::EndMap;
    out << YAML::Key << "mapping" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << t.mapping_name;
    out << YAML::Key << "hash" << YAML::Value << t.mapping_hash << YAML::EndMap;
    if (!t.function.empty()) out << YAML::Key << "function" << YAML::Value << t.function;
    out << YAML::Key << "events" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (auto& e : t.events) out << e;
    out << YAML::EndSeq;
    out << YAML::Key << "start_record" << YAML::Value;
    emit_record(out, t.start_record);
    out << YAML::Key << "start_events" << YAML::Value << YAML::Load(t.start_events.save());
    out << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
    for (auto& s : t.steps) emit_step(out, s);
    out << YAML::EndSeq << YAML::EndMap;
    return "# cmp-cwmp-bridge reverse session trace (docs/traces.md)\n" + std::string(out.c_str()) + "\n";
}

core::Result<ReverseTrace> parse_reverse(std::string_view text, const std::string& name) {
    ReverseTrace t;
    try {
        YAML::Node doc = YAML::Load(std::string(text));
        if (!doc.IsMap()) return core::make_error("trace.invalid", name + ": a trace is a YAML map");
        t.format = doc["format"].as<int>(0);
        if (t.format != kFormat)
            return core::make_error("trace.invalid", name + ": unknown trace format " + std::to_string(t.format));
        if (doc["direction"].as<std::string>("") != "reverse")
            return core::make_error("trace.invalid", name + ": not a reverse trace (direction: reverse)");
        t.recorded_at = doc["recorded_at"].as<std::string>("");
        t.recorded_by = doc["recorded_by"].as<std::string>("");
        for (auto n : doc["notes"]) t.notes.push_back(n.as<std::string>());
        t.cpe_id = doc["cpe"]["id"].as<std::string>("");
        t.rg_id = doc["cpe"]["rg_id"].as<std::string>("");
        t.mapping_name = doc["mapping"]["name"].as<std::string>("");
        t.mapping_hash = doc["mapping"]["hash"].as<std::string>("");
        t.function = doc["function"].as<std::string>("");
        for (auto e : doc["events"]) t.events.push_back(e.as<std::string>());
        if (t.cpe_id.empty()) return core::make_error("trace.invalid", name + ": cpe.id is missing");
        if (!doc["start_record"]) return core::make_error("trace.invalid", name + ": start_record is missing");
        t.start_record = read_record(doc["start_record"]);
        if (auto ev = doc["start_events"]) {
            YAML::Emitter e;
            e << ev;
            if (auto st = t.start_events.load(e.c_str()); !st)
                return core::make_error("trace.invalid", name + ": start_events: " + st.error().message);
        }
        for (auto x : doc["steps"]) t.steps.push_back(read_step(x, name));
    } catch (const YAML::Exception& e) {
        return core::make_error("trace.invalid", name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                     std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    return t;
}

core::Result<ReverseTrace> load_reverse_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return core::make_error("trace.io", file.string() + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_reverse(ss.str(), file.string());
}

core::Status save_file(const ReverseTrace& t, const std::filesystem::path& file) {
    return write_text_file(to_yaml(t), file);
}

std::string describe(const ReverseStep& s) {
    if (auto* p = std::get_if<CpePost>(&s))
        return "cpe " + p->method + (p->request_body.empty() ? " (empty)" : "") + " -> " + std::to_string(p->status) +
               " (session " + std::to_string(p->session) + ")";
    if (auto* c = std::get_if<SessionClosed>(&s)) return "session " + std::to_string(c->session) + " closed: " + c->why;
    if (std::holds_alternative<HomsRequest>(s)) return "homs request";
    if (auto* f = std::get_if<RpcFailed>(&s)) return "rpc failed: " + f->code;
    if (auto* q = std::get_if<Queued>(&s)) return "queued by " + q->by;
    if (auto* t = std::get_if<ToHoms>(&s)) return "to homs " + t->function;
    return "homs response";
}

}  // namespace trace
