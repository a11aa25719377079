// Envelope -> XML. Element order and arrayType spellings follow the BBF
// cwmp-1-0/1-1/1-2 schemas (children unqualified: elementFormDefault is
// "unqualified"); tests validate every alternative in every version with
// xmllint against ../shared/bbf.
#include <charconv>
#include <type_traits>

#include "bridge/cwmp/codec.hpp"
#include "bridge/cwmp/rpc_names.hpp"

namespace cwmp {
namespace {

// Bytes the lists of a message will take, roughly, so that a large
// GetParameterValuesResponse is written into one allocation.
template <class T>
std::size_t list_bytes(const T& m) {
    std::size_t n = 0;
    if constexpr (requires { m.parameters; }) {
        for (const auto& p : m.parameters) {
            n += 160 + p.name.size();
            if constexpr (requires { p.value; }) n += p.value.size();
        }
    }
    if constexpr (requires { m.names; })
        for (const auto& s : m.names) n += 20 + s.size();
    if constexpr (requires { m.methods; })
        for (const auto& s : m.methods) n += 20 + s.size();
    if constexpr (requires { m.set_parameter_values_faults; })
        for (const auto& f : m.set_parameter_values_faults) n += 160 + f.parameter_name.size() + f.fault_string.size();
    return n;
}

std::size_t estimate_size(const Body& body) {
    return 1024 + std::visit([](const auto& m) { return list_bytes(m); }, body);
}

bool in(std::uint32_t code, std::uint32_t lo, std::uint32_t hi) { return code >= lo && code <= hi; }

// Fault codes: a code the envelope's schema does not define would make the
// whole message invalid, so it is sent as the generic code of its family that
// the version does define (TR-069 added the specific codes later).
// cwmp-1-1 and -1-2 define 8000-8899 and 9000-9899 for Fault; cwmp-1-0 only
// 9000-9013, 8000-8005 and the vendor ranges.
std::uint32_t fault_code_for(Version v, std::uint32_t code, bool cpe_only) {
    bool ok = v == Version::v1_0 ? in(code, 9000, 9013) || in(code, 9800, 9899) ||
                                       (!cpe_only && (in(code, 8000, 8005) || in(code, 8800, 8899)))
                                 : in(code, 9000, 9899) || (!cpe_only && in(code, 8000, 8899));
    if (ok) return code;
    if (in(code, 9014, 9020)) return 9010;  // the specific file transfer failures
    if (!cpe_only && in(code, 8000, 8999)) return 8002;
    return 9002;
}

// TransferComplete's FaultStruct allows a narrower set, again per version.
std::uint32_t transfer_fault_code_for(Version v, std::uint32_t code) {
    bool base = code == 0 || code == 9001 || code == 9002 || in(code, 9010, 9012);
    bool ok = base;
    if (v == Version::v1_1) ok = base || in(code, 9014, 9899);
    if (v == Version::v1_2) ok = base || in(code, 9014, 9020) || in(code, 9033, 9899);
    if (ok) return code;
    return in(code, 9013, 9020) ? 9010 : 9002;
}

class Encoder {
public:
    explicit Encoder(std::size_t reserve) : w_(reserve) {}

    std::string run(const Envelope& env) {
        w_.declaration();
        w_.open("soap-env:Envelope")
            .attr("xmlns:soap-env", soap::kEnvelopeNs)
            .attr("xmlns:soap-enc", soap::kEncodingNs)
            .attr("xmlns:xsd", soap::kXsdNs)
            .attr("xmlns:xsi", soap::kXsiNs)
            .attr("xmlns:cwmp", namespace_uri(env.version))
            .close_open();
        header(env);
        w_.start("soap-env:Body");
        version_ = env.version;
        std::visit([&](const auto& m) { rpc(m); }, env.body);
        w_.end("soap-env:Body").end("soap-env:Envelope");
        return w_.take();
    }

private:
    void header(const Envelope& env) {
        if (env.id.empty() && !env.hold_requests && !env.no_more_requests) return;
        w_.start("soap-env:Header");
        if (!env.id.empty())
            w_.open("cwmp:ID").attr("soap-env:mustUnderstand", "1").close_open().text(env.id).end("cwmp:ID");
        if (env.hold_requests)
            w_.open("cwmp:HoldRequests")
                .attr("soap-env:mustUnderstand", "1")
                .close_open()
                .raw(*env.hold_requests ? "1" : "0")
                .end("cwmp:HoldRequests");
        // Deprecated since CWMP 1.1 and declared by no BBF schema: written only
        // when a caller insists, without mustUnderstand so no peer must fault on it.
        if (env.no_more_requests) w_.element("cwmp:NoMoreRequests", "1");
        w_.end("soap-env:Header");
    }

