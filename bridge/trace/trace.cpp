#include "bridge/trace/trace.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "bridge/http/encoding.hpp"

namespace trace {
namespace {

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
        if (n == 4 || i + n >= s.size() + (n == 0)) return false;
        for (std::size_t k = 1; k <= n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
        i += n + 1;
    }
    return true;
}

// What a literal block scalar can hold: XML as written by peers, with LF line
// ends and one final newline (both invisible to any XML parser).
std::string literal_form(std::string_view s) {
    std::string t;
    t.reserve(s.size() + 1);
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) t += s[i];
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t + "\n";
}

bool round_trips(const std::string& value, YAML::EMITTER_MANIP style) {
    YAML::Emitter e;
    e << YAML::BeginMap << YAML::Key << "v" << YAML::Value << style << value << YAML::EndMap;
    try {
        return YAML::Load(e.c_str())["v"].as<std::string>() == value;
    } catch (const YAML::Exception&) {
        return false;
    }
}

// Bodies are block literals when that reads back to an equivalent document,
// double-quoted when only exact escaping keeps them, base64 (key_base64) when
// they are not even UTF-8.
void emit_text(YAML::Emitter& out, const std::string& key, const std::string& value) {
    if (value.empty()) {
        out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << "";
        return;
    }
    if (valid_utf8(value)) {
        std::string lit = literal_form(value);
        bool printable = std::none_of(lit.begin(), lit.end(), [](char c) {
            auto u = static_cast<unsigned char>(c);
            return (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f;
        });
        if (printable && lit.front() != ' ' && lit.front() != '\t' && lit.front() != '\n' &&
            round_trips(lit, YAML::Literal)) {
            out << YAML::Key << key << YAML::Value << YAML::Literal << lit;
            return;
        }
        if (round_trips(value, YAML::DoubleQuoted)) {
            out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
            return;
        }
    }
    out << YAML::Key << key + "_base64" << YAML::Value << http::base64_encode(value);
}

std::string read_text(const YAML::Node& n, const std::string& key) {
    if (auto v = n[key]) return v.as<std::string>();
    if (auto b = n[key + "_base64"]) {
        auto decoded = http::base64_decode(b.as<std::string>());
        if (!decoded) throw YAML::Exception(b.Mark(), key + "_base64 is not valid base64");
        return *decoded;
    }
    return {};
}

void emit_headers(YAML::Emitter& out, const char* key, const http::Headers& h) {
    if (h.empty()) return;
    out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    for (auto& x : h) out << YAML::DoubleQuoted << (x.name + ": " + x.value);
    out << YAML::EndSeq;
}

http::Headers read_headers(const YAML::Node& n) {
    http::Headers h;
    if (!n) return h;
    for (auto x : n) {
        std::string line = x.as<std::string>();
        auto colon = line.find(':');
        if (colon == std::string::npos) throw YAML::Exception(x.Mark(), "header '" + line + "' lacks a ':'");
        std::string value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        h.push_back({line.substr(0, colon), value});
    }
    return h;
}

// The CPE state is itself YAML: embedded as a map so it reads like the state file.
void emit_state(YAML::Emitter& out, const char* key, const std::string& state) {
    if (state.empty()) return;
    out << YAML::Key << key << YAML::Value << YAML::Load(state);
}

std::string read_state(const YAML::Node& n) {
    if (!n) return {};
    YAML::Emitter e;
    e << n;
    return std::string(e.c_str()) + "\n";
}

void emit_acs(YAML::Emitter& out, const AcsExchange& x) {
    out << YAML::BeginMap << YAML::Key << "acs" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "request" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "method" << YAML::Value << x.method;
    out << YAML::Key << "target" << YAML::Value << x.target;
    emit_headers(out, "headers", x.request_headers);
    emit_text(out, "body", x.request_body);
    out << YAML::EndMap;
    out << YAML::Key << "response" << YAML::Value << YAML::BeginMap;
    if (x.status) {
        out << YAML::Key << "status" << YAML::Value << *x.status;
        emit_headers(out, "headers", x.response_headers);
        emit_text(out, "body", x.response_body);
    } else {
        out << YAML::Key << "error" << YAML::Value << x.error;
    }
    out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
}

void emit_cmp(YAML::Emitter& out, const CmpExchange& x) {
    out << YAML::BeginMap << YAML::Key << "cmp" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "function" << YAML::Value << x.function;
    emit_text(out, "request", x.request);
    if (x.failed()) {
        out << YAML::Key << "error" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "code" << YAML::Value << x.error_code;
        out << YAML::Key << "message" << YAML::Value << x.error_message;
        out << YAML::EndMap;
    }
    if (!x.response.empty() || !x.failed()) emit_text(out, "response", x.response);
    out << YAML::EndMap << YAML::EndMap;
}

AcsExchange read_acs(const YAML::Node& n) {
    AcsExchange x;
    auto req = n["request"];
    x.method = req["method"].as<std::string>("POST");
    x.target = req["target"].as<std::string>("");
    x.request_headers = read_headers(req["headers"]);
    x.request_body = read_text(req, "body");
    auto res = n["response"];
    if (res && res["status"]) {
        x.status = res["status"].as<int>();
        x.response_headers = read_headers(res["headers"]);
        x.response_body = read_text(res, "body");
    } else {
        x.error = res ? res["error"].as<std::string>("transport error") : "no response recorded";
    }
    return x;
}

CmpExchange read_cmp(const YAML::Node& n) {
    CmpExchange x;
    x.function = n["function"].as<std::string>("");
    x.request = read_text(n, "request");
    x.response = read_text(n, "response");
    if (auto e = n["error"]) {
        x.error_code = e["code"].as<std::string>("cmp.error");
        x.error_message = e["message"].as<std::string>("");
    }
    return x;
}

}  // namespace

