// XML -> Envelope. Tolerant where real peers differ harmlessly (prefixes,
// qualified children, a missing ParameterKey, <Value/> without xsi:type,
// padding around numbers, unknown headers); strict where a wrong guess would
// change what the bridge does (a missing name list, a non-numeric number, an
// enumeration value TR-069 does not define). docs/cwmp.md lists which
// elements are required.
#include <array>
#include <charconv>
#include <optional>
#include <type_traits>
#include <utility>

#include "bridge/cwmp/codec.hpp"
#include "bridge/cwmp/rpc_names.hpp"
#include "bridge/soap/tree.hpp"

namespace cwmp {
namespace {

using soap::Element;

enum class Need { required, optional };

// Error messages quote input, but never more than this of it.
std::string quote(std::string_view s) {
    constexpr std::size_t kMax = 64;
    std::string out = "'";
    out.append(s.substr(0, kMax));
    if (s.size() > kMax) out += "...";
    out += '\'';
    return out;
}

template <class N>
bool parse_number(std::string_view t, N& out) {
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    if (t.empty() || t.front() == '+' || (std::is_unsigned_v<N> && t.front() == '-')) return false;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc() && end == t.data() + t.size();
}

class Decoder {
public:
    explicit Decoder(const DecodeLimits& limits) : lim_(limits) {}

    core::Result<Envelope> run(const soap::TreeEnvelope& parts) {
        Envelope env;
        if (parts.header && !header(parts.header, env)) return std::move(*err_);
        if (!parts.payload) return core::make_error("cwmp.empty_body", "SOAP Body holds no CWMP message");
        if (!body(parts.payload, env)) return std::move(*err_);
        return env;
    }

private:
    // ---- error reporting ------------------------------------------------------
    bool fail(std::string code, std::string message) {
        if (!err_) err_ = core::Error{std::move(code), std::string(rpc_) + ": " + std::move(message)};
        return false;
    }

    const Element* need(const Element* parent, std::string_view name) {
        const Element* c = soap::child(parent, name);
        if (!c)
            fail("cwmp.missing_element",
                 "missing required element " + std::string(soap::local_name(parent)) + "/" + std::string(name));
        return c;
    }

    // Finds `name` under `parent`; false only on error. `found` is null when an
    // optional element is absent, so the field keeps its default.
    bool locate(const Element* parent, std::string_view name, Need n, const Element*& found) {
        found = n == Need::required ? need(parent, name) : soap::child(parent, name);
        return found || n == Need::optional;
    }

    // ---- leaves ---------------------------------------------------------------
    // Text is kept verbatim (values may carry meaningful spaces); CDATA and
    // entity-split runs are joined.
    bool text(const Element* e, std::string& out) {
        soap::text_content(e, out);
        if (out.size() > lim_.max_string)
            return fail("cwmp.too_long", "element " + std::string(soap::local_name(e)) + " holds " +
                                             std::to_string(out.size()) + " bytes, over the limit of " +
                                             std::to_string(lim_.max_string));
        return true;
    }

    bool str(const Element* parent, std::string_view name, std::string& out, Need n = Need::required) {
        const Element* e;
        if (!locate(parent, name, n, e)) return false;
        return !e || text(e, out);
    }

    template <class N>
    bool number(const Element* e, N& out) {
        std::string_view t = soap::text_of(e);
        if (parse_number(t, out)) return true;
        return fail("cwmp.bad_number", "element " + std::string(soap::local_name(e)) + " is not " +
                                           (std::is_unsigned_v<N> ? "an unsigned" : "a") + " number: " + quote(t));
    }

    template <class N>
    bool num(const Element* parent, std::string_view name, N& out, Need n = Need::required) {
        const Element* e;
        if (!locate(parent, name, n, e)) return false;
        return !e || number(e, out);
    }

    // An enumeration carried as an int (Status, Notification).
    bool choice(const Element* parent, std::string_view name, int& out, int lo, int hi) {
        const Element* e = need(parent, name);
        if (!e || !number(e, out)) return false;
        if (out >= lo && out <= hi) return true;
        return fail("cwmp.bad_value", "element " + std::string(name) + " must be " + std::to_string(lo) + ".." +
                                          std::to_string(hi) + ", got " + std::to_string(out));
    }

    bool boolean(const Element* e, bool& out) {
        std::string_view t = soap::text_of(e);
        if (t == "1" || t == "true")
            out = true;
        else if (t == "0" || t == "false")
            out = false;
        else
            return fail("cwmp.bad_boolean",
                        "element " + std::string(soap::local_name(e)) + " is not a boolean: " + quote(t));
        return true;
    }

