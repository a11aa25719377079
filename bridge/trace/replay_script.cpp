#include "bridge/trace/replay_script.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "bridge/cmp/catalogue.hpp"
#include "bridge/cmp/codec.hpp"
#include "bridge/core/clock.hpp"
#include "bridge/http/message.hpp"
#include "bridge/trace/text.hpp"

namespace trace {
namespace {

std::string lower(std::string_view s) { return http::to_lower(s); }

using text::trim;

// A recorded Expires date is in the past by the time the trace is replayed;
// the cookie is kept as a session cookie instead.
std::string without_expires(const std::string& set_cookie) {
    std::string out;
    std::string_view rest = set_cookie;
    bool first = true;
    while (!rest.empty() || first) {
        auto semi = rest.find(';');
        std::string_view part = rest.substr(0, semi);
        if (first || lower(trim(part)).rfind("expires", 0) != 0) out += (first ? "" : ";") + std::string(part);
        first = false;
        if (semi == std::string_view::npos) break;
        rest = rest.substr(semi + 1);
    }
    return out;
}

void flatten(const YAML::Node& n, const std::string& path, std::map<std::string, std::string>& out) {
    if (n.IsMap()) {
        if (n.size() == 0) out[path] = "{}";
        for (auto it = n.begin(); it != n.end(); ++it)
            flatten(it->second, path.empty() ? it->first.as<std::string>() : path + "." + it->first.as<std::string>(), out);
    } else if (n.IsSequence()) {
        out[path + ".length"] = std::to_string(n.size());
        for (std::size_t i = 0; i < n.size(); ++i) flatten(n[i], path + "[" + std::to_string(i) + "]", out);
    } else if (n.IsScalar()) {
        out[path] = n.Scalar();
    } else {
        out[path] = "~";
    }
}

bool is_number(std::string_view s) {
    if (!s.empty() && s.front() == '-') s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Values the CPE takes from its clock when a session sets them up: when a
// ScheduleInform is due, when a transfer was accepted (Unix seconds).
bool is_clock_key(std::string_view path) {
    auto dot = path.find_last_of('.');
    std::string_view key = dot == std::string_view::npos ? path : path.substr(dot + 1);
    return key == "due" || key == "accepted" || key.ends_with("_unix");
}

std::string describe_request(const http::Request& r) {
    return r.method + " " + r.target + (r.body.empty() ? " (empty body)" : "");
}

}  // namespace

std::vector<Line> render_request(std::string_view method, std::string_view target, const http::Headers& headers,
                                 std::string_view body) {
    std::vector<Line> out{{std::string(method) + " " + std::string(target), "request"}};
    std::vector<std::string> hs;
    for (auto& h : headers) {
        std::string v = h.value;
        if (http::iequals(h.name, "Authorization")) {
            v = v.substr(0, v.find(' '));
        } else if (http::iequals(h.name, "Content-Type")) {
            v = lower(trim(v.substr(0, v.find(';'))));
        } else if (http::iequals(h.name, "Cookie")) {
            std::vector<std::string> names;
            std::string_view rest = h.value;
            while (!rest.empty()) {
                auto semi = rest.find(';');
                auto pair = trim(rest.substr(0, semi));
                if (!pair.empty()) names.emplace_back(pair.substr(0, pair.find('=')));
                rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            }
            std::sort(names.begin(), names.end());
            v.clear();
            for (auto& n : names) v += (v.empty() ? "" : "; ") + n;
        } else if (!http::iequals(h.name, "SOAPAction")) {
            continue;
        }
        hs.push_back("header " + lower(h.name) + ": " + v);
    }
    std::sort(hs.begin(), hs.end());
    for (auto& h : hs) out.push_back({h, "headers"});
    for (auto& l : render_body(body)) out.push_back({"  " + l.text, "body/" + l.path});
    return out;
}

Comparison compare_states(const std::string& recorded, const std::string& actual) {
    std::map<std::string, std::string> a, b;
    try {
        flatten(YAML::Load(recorded), "", a);
        flatten(YAML::Load(actual), "", b);
    } catch (const YAML::Exception& e) {
        Comparison c;
        c.equal = false;
        c.first_path = "state";
        c.expected = "a CPE state";
        c.actual = "unreadable: " + e.msg;
        return c;
    }
    std::vector<Line> exp, act;
    for (auto& [path, value] : a) {
        auto it = b.find(path);
        std::string now = it == b.end() ? "(absent)" : it->second;
        bool clock = is_clock_key(path) && is_number(value) && is_number(now);
        exp.push_back({path + " = " + (clock ? "<clock>" : value), path});
        act.push_back({path + " = " + (clock ? "<clock>" : now), path});
    }
    return compare_lines(exp, act);
}

ReplayScript::ReplayScript(const Trace& trace, bool update)
    : trace_(trace), update_(update), used_(trace.exchanges.size(), false) {}

std::size_t ReplayScript::first_unused() const {
    std::size_t i = 0;
    while (i < used_.size() && used_[i]) ++i;
    return i;
}

void ReplayScript::diverge(std::size_t step, std::string what, const Comparison& c) {
    if (divergence_) return;
    divergence_ = Divergence{step, std::move(what), c.expected, c.actual, c.diff};
    if (!c.first_path.empty()) divergence_->what += " (at " + c.first_path + ")";
}

void ReplayScript::diverge(std::size_t step, std::string what, std::string expected, std::string actual) {
    if (divergence_) return;
    divergence_ = Divergence{step, std::move(what), std::move(expected), std::move(actual), {}};
}

core::Result<http::Response> ReplayScript::answer(const AcsExchange& x) const {
    if (!x.status) return core::make_error("net.replay", x.error);
    http::Response r;
    r.status = *x.status;
    for (auto& h : x.response_headers)
        r.headers.push_back({h.name, http::iequals(h.name, "Set-Cookie") ? without_expires(h.value) : h.value});
    r.body = x.response_body;
    return r;
}

core::Result<cmp::Response> ReplayScript::answer(const CmpExchange& x, const std::string& function) const {
    if (x.failed()) return core::make_error(x.error_code, x.error_message);
    // The same decoding as cmp::GatewayClient, on the recorded bytes.
    auto decoded = cmp::decode_response(x.response, {}, &cmp::Catalogue::builtin(), function);
    if (!decoded)
        return core::make_error(decoded.error().code, "gateway " + trace_.gateway_id + " sent an undecodable " + function +
                                                          " response: " + decoded.error().message);
    return decoded;
}

core::Result<http::Response> ReplayScript::on_acs(const http::Url& url, const http::Request& req) {
    if (divergence_) return core::make_error("net.replay", "replay stopped at the first divergence");
    http::Request sent = req;
    if (sent.target.empty()) sent.target = url.target;
    sent.headers = redactor_.request_headers(req.headers);
    sent.body = redactor_.body(req.body);
    const auto actual = render_request(sent.method, sent.target, sent.headers, sent.body);
    ++replayed_;

    if (update_) {
        for (std::size_t i = 0; i < used_.size(); ++i) {
            auto* x = std::get_if<AcsExchange>(&trace_.exchanges[i]);
            if (used_[i] || !x) continue;
            used_[i] = true;
            AcsExchange now = *x;
            now.method = sent.method;
            now.target = sent.target;
            now.request_headers = sent.headers;
            now.request_body = sent.body;
            now_.emplace_back(now);
            return answer(*x);
        }
        diverge(trace_.exchanges.size() + 1, "the bridge sent one more HTTP request than the trace has ACS answers",
                "(no ACS answer left)", describe_request(sent));
        return core::make_error("net.replay", "no recorded ACS answer left");
    }

    std::size_t i = first_unused();
    if (i == trace_.exchanges.size()) {
        diverge(i + 1, "the bridge sent an HTTP request after the end of the trace", compare_lines({}, actual));
        return core::make_error("net.replay", "trace ended");
    }
    if (auto* c = std::get_if<CmpExchange>(&trace_.exchanges[i])) {
        diverge(i + 1, "the bridge sent an HTTP request where the trace has the CMP call " + c->function,
                "cmp " + c->function, describe_request(sent));
        return core::make_error("net.replay", "diverged");
    }
    const auto& x = std::get<AcsExchange>(trace_.exchanges[i]);
    auto cmp = compare_lines(render_request(x.method, x.target, x.request_headers, x.request_body), actual);
    if (!cmp.equal) {
        diverge(i + 1, "the bridge's HTTP request differs", cmp);
        return core::make_error("net.replay", "diverged");
    }
    used_[i] = true;
    return answer(x);
}

core::Result<cmp::Response> ReplayScript::on_cmp(cmp::Request req) {
    if (divergence_) return core::make_error("net.replay", "replay stopped at the first divergence");
    // What cmp::GatewayClient would put in the header.
    req.header.rg_id = trace_.gateway_id;
    req.header.transaction_id = std::to_string(++transaction_);
    req.header.time_stamp = core::now_utc();
    const std::string xml = redactor_.body(cmp::encode(req));
    const auto actual = render_body(xml);
    ++replayed_;

    if (update_) {
        for (std::size_t i = 0; i < used_.size(); ++i) {
            auto* x = std::get_if<CmpExchange>(&trace_.exchanges[i]);
            if (used_[i] || !x || x->function != req.function) continue;
            used_[i] = true;
            CmpExchange now = *x;
            now.request = xml;
            now_.emplace_back(now);
            return answer(*x, req.function);
        }
        diverge(trace_.exchanges.size() + 1, "no recorded gateway answer to " + req.function +
                                                 " left: record this session again against a gateway",
                "(no answer)", "cmp " + req.function);
        return core::make_error("net.replay", "no recorded CMP answer left");
    }

    const std::size_t first = first_unused();
    std::optional<std::size_t> candidate;
    for (std::size_t i = first; i < trace_.exchanges.size(); ++i) {
        if (used_[i]) continue;
        auto* x = std::get_if<CmpExchange>(&trace_.exchanges[i]);
        if (!x) break;  // calls may be reordered within a run of CMP exchanges only
        if (!candidate) candidate = i;
        if (compare_lines(render_body(x->request), actual).equal) {
            used_[i] = true;
            return answer(*x, req.function);
        }
    }
    if (!candidate) {
        std::string expected = first < trace_.exchanges.size() ? describe(trace_.exchanges[first]) : "(end of trace)";
        diverge(first + 1, "the bridge made the CMP call " + req.function + " where the trace has " + expected, expected,
                "cmp " + req.function);
        return core::make_error("net.replay", "diverged");
    }
    const auto& x = std::get<CmpExchange>(trace_.exchanges[*candidate]);
    diverge(*candidate + 1, "the bridge's CMP call differs", compare_lines(render_body(x.request), actual));
    return core::make_error("net.replay", "diverged");
}

void ReplayScript::on_end(bool ok, const std::string& error, const std::string& end_state) {
    ended_ = true;
    ok_ = ok;
    error_ = error;
    end_state_ = redactor_.state(end_state);
    if (update_) {
        for (std::size_t i = 0; i < used_.size(); ++i)
            if (!used_[i]) warnings_.push_back("no longer used: exchange " + std::to_string(i + 1) + " (" +
                                               describe(trace_.exchanges[i]) + ")");
        return;
    }
    if (divergence_) return;
    if (std::size_t i = first_unused(); i < trace_.exchanges.size()) {
        diverge(i + 1, "the session ended" + (error.empty() ? std::string() : " (" + error + ")") +
                           " but the trace goes on",
                describe(trace_.exchanges[i]), "(session over)");
        return;
    }
    if (ok != trace_.ok) {
        diverge(trace_.exchanges.size() + 1, "the session's outcome differs",
                trace_.ok ? "done" : "failed: " + trace_.error, ok ? "done" : "failed: " + error);
        return;
    }
    if (!trace_.end_state.empty()) {
        auto c = compare_states(trace_.end_state, end_state_);
        if (!c.equal) diverge(trace_.exchanges.size() + 1, "the CPE state after the session differs", c);
    }
}

Trace ReplayScript::updated() const {
    Trace t = trace_;
    t.exchanges = now_;
    t.ok = ok_;
    t.error = error_;
    t.end_state = end_state_;
    return t;
}

}  // namespace trace
