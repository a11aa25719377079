// decode_request and decode_response (codec.hpp): a CMP envelope read in one pass with
// soap::PullParser straight into the Request or Response, without a DOM. The DOM parse and the
// walk over it were 13 % of the bridge's instructions per session (docs/performance.md, "the XML and crypto path").
//
// What is accepted and what each refusal says are those of the DOM reading this replaced
// (tests/unit/cmp/test_codec_differential.cpp compares the two): a document that is not
// well-formed is refused as such wherever the fault is, then the envelope's structure, then the
// header, then the payload; within the payload the first fault in document order, except that a
// missing or bad resultCode goes before the fields.
#include <charconv>
#include <optional>

#include "bridge/cmp/codec.hpp"
#include "bridge/soap/xml.hpp"
#include "bridge/soap/pull.hpp"

namespace cmp {
namespace {

using Event = soap::PullParser::Event;

constexpr std::string_view kResponseSuffix = "Response";

core::Error err(std::string code, std::string msg) { return core::make_error(std::move(code), std::move(msg)); }


std::optional<int> parse_int(std::string_view s) {
    s = soap::trim_space(s);
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// A CMP function name: an XML NCName restricted to ASCII, as the catalogue's are.
bool is_name(std::string_view s) {
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (s.empty() || !(alpha(s[0]) || s[0] == '_')) return false;
    for (char c : s)
        if (!(alpha(c) || digit(c) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

bool ours(std::string_view ns) { return ns.empty() || ns == kNamespace; }

// Where a field is, for error messages only: built into a string when an error is reported.
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

// The parser and the first fault found in the payload. After that fault nothing more is built
// (the DOM reading stopped there), but the rest is still read: a document that turns out not
// to be well-formed further on is refused as such.
struct Reader {
    soap::PullParser p;
    std::optional<core::Error> payload_error;
    void fail(core::Error e) {
        if (!payload_error) payload_error = std::move(e);
    }
    bool failed() const { return payload_error.has_value(); }
};

// The element just started, through its end tag: all its direct text (CDATA included), child
// elements skipped. Every function below returns false when the document is not well-formed.
bool read_text_content(soap::PullParser& p, std::string& out) {
    for (;;) {
        switch (p.next()) {
            case Event::text: out += p.text(); break;
            case Event::start_element:
                if (!p.skip_element()) return false;
                break;
            case Event::end_element: return true;
            default: return false;
        }
    }
}

// As tinyxml2's GetText: the text of the first child node but comments, when that node is text.
bool read_first_text(soap::PullParser& p, std::string& out) {
    bool first = true;
    for (;;) {
        switch (p.next()) {
            case Event::text:
                if (first) out = p.text();
                first = false;
                break;
            case Event::start_element:
                first = false;
                if (!p.skip_element()) return false;
                break;
            case Event::end_element: return true;
            default: return false;
        }
    }
}

// The first resultCode and resultMsg children of a response, in any namespace, as the DOM
// reading found them (soap::child); the resultCode must be ours.
struct ResultFields {
    bool code_seen = false;
    bool code_ours = false;
    std::string code_text;
    bool msg_seen = false;
    std::string msg;
};

bool read_record(Reader& r, Record& rec, const std::vector<FieldSpec>* specs, const FieldPath& path,
                 ResultFields* result);

// The items of a list field, through its end tag; `started`: the parser is at the first item.
bool read_items(Reader& r, std::vector<Record>& items, const std::vector<FieldSpec>* specs, const FieldPath& where,
                bool started) {
    std::size_t i = 0;
    for (;;) {
        Event e = started ? Event::start_element : r.p.next();
        started = false;
        switch (e) {
            case Event::text:
                if (!soap::all_space(r.p.text()))
                    r.fail(err("cmp.unexpected_structure", where.str() + ": text inside a list"));
                break;
            case Event::start_element: {
                if (r.failed()) {
                    if (!r.p.skip_element()) return false;
                    break;
                }
                const FieldPath at{&where, {}, i++, true};
                Record item;
                if (!read_record(r, item, specs, at, nullptr)) return false;
                items.push_back(std::move(item));
                break;
            }
            case Event::end_element: return true;
            default: return false;
        }
    }
}

// A field whose catalogue type is unknown: a list when it has element children, else a scalar.
bool read_untyped_field(Reader& r, Record& rec, std::string_view local, const FieldPath& where) {
    std::string value;
    bool text_not_space = false;
    for (;;) {
        switch (r.p.next()) {
            case Event::text:
                value += r.p.text();
                text_not_space = text_not_space || !soap::all_space(r.p.text());
                break;
            case Event::end_element: rec.fields.push_back(Field{std::string(local), std::move(value)}); return true;
            case Event::start_element: {
                if (text_not_space) r.fail(err("cmp.unexpected_structure", where.str() + ": text inside a list"));
                if (r.failed()) return r.p.skip_element() && r.p.skip_element();  // the item, then the field
                std::vector<Record> items;
                if (!read_items(r, items, nullptr, where, true)) return false;
                rec.fields.push_back(Field{std::string(local), std::move(items)});
                return true;
            }
            default: return false;
        }
    }
}

bool read_scalar_field(Reader& r, Record& rec, std::string_view local, const FieldPath& where) {
    std::string value;
    for (;;) {
        switch (r.p.next()) {
            case Event::text: value += r.p.text(); break;
            case Event::start_element:
                r.fail(err("cmp.unexpected_structure", where.str() + ": a scalar field has child elements"));
                if (!r.p.skip_element()) return false;
                break;
            case Event::end_element: rec.fields.push_back(Field{std::string(local), std::move(value)}); return true;
            default: return false;
        }
    }
}

// The fields of the element just started (the function element or a list item), through its
// end tag. `result`: this is a response's function element, whose resultCode and resultMsg are
// not fields.
bool read_record(Reader& r, Record& rec, const std::vector<FieldSpec>* specs, const FieldPath& path,
                 ResultFields* result) {
    soap::PullParser& p = r.p;
    // Fields are appended without Record::set's search: read_record checked each name is new.
    if (specs) rec.fields.reserve(specs->size());
    for (;;) {
        switch (p.next()) {
            case Event::text:
                if (!soap::all_space(p.text()))
                    r.fail(err("cmp.unexpected_structure", path.str() + ": text where only elements are expected"));
                continue;
            case Event::end_element: return true;
            case Event::start_element: break;
            default: return false;
        }
        std::string_view local = p.local_name();
        if (result && local == "resultCode" && !result->code_seen) {
            result->code_seen = true;
            result->code_ours = ours(p.namespace_uri());
            if (!read_text_content(p, result->code_text)) return false;
            continue;
        }
        if (result && local == "resultMsg" && !result->msg_seen) {
            result->msg_seen = true;
            if (!read_text_content(p, result->msg)) return false;
            continue;
        }
        // Foreign-namespace elements are extensions we ignore.
        bool skip = !ours(p.namespace_uri()) || (result && (local == "resultCode" || local == "resultMsg"));
        if (skip || r.failed()) {
            if (!p.skip_element()) return false;
            continue;
        }
        const FieldPath where{&path, local};
        if (rec.has(local)) {
            r.fail(err("cmp.duplicate_field", where.str() + ": field appears twice"));
            if (!p.skip_element()) return false;
            continue;
        }
        const FieldSpec* spec = specs ? find_field(*specs, local) : nullptr;
        bool ok;
        if (!spec) {
            ok = read_untyped_field(r, rec, local, where);
        } else if (spec->type != Type::List) {
            ok = read_scalar_field(r, rec, local, where);
        } else {
            std::vector<Record> items;
            ok = read_items(r, items, &spec->item_fields, where, false);
            if (ok) rec.fields.push_back(Field{std::string(local), std::move(items)});
        }
        if (!ok) return false;
    }
}

bool read_header(soap::PullParser& p, Header& h, std::optional<core::Error>& error) {
    for (;;) {
        switch (p.next()) {
            case Event::text: continue;
            case Event::end_element: return true;
            case Event::start_element: break;
            default: return false;
        }
        std::string_view ln = p.local_name();
        if (p.namespace_uri() == kNamespace) {
            std::string* target = ln == "rgId"            ? &h.rg_id
                                  : ln == "transactionId" ? &h.transaction_id
                                  : ln == "timeStamp"     ? &h.time_stamp
                                                          : nullptr;
            if (target) {
                std::string value;
                if (!read_text_content(p, value)) return false;
                *target = std::string(soap::trim_space(value));
                continue;
            }
        }
        if (!error) {
            auto mu = p.attribute(soap::kEnvelopeNs, "mustUnderstand");
            if (mu && (*mu == "1" || *mu == "true"))
                error = err("cmp.must_understand", "header entry <" + std::string(ln) + "> in namespace '" +
                                                       std::string(p.namespace_uri()) +
                                                       "' must be understood but is not supported");
        }
        if (!p.skip_element()) return false;
    }
}

bool read_fault(soap::PullParser& p, Response& resp, std::string_view request_function) {
    std::string code, fault_string, rc_text, msg, function;
    bool code_seen = false, string_seen = false, detail_seen = false, cmp_fault_seen = false;
    bool rc_seen = false, msg_seen = false, function_seen = false;
    auto children = [&p](auto&& on_child) {
        for (;;) {
            switch (p.next()) {
                case Event::text: continue;
                case Event::end_element: return true;
                case Event::start_element:
                    if (!on_child(p.local_name())) return false;
                    continue;
                default: return false;
            }
        }
    };
    auto in_cmp_fault = [&](std::string_view ln) {
        if (ln == "resultCode" && !rc_seen) return rc_seen = true, read_first_text(p, rc_text);
        if (ln == "resultMsg" && !msg_seen) return msg_seen = true, read_text_content(p, msg);
        if (ln == "function" && !function_seen) return function_seen = true, read_first_text(p, function);
        return p.skip_element();
    };
    auto in_detail = [&](std::string_view ln) {
        if (ln == "CMPFault" && !cmp_fault_seen) return cmp_fault_seen = true, children(in_cmp_fault);
        return p.skip_element();
    };
    auto in_fault = [&](std::string_view ln) {
        if (ln == "faultcode" && !code_seen) return code_seen = true, read_first_text(p, code);
        if (ln == "faultstring" && !string_seen) return string_seen = true, read_text_content(p, fault_string);
        if (ln == "detail" && !detail_seen) return detail_seen = true, children(in_detail);
        return p.skip_element();
    };
    if (!children(in_fault)) return false;

    resp.function = std::string(request_function);
    std::string_view fault_code = soap::local_name(soap::trim_space(code));
    // Everything but Server blames the request (Client, MustUnderstand, VersionMismatch).
    bool server = fault_code == "Server" || fault_code.starts_with("Server.");
    resp.result_code = server ? result_code::peer_fault : result_code::malformed_message;
    if (string_seen) resp.result_msg = std::move(fault_string);
    if (cmp_fault_seen) {
        if (auto c = parse_int(soap::trim_space(rc_text))) resp.result_code = *c;
        if (msg_seen) resp.result_msg = std::move(msg);
        // The detail only names the function when we do not know it; it becomes an element
        // name when the response is encoded again (traces, reverse mode), so it must be one.
        if (auto f = soap::trim_space(function); request_function.empty() && is_name(f)) resp.function = std::string(f);
    }
    return true;
}

bool is_fault(const soap::PullParser& p) {
    return p.local_name() == "Fault" && p.namespace_uri() == soap::kEnvelopeNs;
}

std::optional<core::Error> check_namespace(const soap::PullParser& p) {
    if (p.namespace_uri() == kNamespace) return std::nullopt;
    return err("cmp.bad_namespace", "<" + std::string(p.local_name()) + "> is in namespace '" +
                                        std::string(p.namespace_uri()) + "', expected '" + std::string(kNamespace) +
                                        "'");
}

// The whole document: Envelope, Header (the first, before the Body), Body with exactly one
// element, for which read_payload is called at its start tag and must read through its end
// tag (false: not well-formed). Returns the error to answer with, in the DOM reading's order.
template <class ReadPayload>
std::optional<core::Error> read_envelope(Reader& r, Header& header, ReadPayload&& read_payload) {
    soap::PullParser& p = r.p;
    if (p.next() != Event::start_element) return p.error();
    std::optional<core::Error> envelope_error;
    if (p.local_name() != "Envelope")
        envelope_error = err("soap.no_envelope", "root element is not a SOAP Envelope");
    else if (p.namespace_uri() != soap::kEnvelopeNs)
        envelope_error = err("soap.bad_namespace", "SOAP Envelope is not in the SOAP 1.1 namespace (" +
                                                       std::string(p.namespace_uri()) + ")");
    if (envelope_error) {
        if (p.finish() == Event::error) return p.error();
        return envelope_error;
    }
    std::optional<core::Error> header_error;
    bool header_seen = false, body_seen = false, payload_seen = false, extra = false;
    auto read_body = [&]() {
        for (;;) {
            switch (p.next()) {
                case Event::text: continue;
                case Event::end_element: return true;
                case Event::start_element:
                    if (payload_seen) {
                        extra = true;
                        if (!p.skip_element()) return false;
                    } else {
                        payload_seen = true;
                        if (!read_payload(r)) return false;
                    }
                    continue;
                default: return false;
            }
        }
    };
    for (bool open = true; open;) {
        switch (p.next()) {
            case Event::text: continue;
            case Event::end_element: open = false; continue;
            case Event::start_element: break;
            default: return p.error();
        }
        bool envelope_ns = p.namespace_uri() == soap::kEnvelopeNs;
        bool ok;
        if (envelope_ns && p.local_name() == "Header" && !header_seen && !body_seen) {
            header_seen = true;
            ok = read_header(p, header, header_error);
        } else if (envelope_ns && p.local_name() == "Body" && !body_seen) {
            body_seen = true;
            ok = read_body();
        } else {
            ok = p.skip_element();
        }
        if (!ok) return p.error();
    }
    if (p.finish() == Event::error) return p.error();
    if (!body_seen) return err("soap.no_body", "SOAP Envelope has no Body");
    if (!payload_seen) return err("cmp.empty_body", "SOAP Body carries no CMP message");
    if (extra)
        return err("cmp.extra_body_element", "SOAP Body carries more than one element; CMP sends one per message");
    if (header_error) return header_error;
    return std::move(r.payload_error);
}

}  // namespace

core::Result<Request> decode_request(std::string_view xml, const soap::Limits& limits, const Catalogue* catalogue) {
    Reader r{soap::PullParser(xml, limits), {}};
    Request req;
    auto read_payload = [&](Reader& rd) {
        soap::PullParser& p = rd.p;
        if (is_fault(p)) {
            rd.fail(err("cmp.unexpected_fault", "a SOAP Fault where a CMP request was expected"));
            return p.skip_element();
        }
        if (auto e = check_namespace(p)) {
            rd.fail(std::move(*e));
            return p.skip_element();
        }
        std::string_view name = p.local_name();
        if (name.size() > kResponseSuffix.size() && name.ends_with(kResponseSuffix)) {
            rd.fail(err("cmp.not_a_request", "<" + std::string(name) + "> is a response, a request was expected"));
            return p.skip_element();
        }
        req.function = std::string(name);
        const FunctionSpec* spec = catalogue ? catalogue->find(req.function) : nullptr;
        return read_record(rd, req.args, spec ? &spec->request : nullptr, FieldPath{nullptr, req.function}, nullptr);
    };
    if (auto e = read_envelope(r, req.header, read_payload)) return std::move(*e);
    return req;
}

core::Result<Response> decode_response(std::string_view xml, const soap::Limits& limits, const Catalogue* catalogue,
                                       std::string_view request_function) {
    Reader r{soap::PullParser(xml, limits), {}};
    Response resp;
    auto read_payload = [&](Reader& rd) {
        soap::PullParser& p = rd.p;
        if (is_fault(p)) return read_fault(p, resp, request_function);
        if (auto e = check_namespace(p)) {
            rd.fail(std::move(*e));
            return p.skip_element();
        }
        std::string_view name = p.local_name();
        if (name.size() <= kResponseSuffix.size() || !name.ends_with(kResponseSuffix)) {
            rd.fail(err("cmp.not_a_response", "<" + std::string(name) + "> is not a <functionResponse> element"));
            return p.skip_element();
        }
        resp.function = std::string(name.substr(0, name.size() - kResponseSuffix.size()));
        if (!request_function.empty() && resp.function != request_function) {
            rd.fail(err("cmp.wrong_response",
                        "<" + std::string(name) + "> answers a " + std::string(request_function) + " request"));
            return p.skip_element();
        }
        const FunctionSpec* spec = catalogue ? catalogue->find(resp.function) : nullptr;
        ResultFields result;
        if (!read_record(rd, resp.fields, spec ? &spec->response : nullptr, FieldPath{nullptr, name}, &result))
            return false;
        // A missing or bad resultCode is reported before any fault in the fields.
        if (!result.code_seen || !result.code_ours) {
            rd.payload_error = err("cmp.missing_result_code", "<" + std::string(name) + "> has no resultCode");
        } else if (auto value = parse_int(result.code_text)) {
            resp.result_code = *value;
        } else {
            rd.payload_error = err("cmp.bad_result_code",
                                   "resultCode '" + result.code_text.substr(0, 32) + "' is not an integer");
        }
        if (result.msg_seen) resp.result_msg = std::move(result.msg);
        return true;
    };
    if (auto e = read_envelope(r, resp.header, read_payload)) return std::move(*e);
    return resp;
}

}  // namespace cmp