    bool flag(const Element* parent, std::string_view name, bool& out) {
        const Element* e = need(parent, name);
        return e && boolean(e, out);
    }

    // xsi:type as the sender meant it: a prefix bound to the XML Schema (or
    // SOAP encoding) namespace is rewritten to the one encode() declares, so
    // "xs:string" from one peer is "xsd:string" to the next.
    bool xsi_type(const Element* v, std::string& out) {
        auto raw = soap::attribute(v, soap::kXsiNs, "type");
        if (!raw) raw = soap::attribute_named(v, "xsi:type");  // some peers never declare xsi
        std::string_view t = raw.value_or("");
        if (t.size() > lim_.max_string) return fail("cwmp.too_long", "xsi:type of Value is over the string limit");
        out.assign(t);
        if (auto colon = t.find(':'); colon != std::string_view::npos) {
            std::string_view ns = soap::resolve_prefix(v, t.substr(0, colon));
            if (ns == soap::kXsdNs)
                out.replace(0, colon, "xsd");
            else if (ns == soap::kEncodingNs)
                out.replace(0, colon, "soap-enc");
        }
        return true;
    }

    // ---- lists ------------------------------------------------------------------
    // Items are matched by local name; anything else inside the list is ignored.
    // Counted before any item is decoded so an oversize list costs nothing.
    template <class T, class F>
    bool items(const Element* l, std::string_view item, std::vector<T>& out, F&& decode_item) {
        std::size_t count = 0;
        for (const Element* c = l->first_child; c; c = c->next_sibling)
            if (soap::local_name(c) == item) ++count;
        if (count > lim_.max_list_items)
            return fail("cwmp.too_many_items", std::string(soap::local_name(l)) + " holds " + std::to_string(count) +
                                                   " " + std::string(item) + " items, over the limit of " +
                                                   std::to_string(lim_.max_list_items));
        out.reserve(count);
        for (const Element* c = l->first_child; c; c = c->next_sibling)
            if (soap::local_name(c) == item && !decode_item(c, out.emplace_back())) return false;
        return true;
    }

    template <class T, class F>
    bool list(const Element* parent, std::string_view name, std::string_view item, std::vector<T>& out,
              F&& decode_item, Need n = Need::required) {
        const Element* l;
        if (!locate(parent, name, n, l)) return false;
        return !l || items(l, item, out, decode_item);
    }

    bool strings(const Element* parent, std::string_view name, std::vector<std::string>& out,
                 Need n = Need::required) {
        return list(
            parent, name, "string", out, [&](const Element* e, std::string& s) { return text(e, s); }, n);
    }

    bool values(const Element* parent, std::vector<ParameterValue>& out, Need n = Need::required) {
        return list(
            parent, "ParameterList", "ParameterValueStruct", out,
            [&](const Element* e, ParameterValue& p) {
                if (!str(e, "Name", p.name)) return false;
                const Element* v = need(e, "Value");
                return v && text(v, p.value) && xsi_type(v, p.type);
            },
            n);
    }

    // ---- envelope -----------------------------------------------------------------
    bool header(const Element* h, Envelope& env) {
        rpc_ = "Header";
        for (const Element* c = h->first_child; c; c = c->next_sibling) {
            // Unknown and foreign headers (SessionTimeout, vendor ones) are
            // ignored even with mustUnderstand="1": refusing them would end
            // sessions that every deployed ACS keeps alive.
            if (!version_from_namespace(soap::namespace_of(c))) continue;
            std::string_view name = soap::local_name(c);
            if (name == "ID") {
                if (!text(c, env.id)) return false;
            } else if (name == "HoldRequests") {
                bool b = false;
                if (!boolean(c, b)) return false;
                env.hold_requests = b;
            } else if (name == "NoMoreRequests") {
                if (!boolean(c, env.no_more_requests)) return false;
            }
        }
        return true;
    }

    bool body(const Element* payload, Envelope& env) {
        std::string_view ns = soap::namespace_of(payload);
        std::string_view name = soap::local_name(payload);
        rpc_ = name;
        if (ns == soap::kEnvelopeNs && name == "Fault") return soap_fault(payload, env);
        auto version = version_from_namespace(ns);
        if (!version)
            return fail("cwmp.not_cwmp", "Body element is in namespace '" + std::string(ns) +
                                             "', not urn:dslforum-org:cwmp-1-0, -1-1 or -1-2");
        env.version = *version;
        if (Fn fn = find_rpc(name)) return fn(*this, payload, env.body);
        env.body.emplace<UnknownRpc>(UnknownRpc{std::string(name), std::string(ns)});
        return true;
    }