    template <class T>
    void rpc(const T& m) {
        constexpr std::string_view name = detail::rpc_name_v<T>;
        w_.raw("<cwmp:").raw(name);
        if constexpr (std::is_empty_v<T>) {
            w_.self_close();
        } else {
            w_.close_open();
            fields(m);
            w_.raw("</cwmp:").raw(name).raw(">");
        }
    }

    void rpc(const UnknownRpc& m) {
        w_.raw("<cwmp:").raw(m.name);
        if (!m.namespace_uri.empty() && m.namespace_uri != namespace_uri(version_))
            w_.attr("xmlns:cwmp", m.namespace_uri);
        w_.self_close();
    }

    // TR-069 A.4.1 / A.5: a SOAP Fault whose detail carries cwmp:Fault.
    void rpc(const Fault& f) {
        std::uint32_t code = fault_code_for(version_, f.code, false);
        w_.start("soap-env:Fault")
            .element("faultcode", is_client_fault(code) ? "Client" : "Server")
            .element("faultstring", "CWMP fault")
            .start("detail")
            .start("cwmp:Fault");
        num("FaultCode", code);
        w_.element("FaultString", f.string);
        for (const auto& p : f.set_parameter_values_faults) {
            w_.start("SetParameterValuesFault").element("ParameterName", p.parameter_name);
            num("FaultCode", fault_code_for(version_, p.fault_code, true));
            w_.element("FaultString", p.fault_string).end("SetParameterValuesFault");
        }
        w_.end("cwmp:Fault").end("detail").end("soap-env:Fault");
    }