// For reverse_trace.cpp: the same body and header forms.
namespace yaml_detail {
void emit_body(YAML::Emitter& out, const std::string& key, const std::string& value) { emit_text(out, key, value); }
std::string read_body(const YAML::Node& n, const std::string& key) { return read_text(n, key); }
void emit_header_list(YAML::Emitter& out, const char* key, const http::Headers& h) { emit_headers(out, key, h); }
http::Headers read_header_list(const YAML::Node& n) { return read_headers(n); }
}  // namespace yaml_detail

std::string to_yaml(const Trace& t) {
    YAML::Emitter out;
    out.SetIndent(2);
    out << YAML::BeginMap;
    out << YAML::Key << "format" << YAML::Value << t.format;
    out << YAML::Key << "recorded_at" << YAML::Value << t.recorded_at;
    out << YAML::Key << "recorded_by" << YAML::Value << t.recorded_by;
    if (!t.notes.empty()) {
        out << YAML::Key << "notes" << YAML::Value << YAML::BeginSeq;
        for (auto& n : t.notes) out << n;
        out << YAML::EndSeq;
    }
    out << YAML::Key << "gateway" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << t.gateway_id;
    out << YAML::Key << "url" << YAML::Value << t.gateway_url;
    out << YAML::EndMap;
    out << YAML::Key << "mapping" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << t.mapping_name;
    out << YAML::Key << "hash" << YAML::Value << t.mapping_hash;
    out << YAML::EndMap;
    out << YAML::Key << "cwmp_version" << YAML::Value << std::string(cwmp::to_string(t.cwmp_version));
    out << YAML::Key << "acs" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "url" << YAML::Value << t.acs_url;
    out << YAML::Key << "username" << YAML::Value << t.acs_username;
    out << YAML::EndMap;
    out << YAML::Key << "connection_request_url_base" << YAML::Value << t.cr_url_base;
    out << YAML::Key << "periodic_inform" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "enable" << YAML::Value << t.periodic_enable;
    out << YAML::Key << "interval_s" << YAML::Value << t.periodic_interval << YAML::EndMap;
    out << YAML::Key << "retry_count" << YAML::Value << t.retry_count;
    if (t.reuse_answers_ms != 0) {
        out << YAML::Key << "cmp" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "reuse_answers_ms" << YAML::Value << t.reuse_answers_ms << YAML::EndMap;
    }
    out << YAML::Key << "events" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (auto& e : t.events) out << e;
    out << YAML::EndSeq;
    if (!t.changed.empty()) {
        out << YAML::Key << "changed" << YAML::Value << YAML::BeginSeq;
        for (auto& p : t.changed)
            out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name << YAML::Key << "value"
                << YAML::Value << p.value << YAML::Key << "type" << YAML::Value << p.type << YAML::EndMap;
        out << YAML::EndSeq;
    }
    emit_state(out, "start_state", t.start_state);
    out << YAML::Key << "exchanges" << YAML::Value << YAML::BeginSeq;
    for (auto& x : t.exchanges) {
        if (auto* a = std::get_if<AcsExchange>(&x)) emit_acs(out, *a);
        else emit_cmp(out, std::get<CmpExchange>(x));
    }
    out << YAML::EndSeq;
    out << YAML::Key << "result" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "ok" << YAML::Value << t.ok;
    if (!t.error.empty()) out << YAML::Key << "error" << YAML::Value << t.error;
    out << YAML::EndMap;
    emit_state(out, "end_state", t.end_state);
    out << YAML::EndMap;
    return "# cmp-cwmp-bridge session trace (docs/traces.md)\n" + std::string(out.c_str()) + "\n";
}