    bool soap_fault(const Element* fault, Envelope& env) {
        const Element* detail = soap::child(fault, "detail");
        for (const Element* c = detail ? detail->first_child : nullptr; c; c = c->next_sibling) {
            auto version = version_from_namespace(soap::namespace_of(c));
            if (!version || soap::local_name(c) != "Fault") continue;
            env.version = *version;
            return fields(c, env.body.emplace<Fault>());
        }
        return fail("cwmp.missing_element", "SOAP Fault without detail/cwmp:Fault (faultcode " +
                                                quote(soap::text_of(soap::child(fault, "faultcode"))) +
                                                ", faultstring " +
                                                quote(soap::text_of(soap::child(fault, "faultstring"))) + ")");
    }

    using Fn = bool (*)(Decoder&, const Element*, Body&);

    // Name -> decoder of that alternative, generated from rpc_name_v so each
    // spelling lives in one place. Null for names the codec does not know.
    static Fn find_rpc(std::string_view name) {
        struct Entry {
            std::string_view name;
            Fn fn;
        };
        static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
            return std::array<Entry, sizeof...(I)>{Entry{detail::rpc_name_v<std::variant_alternative_t<I, Body>>,
                                                         [](Decoder& d, const Element* x, Body& b) {
                                                             using T = std::variant_alternative_t<I, Body>;
                                                             if constexpr (std::is_same_v<T, UnknownRpc>)
                                                                 return false;  // never listed by name
                                                             else if constexpr (std::is_empty_v<T>)
                                                                 return b.emplace<T>(), true;
                                                             else
                                                                 return d.fields(x, b.emplace<T>());
                                                         }}...};
        }
        (std::make_index_sequence<std::variant_size_v<Body>>{});
        for (const Entry& entry : table)
            if (!entry.name.empty() && entry.name == name) return entry.fn;
        return nullptr;
    }

    // ---- RPC bodies -----------------------------------------------------------------
    bool fields(const Element* e, Fault& m) {
        // SetParameterValuesFault entries repeat directly under cwmp:Fault.
        return num(e, "FaultCode", m.code) && str(e, "FaultString", m.string, Need::optional) &&
               items(e, "SetParameterValuesFault", m.set_parameter_values_faults,
                     [&](const Element* f, SetParameterValuesFault& p) {
                         return str(f, "ParameterName", p.parameter_name) && num(f, "FaultCode", p.fault_code) &&
                                str(f, "FaultString", p.fault_string, Need::optional);
                     });
    }