    // ---- leaf helpers ---------------------------------------------------------
    template <class N>
    void num(std::string_view name, N value) {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, value);
        w_.start(name).raw(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf))).end(name);
    }
    void boolean(std::string_view name, bool b) { w_.element(name, b ? "1" : "0"); }
    void str(std::string_view name, std::string_view value) { w_.element(name, value); }

    void open_array(std::string_view name, std::string_view item_type, std::size_t n) {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, n);
        w_.open(name)
            .raw(" soap-enc:arrayType=\"")
            .raw(item_type)
            .raw("[")
            .raw(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)))
            .raw("]\"")
            .close_open();
    }

    void strings(std::string_view name, const std::vector<std::string>& items) {
        open_array(name, "xsd:string", items.size());
        for (const auto& s : items) w_.element("string", s);
        w_.end(name);
    }

    void values(const std::vector<ParameterValue>& params) {
        open_array("ParameterList", "cwmp:ParameterValueStruct", params.size());
        for (const auto& p : params) {
            w_.start("ParameterValueStruct").element("Name", p.name).open("Value");
            if (!p.type.empty()) w_.attr("xsi:type", p.type);
            w_.close_open().text(p.value).end("Value").end("ParameterValueStruct");
        }
        w_.end("ParameterList");
    }

    void transfer_result(int status, const std::string& start, const std::string& complete) {
        num("Status", status);
        str("StartTime", start);
        str("CompleteTime", complete);
    }

    // ---- RPC bodies, children in schema order ------------------------------------
    void fields(const Inform& m) {
        w_.start("DeviceId");
        str("Manufacturer", m.device_id.manufacturer);
        str("OUI", m.device_id.oui);
        str("ProductClass", m.device_id.product_class);
        str("SerialNumber", m.device_id.serial_number);
        w_.end("DeviceId");
        open_array("Event", "cwmp:EventStruct", m.events.size());
        for (const auto& e : m.events) {
            w_.start("EventStruct");
            str("EventCode", e.event_code);
            str("CommandKey", e.command_key);
            w_.end("EventStruct");
        }
        w_.end("Event");
        num("MaxEnvelopes", m.max_envelopes);
        str("CurrentTime", m.current_time);
        num("RetryCount", m.retry_count);
        values(m.parameters);
    }
    void fields(const InformResponse& m) { num("MaxEnvelopes", m.max_envelopes); }
    void fields(const TransferComplete& m) {
        str("CommandKey", m.command_key);
        w_.start("FaultStruct");
        num("FaultCode", transfer_fault_code_for(version_, m.fault.code));
        str("FaultString", m.fault.string);
        w_.end("FaultStruct");
        str("StartTime", m.start_time);
        str("CompleteTime", m.complete_time);
    }
    void fields(const GetRPCMethodsResponse& m) { strings("MethodList", m.methods); }
    void fields(const GetParameterNames& m) {
        str("ParameterPath", m.parameter_path);
        boolean("NextLevel", m.next_level);
    }
    void fields(const GetParameterNamesResponse& m) {
        open_array("ParameterList", "cwmp:ParameterInfoStruct", m.parameters.size());
        for (const auto& p : m.parameters) {
            w_.start("ParameterInfoStruct");
            str("Name", p.name);
            boolean("Writable", p.writable);
            w_.end("ParameterInfoStruct");
        }
        w_.end("ParameterList");
    }
    void fields(const GetParameterValues& m) { strings("ParameterNames", m.names); }
    void fields(const GetParameterValuesResponse& m) { values(m.parameters); }
    void fields(const SetParameterValues& m) {
        values(m.parameters);
        str("ParameterKey", m.parameter_key);
    }
    void fields(const SetParameterValuesResponse& m) { num("Status", m.status); }
    void fields(const GetParameterAttributes& m) { strings("ParameterNames", m.names); }
    void fields(const GetParameterAttributesResponse& m) {
        open_array("ParameterList", "cwmp:ParameterAttributeStruct", m.parameters.size());
        for (const auto& p : m.parameters) {
            w_.start("ParameterAttributeStruct");
            str("Name", p.name);
            num("Notification", p.notification);
            strings("AccessList", p.access_list);
            w_.end("ParameterAttributeStruct");
        }
        w_.end("ParameterList");
    }
    void fields(const SetParameterAttributes& m) {
        open_array("ParameterList", "cwmp:SetParameterAttributesStruct", m.parameters.size());
        for (const auto& p : m.parameters) {
            w_.start("SetParameterAttributesStruct");
            str("Name", p.name);
            boolean("NotificationChange", p.notification_change);
            num("Notification", p.notification);
            boolean("AccessListChange", p.access_list_change);
            strings("AccessList", p.access_list);
            w_.end("SetParameterAttributesStruct");
        }
        w_.end("ParameterList");
    }
    void fields(const AddObject& m) {
        str("ObjectName", m.object_name);
        str("ParameterKey", m.parameter_key);
    }
    void fields(const AddObjectResponse& m) {
        num("InstanceNumber", m.instance_number);
        num("Status", m.status);
    }
    void fields(const DeleteObject& m) {
        str("ObjectName", m.object_name);
        str("ParameterKey", m.parameter_key);
    }
    void fields(const DeleteObjectResponse& m) { num("Status", m.status); }
    void fields(const Reboot& m) { str("CommandKey", m.command_key); }
    void fields(const Download& m) {
        str("CommandKey", m.command_key);
        str("FileType", m.file_type);
        str("URL", m.url);
        str("Username", m.username);
        str("Password", m.password);
        num("FileSize", m.file_size);
        str("TargetFileName", m.target_file_name);
        num("DelaySeconds", m.delay_seconds);
        str("SuccessURL", m.success_url);
        str("FailureURL", m.failure_url);
    }
    void fields(const DownloadResponse& m) { transfer_result(m.status, m.start_time, m.complete_time); }
    void fields(const Upload& m) {
        str("CommandKey", m.command_key);
        str("FileType", m.file_type);
        str("URL", m.url);
        str("Username", m.username);
        str("Password", m.password);
        num("DelaySeconds", m.delay_seconds);
    }
    void fields(const UploadResponse& m) { transfer_result(m.status, m.start_time, m.complete_time); }
    void fields(const ScheduleInform& m) {
        num("DelaySeconds", m.delay_seconds);
        str("CommandKey", m.command_key);
    }

    soap::Writer w_;
    Version version_ = Version::v1_0;
};

}  // namespace

std::string encode(const Envelope& env) { return Encoder(estimate_size(env.body)).run(env); }

}  // namespace cwmp
