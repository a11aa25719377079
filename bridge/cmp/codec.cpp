#include "bridge/cmp/codec.hpp"
#include "bridge/soap/xml.hpp"


namespace cmp {
namespace {

constexpr std::string_view kResponseSuffix = "Response";

// ---- encoding ------------------------------------------------------------------

bool xml_char_ok(unsigned char c) { return c >= 0x20 || c == '\t' || c == '\n' || c == '\r'; }

void write_text(soap::Writer& w, std::string_view v) {
    bool clean = true;
    for (char c : v) clean = clean && xml_char_ok(static_cast<unsigned char>(c));
    if (clean) {
        w.text(v);
        return;
    }
    std::string s;
    s.reserve(v.size() + 8);
    for (char c : v) {
        if (xml_char_ok(static_cast<unsigned char>(c))) s += c;
        else s += "\xEF\xBF\xBD";
    }
    w.text(s);
}

// <name>value</name> with value sanitised.
void element(soap::Writer& w, std::string_view name, std::string_view value) {
    w.start(name);
    write_text(w, value);
    w.end(name);
}

void write_record(soap::Writer& w, const Record& r) {
    for (const Field& f : r.fields) {
        if (const auto* s = std::get_if<std::string>(&f.value)) {
            element(w, f.name, *s);
            continue;
        }
        const auto& items = std::get<std::vector<Record>>(f.value);
        if (items.empty()) {
            w.open(f.name).self_close();
            continue;
        }
        w.start(f.name);
        for (const Record& item : items) {
            w.start(kItemElement);
            write_record(w, item);
            w.end(kItemElement);
        }
        w.end(f.name);
    }
}

std::string qualified(std::string_view local) { return std::string(kPrefix) + ":" + std::string(local); }

void begin_envelope(soap::Writer& w, const Header& h) {
    w.declaration();
    w.open("SOAP-ENV:Envelope").attr("xmlns:SOAP-ENV", soap::kEnvelopeNs).attr("xmlns:cmp", kNamespace).close_open();
    if (!h.rg_id.empty() || !h.transaction_id.empty() || !h.time_stamp.empty()) {
        w.start("SOAP-ENV:Header");
        if (!h.rg_id.empty()) element(w, "cmp:rgId", h.rg_id);
        if (!h.transaction_id.empty()) element(w, "cmp:transactionId", h.transaction_id);
        if (!h.time_stamp.empty()) element(w, "cmp:timeStamp", h.time_stamp);
        w.end("SOAP-ENV:Header");
    }
    w.start("SOAP-ENV:Body");
}

std::string end_envelope(soap::Writer& w) {
    w.end("SOAP-ENV:Body").end("SOAP-ENV:Envelope");
    return w.take();
}

// ---- helpers ------------------------------------------------------------------


}  // namespace

std::string encode(const Request& req) {
    soap::Writer w;
    begin_envelope(w, req.header);
    std::string el = qualified(req.function);
    w.start(el);
    write_record(w, req.args);
    w.end(el);
    return end_envelope(w);
}

std::string encode(const Response& resp) {
    // A gateway's SOAP Fault that named no function decodes to a Response without one;
    // it has no <functionResponse> form, so it is written back as that Fault.
    if (resp.function.empty()) {
        Fault f;
        f.fault_code = resp.result_code == result_code::peer_fault ? "Server" : "Client";
        f.fault_string = resp.result_msg;
        f.result_code = resp.result_code;
        f.result_msg = resp.result_msg;
        f.header = resp.header;
        return encode(f);
    }
    soap::Writer w;
    begin_envelope(w, resp.header);
    std::string el = qualified(resp.function + std::string(kResponseSuffix));
    w.start(el);
    w.element("resultCode", std::to_string(resp.result_code));
    element(w, "resultMsg", resp.result_msg);
    write_record(w, resp.fields);
    w.end(el);
    return end_envelope(w);
}

std::string encode(const Fault& f) {
    soap::Writer w;
    begin_envelope(w, f.header);
    w.start("SOAP-ENV:Fault");
    w.element("faultcode", "SOAP-ENV:" + (f.fault_code.empty() ? std::string("Server") : f.fault_code));
    element(w, "faultstring", f.fault_string);
    w.start("detail").start("cmp:CMPFault");
    if (!f.function.empty()) element(w, "function", f.function);
    w.element("resultCode", std::to_string(f.result_code));
    element(w, "resultMsg", f.result_msg);
    w.end("cmp:CMPFault").end("detail");
    w.end("SOAP-ENV:Fault");
    return end_envelope(w);
}

Fault fault_for(const core::Error& error, std::string function) {
    Fault f;
    if (error.code == "cmp.must_understand") f.fault_code = "MustUnderstand";
    else if (error.code == "soap.bad_namespace") f.fault_code = "VersionMismatch";
    f.fault_string = error.message;
    f.result_code = result_code_for(error);
    f.result_msg = error.code + ": " + error.message;
    f.function = std::move(function);
    return f;
}

std::string soap_action(std::string_view function) {
    std::string v = "\"";
    v += kNamespace;
    v += '#';
    v += function;
    v += '"';
    return v;
}

std::string_view function_from_soap_action(std::string_view v) {
    v = soap::trim_space(v);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v.size() <= kNamespace.size() + 1 || v.substr(0, kNamespace.size()) != kNamespace ||
        v[kNamespace.size()] != '#')
        return {};
    return v.substr(kNamespace.size() + 1);
}

int result_code_for(const core::Error& e) {
    const std::string& c = e.code;
    if (c == "cmp.unknown_function") return result_code::unknown_function;
    if (c == "cmp.unknown_field" || c == "cmp.missing_field" || c == "cmp.bad_type" || c == "cmp.duplicate_field" ||
        c == "cmp.rg_id_mismatch" || c == "cmp.bad_header" || c == "cmp.unexpected_structure")
        return result_code::invalid_argument;
    if (c.rfind("auth.", 0) == 0) return result_code::unauthorized;
    return result_code::malformed_message;
}

}  // namespace cmp