    bool fields(const Element* e, Inform& m) {
        const Element* id = need(e, "DeviceId");
        return id && str(id, "Manufacturer", m.device_id.manufacturer, Need::optional) &&
               str(id, "OUI", m.device_id.oui) && str(id, "ProductClass", m.device_id.product_class, Need::optional) &&
               str(id, "SerialNumber", m.device_id.serial_number) &&
               list(e, "Event", "EventStruct", m.events,
                    [&](const Element* ev, EventStruct& s) {
                        return str(ev, "EventCode", s.event_code) &&
                               str(ev, "CommandKey", s.command_key, Need::optional);
                    }) &&
               num(e, "MaxEnvelopes", m.max_envelopes, Need::optional) &&
               str(e, "CurrentTime", m.current_time, Need::optional) &&
               num(e, "RetryCount", m.retry_count, Need::optional) && values(e, m.parameters, Need::optional);
    }
    bool fields(const Element* e, InformResponse& m) {
        return num(e, "MaxEnvelopes", m.max_envelopes, Need::optional);
    }
    bool fields(const Element* e, TransferComplete& m) {
        const Element* fs = soap::child(e, "FaultStruct");
        return str(e, "CommandKey", m.command_key, Need::optional) &&
               (!fs ||
                (num(fs, "FaultCode", m.fault.code) && str(fs, "FaultString", m.fault.string, Need::optional))) &&
               str(e, "StartTime", m.start_time, Need::optional) &&
               str(e, "CompleteTime", m.complete_time, Need::optional);
    }
    bool fields(const Element* e, GetRPCMethodsResponse& m) { return strings(e, "MethodList", m.methods); }
    bool fields(const Element* e, GetParameterNames& m) {
        return str(e, "ParameterPath", m.parameter_path) && flag(e, "NextLevel", m.next_level);
    }
    bool fields(const Element* e, GetParameterNamesResponse& m) {
        return list(e, "ParameterList", "ParameterInfoStruct", m.parameters,
                    [&](const Element* p, ParameterInfo& i) {
                        return str(p, "Name", i.name) && flag(p, "Writable", i.writable);
                    });
    }
    bool fields(const Element* e, GetParameterValues& m) { return strings(e, "ParameterNames", m.names); }
    bool fields(const Element* e, GetParameterValuesResponse& m) { return values(e, m.parameters); }
    bool fields(const Element* e, SetParameterValues& m) {
        return values(e, m.parameters) && str(e, "ParameterKey", m.parameter_key, Need::optional);
    }
    bool fields(const Element* e, SetParameterValuesResponse& m) { return choice(e, "Status", m.status, 0, 1); }
    bool fields(const Element* e, GetParameterAttributes& m) { return strings(e, "ParameterNames", m.names); }
    bool fields(const Element* e, GetParameterAttributesResponse& m) {
        return list(e, "ParameterList", "ParameterAttributeStruct", m.parameters,
                    [&](const Element* p, ParameterAttribute& a) {
                        return str(p, "Name", a.name) && choice(p, "Notification", a.notification, 0, 6) &&
                               strings(p, "AccessList", a.access_list, Need::optional);
                    });
    }
    bool fields(const Element* e, SetParameterAttributes& m) {
        return list(e, "ParameterList", "SetParameterAttributesStruct", m.parameters,
                    [&](const Element* p, SetParameterAttributesStruct& a) {
                        return str(p, "Name", a.name) && flag(p, "NotificationChange", a.notification_change) &&
                               choice(p, "Notification", a.notification, 0, 6) &&
                               flag(p, "AccessListChange", a.access_list_change) &&
                               strings(p, "AccessList", a.access_list, Need::optional);
                    });
    }
    bool fields(const Element* e, AddObject& m) {
        return str(e, "ObjectName", m.object_name) && str(e, "ParameterKey", m.parameter_key, Need::optional);
    }
    bool fields(const Element* e, AddObjectResponse& m) {
        return num(e, "InstanceNumber", m.instance_number) && choice(e, "Status", m.status, 0, 1);
    }
    bool fields(const Element* e, DeleteObject& m) {
        return str(e, "ObjectName", m.object_name) && str(e, "ParameterKey", m.parameter_key, Need::optional);
    }
    bool fields(const Element* e, DeleteObjectResponse& m) { return choice(e, "Status", m.status, 0, 1); }
    bool fields(const Element* e, Reboot& m) { return str(e, "CommandKey", m.command_key, Need::optional); }
    bool fields(const Element* e, Download& m) {
        return str(e, "CommandKey", m.command_key, Need::optional) && str(e, "FileType", m.file_type) &&
               str(e, "URL", m.url) && str(e, "Username", m.username, Need::optional) &&
               str(e, "Password", m.password, Need::optional) && num(e, "FileSize", m.file_size, Need::optional) &&
               str(e, "TargetFileName", m.target_file_name, Need::optional) &&
               num(e, "DelaySeconds", m.delay_seconds, Need::optional) &&
               str(e, "SuccessURL", m.success_url, Need::optional) &&
               str(e, "FailureURL", m.failure_url, Need::optional);
    }
    template <class R>
    bool transfer_result(const Element* e, R& m) {
        return choice(e, "Status", m.status, 0, 1) && str(e, "StartTime", m.start_time, Need::optional) &&
               str(e, "CompleteTime", m.complete_time, Need::optional);
    }
    bool fields(const Element* e, DownloadResponse& m) { return transfer_result(e, m); }
    bool fields(const Element* e, Upload& m) {
        return str(e, "CommandKey", m.command_key, Need::optional) && str(e, "FileType", m.file_type) &&
               str(e, "URL", m.url) && str(e, "Username", m.username, Need::optional) &&
               str(e, "Password", m.password, Need::optional) &&
               num(e, "DelaySeconds", m.delay_seconds, Need::optional);
    }
    bool fields(const Element* e, UploadResponse& m) { return transfer_result(e, m); }
    bool fields(const Element* e, ScheduleInform& m) {
        return num(e, "DelaySeconds", m.delay_seconds) && str(e, "CommandKey", m.command_key, Need::optional);
    }

    const DecodeLimits& lim_;
    std::string_view rpc_ = "Envelope";
    std::optional<core::Error> err_;
};

}  // namespace

core::Result<Envelope> decode(std::string_view xml, const DecodeLimits& limits) {
    // One pass into a flat tree (soap::Tree), not tinyxml2's DOM: the decoder looks children up
    // by name in any order, which a tree serves; building it costs a fraction of the DOM.
    auto tree = soap::Tree::parse(xml, limits.xml);
    if (!tree) return tree.error();
    auto parts = soap::split_envelope(*tree);
    if (!parts) return parts.error();
    return Decoder(limits).run(*parts);
}

}  // namespace cwmp
