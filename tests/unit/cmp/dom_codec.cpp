// The CMP decoding as it was before bridge/cmp/decode.cpp: a tinyxml2 DOM (soap::parse) walked
// after parsing. Kept here, verbatim, only as the reference of the differential test
// (test_codec_differential.cpp): the one-pass decoder must accept exactly what this accepted,
// with the same values and the same refusals.
#include "dom_codec.hpp"

#include <cctype>
#include <charconv>

namespace cmp::dom {
namespace {

using tinyxml2::XMLElement;
using tinyxml2::XMLNode;

constexpr std::string_view kResponseSuffix = "Response";

// ---- decoding ------------------------------------------------------------------

core::Error err(std::string code, std::string msg) { return core::make_error(std::move(code), std::move(msg)); }

bool all_space(std::string_view s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && all_space(s.substr(0, 1))) s.remove_prefix(1);
    while (!s.empty() && all_space(s.substr(s.size() - 1))) s.remove_suffix(1);
    return s;
}

// Verbatim text of a scalar: all text and CDATA children, comments skipped.
std::string text_content(const XMLElement* e) {
    std::string out;
    for (const XMLNode* n = e->FirstChild(); n; n = n->NextSibling())
        if (const auto* t = n->ToText()) out += t->Value();
    return out;
}

bool ours(const XMLElement* e) {
    std::string_view ns = soap::namespace_of(e);
    return ns.empty() || ns == kNamespace;
}

// Where a field is, for error messages only: built into a string when an error is reported, not
// for every field read (that was an allocation per field of every response).
struct FieldPath {
    const FieldPath* parent = nullptr;
    std::string_view name;  // a field name, or the root's function name
    std::size_t index = 0;
    bool is_item = false;  // the index-th item of parent's list
    std::string str() const {
        std::string out = parent ? parent->str() : std::string();
        if (is_item) return out + "[" + std::to_string(index) + "]";
        if (parent) out += '.';
        out += name;
        return out;
    }
};

core::Result<Record> read_record(const XMLElement* parent, const std::vector<FieldSpec>* specs, const FieldPath& path,
                                 bool skip_result_fields) {
    Record rec;
    for (const XMLNode* n = parent->FirstChild(); n; n = n->NextSibling()) {
        if (const auto* t = n->ToText(); t && !all_space(t->Value()))
            return err("cmp.unexpected_structure", path.str() + ": text where only elements are expected");
        const XMLElement* c = n->ToElement();
        if (!c || !ours(c)) continue;  // foreign-namespace elements are extensions we ignore
        std::string_view local = soap::local_name(c);
        if (skip_result_fields && (local == "resultCode" || local == "resultMsg")) continue;
        const FieldPath where{&path, local};
        if (rec.has(local)) return err("cmp.duplicate_field", where.str() + ": field appears twice");
        const FieldSpec* spec = specs ? find_field(*specs, local) : nullptr;
        bool is_list = spec ? spec->type == Type::List : c->FirstChildElement() != nullptr;
        if (!is_list) {
            if (c->FirstChildElement())
                return err("cmp.unexpected_structure", where.str() + ": a scalar field has child elements");
            rec.set(std::string(local), text_content(c));
            continue;
        }
        std::vector<Record> items;
        std::size_t i = 0;
        for (const XMLNode* m = c->FirstChild(); m; m = m->NextSibling()) {
            if (const auto* t = m->ToText(); t && !all_space(t->Value()))
                return err("cmp.unexpected_structure", where.str() + ": text inside a list");
            const XMLElement* item = m->ToElement();
            if (!item) continue;
            const FieldPath at{&where, {}, i++, true};
            auto r = read_record(item, spec ? &spec->item_fields : nullptr, at, false);
            if (!r) return r.error();
            items.push_back(std::move(r).value());
        }
        rec.add_list(std::string(local), std::move(items));
    }
    return rec;
}

core::Result<Header> read_header(const XMLElement* header) {
    Header h;
    if (!header) return h;
    for (const XMLElement* c = header->FirstChildElement(); c; c = c->NextSiblingElement()) {
        std::string_view ln = soap::local_name(c);
        if (soap::namespace_of(c) == kNamespace) {
            std::string value(trim(text_content(c)));
            if (ln == "rgId") { h.rg_id = std::move(value); continue; }
            if (ln == "transactionId") { h.transaction_id = std::move(value); continue; }
            if (ln == "timeStamp") { h.time_stamp = std::move(value); continue; }
        }
        const char* mu = soap::attribute(c, soap::kEnvelopeNs, "mustUnderstand");
        if (mu && (std::string_view(mu) == "1" || std::string_view(mu) == "true"))
            return err("cmp.must_understand", "header entry <" + std::string(ln) + "> in namespace '" +
                                                  std::string(soap::namespace_of(c)) +
                                                  "' must be understood but is not supported");
    }
    return h;
}

struct Parsed {
    soap::Document doc;
    soap::EnvelopeParts parts;
    Header header;
};

core::Result<Parsed> parse_envelope(std::string_view xml, const soap::Limits& limits) {
    auto doc = soap::parse(xml, limits);
    if (!doc) return doc.error();
    auto parts = soap::split_envelope(**doc);
    if (!parts) return parts.error();
    if (!parts->payload) return err("cmp.empty_body", "SOAP Body carries no CMP message");
    if (parts->payload->NextSiblingElement())
        return err("cmp.extra_body_element", "SOAP Body carries more than one element; CMP sends one per message");
    auto header = read_header(parts->header);
    if (!header) return header.error();
    return Parsed{std::move(doc).value(), *parts, std::move(header).value()};
}

bool is_fault(const XMLElement* payload) {
    return soap::local_name(payload) == "Fault" && soap::namespace_of(payload) == soap::kEnvelopeNs;
}

core::Status check_namespace(const XMLElement* payload) {
    std::string_view ns = soap::namespace_of(payload);
    if (ns == kNamespace) return core::Ok{};
    return err("cmp.bad_namespace", "<" + std::string(soap::local_name(payload)) + "> is in namespace '" +
                                        std::string(ns) + "', expected '" + std::string(kNamespace) + "'");
}

std::optional<int> parse_int(std::string_view s) {
    s = trim(s);
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// A CMP function name: an XML NCName restricted to ASCII, as the catalogue's are.
bool is_name(std::string_view s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

Response decode_fault(const XMLElement* fault, Header header, std::string_view request_function) {
    Response r;
    r.header = std::move(header);
    r.function = std::string(request_function);
    std::string_view code = trim(soap::text_of(soap::child(fault, "faultcode")));
    code = soap::local_name(code);
    // Everything but Server blames the request (Client, MustUnderstand, VersionMismatch).
    bool server = code == "Server" || code.rfind("Server.", 0) == 0;
    r.result_code = server ? result_code::peer_fault : result_code::malformed_message;
    if (const XMLElement* fs = soap::child(fault, "faultstring")) r.result_msg = text_content(fs);
    const XMLElement* detail = soap::child(soap::child(fault, "detail"), "CMPFault");
    if (detail) {
        if (auto c = parse_int(soap::text_of(soap::child(detail, "resultCode")))) r.result_code = *c;
        if (const XMLElement* m = soap::child(detail, "resultMsg")) r.result_msg = text_content(m);
        // The detail only names the function when we do not know it; it becomes an element
        // name when the response is encoded again (traces, reverse mode), so it must be one.
        if (auto f = trim(soap::text_of(soap::child(detail, "function"))); request_function.empty() && is_name(f))
            r.function = std::string(f);
    }
    return r;
}

}  // namespace

core::Result<Request> decode_request(std::string_view xml, const soap::Limits& limits, const Catalogue* catalogue) {
    auto parsed = parse_envelope(xml, limits);
    if (!parsed) return parsed.error();
    const XMLElement* payload = parsed->parts.payload;
    if (is_fault(payload)) return err("cmp.unexpected_fault", "a SOAP Fault where a CMP request was expected");
    if (auto st = check_namespace(payload); !st) return st.error();
    std::string_view name = soap::local_name(payload);
    if (name.size() > kResponseSuffix.size() && name.ends_with(kResponseSuffix))
        return err("cmp.not_a_request", "<" + std::string(name) + "> is a response, a request was expected");
    Request req;
    req.header = std::move(parsed->header);
    req.function = std::string(name);
    const FunctionSpec* spec = catalogue ? catalogue->find(req.function) : nullptr;
    auto args = read_record(payload, spec ? &spec->request : nullptr, FieldPath{nullptr, req.function}, false);
    if (!args) return args.error();
    req.args = std::move(args).value();
    return req;
}

core::Result<Response> decode_response(std::string_view xml, const soap::Limits& limits, const Catalogue* catalogue,
                                       std::string_view request_function) {
    auto parsed = parse_envelope(xml, limits);
    if (!parsed) return parsed.error();
    const XMLElement* payload = parsed->parts.payload;
    if (is_fault(payload)) return decode_fault(payload, std::move(parsed->header), request_function);
    if (auto st = check_namespace(payload); !st) return st.error();
    std::string_view name = soap::local_name(payload);
    if (name.size() <= kResponseSuffix.size() || !name.ends_with(kResponseSuffix))
        return err("cmp.not_a_response", "<" + std::string(name) + "> is not a <functionResponse> element");
    Response resp;
    resp.header = std::move(parsed->header);
    resp.function = std::string(name.substr(0, name.size() - kResponseSuffix.size()));
    if (!request_function.empty() && resp.function != request_function)
        return err("cmp.wrong_response", "<" + std::string(name) + "> answers a " + std::string(request_function) +
                                             " request");
    const XMLElement* code = soap::child(payload, "resultCode");
    if (!code || !ours(code)) return err("cmp.missing_result_code", "<" + std::string(name) + "> has no resultCode");
    auto value = parse_int(text_content(code));
    if (!value) return err("cmp.bad_result_code", "resultCode '" + text_content(code).substr(0, 32) +
                                                      "' is not an integer");
    resp.result_code = *value;
    if (const XMLElement* msg = soap::child(payload, "resultMsg")) resp.result_msg = text_content(msg);
    const FunctionSpec* spec = catalogue ? catalogue->find(resp.function) : nullptr;
    auto fields = read_record(payload, spec ? &spec->response : nullptr, FieldPath{nullptr, name}, true);
    if (!fields) return fields.error();
    resp.fields = std::move(fields).value();
    return resp;
}

}  // namespace cmp::dom