core::Result<Trace> parse(std::string_view text, const std::string& name) {
    Trace t;
    try {
        YAML::Node doc = YAML::Load(std::string(text));
        if (!doc.IsMap()) return core::make_error("trace.invalid", name + ": a trace is a YAML map");
        t.format = doc["format"].as<int>(0);
        if (t.format != kFormat)
            return core::make_error("trace.invalid", name + ": unknown trace format " + std::to_string(t.format));
        t.recorded_at = doc["recorded_at"].as<std::string>("");
        t.recorded_by = doc["recorded_by"].as<std::string>("");
        for (auto n : doc["notes"]) t.notes.push_back(n.as<std::string>());
        t.gateway_id = doc["gateway"]["id"].as<std::string>("");
        t.gateway_url = doc["gateway"]["url"].as<std::string>("");
        t.mapping_name = doc["mapping"]["name"].as<std::string>("");
        t.mapping_hash = doc["mapping"]["hash"].as<std::string>("");
        auto v = cwmp::version_from_string(doc["cwmp_version"].as<std::string>("cwmp-1-0"));
        if (!v) return core::make_error("trace.invalid", name + ": unknown cwmp_version");
        t.cwmp_version = *v;
        t.acs_url = doc["acs"]["url"].as<std::string>("");
        t.acs_username = doc["acs"]["username"].as<std::string>("");
        t.cr_url_base = doc["connection_request_url_base"].as<std::string>("");
        if (auto p = doc["periodic_inform"]) {
            t.periodic_enable = p["enable"].as<bool>(true);
            t.periodic_interval = p["interval_s"].as<std::uint32_t>(3600);
        }
        t.retry_count = doc["retry_count"].as<std::uint32_t>(0);
        if (auto c = doc["cmp"]; c && c.IsMap()) t.reuse_answers_ms = c["reuse_answers_ms"].as<std::uint32_t>(0);
        for (auto e : doc["events"]) t.events.push_back(e.as<std::string>());
        for (auto c : doc["changed"])
            t.changed.push_back({c["name"].as<std::string>(), c["value"].as<std::string>(""),
                                 c["type"].as<std::string>("xsd:string")});
        t.start_state = read_state(doc["start_state"]);
        if (t.gateway_id.empty()) return core::make_error("trace.invalid", name + ": gateway.id is missing");
        if (t.start_state.empty()) return core::make_error("trace.invalid", name + ": start_state is missing");
        for (auto x : doc["exchanges"]) {
            if (x["acs"]) t.exchanges.emplace_back(read_acs(x["acs"]));
            else if (x["cmp"]) t.exchanges.emplace_back(read_cmp(x["cmp"]));
            else
                return core::make_error("trace.invalid", name + ":" + std::to_string(x.Mark().line + 1) +
                                                             ": an exchange is either 'acs' or 'cmp'");
        }
        t.ok = doc["result"]["ok"].as<bool>(false);
        t.error = doc["result"]["error"].as<std::string>("");
        t.end_state = read_state(doc["end_state"]);
    } catch (const YAML::Exception& e) {
        return core::make_error("trace.invalid", name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                     std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    return t;
}

core::Result<Trace> load_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return core::make_error("trace.io", file.string() + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), file.string());
}

core::Status write_text_file(const std::string& text, const std::filesystem::path& file, bool private_file) {
    std::filesystem::path tmp = file;
    tmp += ".tmp." + std::to_string(std::random_device{}());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) return core::make_error("trace.io", tmp.string() + ": cannot write");
    }
    std::error_code ec;
    if (private_file)
        std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    std::filesystem::rename(tmp, file, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return core::make_error("trace.io", file.string() + ": cannot rename into place");
    }
    return core::Ok{};
}

core::Status save_file(const Trace& t, const std::filesystem::path& file) { return write_text_file(to_yaml(t), file); }

std::string describe(const Exchange& e) {
    if (auto* a = std::get_if<AcsExchange>(&e)) {
        std::string s = "acs " + a->method + " " + a->target;
        s += a->status ? " -> " + std::to_string(*a->status) : " -> transport error";
        return s;
    }
    auto& c = std::get<CmpExchange>(e);
    return "cmp " + c.function + (c.failed() ? " -> " + c.error_code : "");
}

}  // namespace trace
