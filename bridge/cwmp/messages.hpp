#pragma once
// Typed CWMP messages (TR-069 Amendment 6, Annex A). Symmetric: every message
// the bridge receives as a CPE it could also send as an ACS (reverse mode), so
// the codec encodes and decodes all of them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cwmp {

// Namespace urn:dslforum-org:cwmp-1-N. 1-3/1-4 schemas keep the 1-2 URN.
enum class Version : std::uint8_t { v1_0 = 0, v1_1 = 1, v1_2 = 2 };
std::string_view namespace_uri(Version v);
std::optional<Version> version_from_namespace(std::string_view uri);
std::optional<Version> version_from_string(std::string_view s);  // "cwmp-1-0", "1.0", "1-0"
std::string_view to_string(Version v);                           // "cwmp-1-0"

// ---- shared structures -------------------------------------------------------
struct DeviceId {
    std::string manufacturer;
    std::string oui;
    std::string product_class;
    std::string serial_number;
    bool operator==(const DeviceId&) const = default;
};

struct EventStruct {
    std::string event_code;   // "0 BOOTSTRAP", "M Reboot", ...
    std::string command_key;
    bool operator==(const EventStruct&) const = default;
};

struct ParameterValue {
    std::string name;
    std::string value;
    // xsi:type as written on the wire, e.g. "xsd:string", "xsd:unsignedInt".
    // Empty when the sender omitted it (seen from real ACSes and CPEs).
    std::string type = "xsd:string";
    bool operator==(const ParameterValue&) const = default;
};

struct ParameterInfo {
    std::string name;
    bool writable = false;
    bool operator==(const ParameterInfo&) const = default;
};

struct ParameterAttribute {
    std::string name;
    int notification = 0;  // 0 off, 1 passive, 2 active
    std::vector<std::string> access_list;
    bool operator==(const ParameterAttribute&) const = default;
};

struct SetParameterAttributesStruct {
    std::string name;
    bool notification_change = false;
    int notification = 0;
    bool access_list_change = false;
    std::vector<std::string> access_list;
    bool operator==(const SetParameterAttributesStruct&) const = default;
};

struct FaultStruct {
    std::uint32_t code = 0;  // 0 = no fault
    std::string string;
    bool operator==(const FaultStruct&) const = default;
};

// The CWMP unknown time: TR-069 uses 0001-01-01T00:00:00Z for "not known".
inline constexpr std::string_view kUnknownTime = "0001-01-01T00:00:00Z";

// ---- CPE -> ACS requests and their responses ----------------------------------
struct Inform {
    DeviceId device_id;
    std::vector<EventStruct> events;
    std::uint32_t max_envelopes = 1;
    std::string current_time;  // xsd:dateTime
    std::uint32_t retry_count = 0;
    std::vector<ParameterValue> parameters;
    bool operator==(const Inform&) const = default;
};
struct InformResponse {
    std::uint32_t max_envelopes = 1;
    bool operator==(const InformResponse&) const = default;
};

struct TransferComplete {
    std::string command_key;
    FaultStruct fault;
    std::string start_time = std::string(kUnknownTime);
    std::string complete_time = std::string(kUnknownTime);
    bool operator==(const TransferComplete&) const = default;
};
struct TransferCompleteResponse {
    bool operator==(const TransferCompleteResponse&) const = default;
};

// GetRPCMethods goes both ways.
struct GetRPCMethods {
    bool operator==(const GetRPCMethods&) const = default;
};
struct GetRPCMethodsResponse {
    std::vector<std::string> methods;
    bool operator==(const GetRPCMethodsResponse&) const = default;
};

// ---- ACS -> CPE requests and their responses ----------------------------------
struct GetParameterNames {
    std::string parameter_path;
    bool next_level = false;
    bool operator==(const GetParameterNames&) const = default;
};
struct GetParameterNamesResponse {
    std::vector<ParameterInfo> parameters;
    bool operator==(const GetParameterNamesResponse&) const = default;
};

struct GetParameterValues {
    std::vector<std::string> names;
    bool operator==(const GetParameterValues&) const = default;
};
struct GetParameterValuesResponse {
    std::vector<ParameterValue> parameters;
    bool operator==(const GetParameterValuesResponse&) const = default;
};

struct SetParameterValues {
    std::vector<ParameterValue> parameters;
    std::string parameter_key;  // absent on the wire from some ACSes: decoded as ""
    bool operator==(const SetParameterValues&) const = default;
};
struct SetParameterValuesResponse {
    int status = 0;  // 0 applied, 1 applied and committed later
    bool operator==(const SetParameterValuesResponse&) const = default;
};

struct GetParameterAttributes {
    std::vector<std::string> names;
    bool operator==(const GetParameterAttributes&) const = default;
};
struct GetParameterAttributesResponse {
    std::vector<ParameterAttribute> parameters;
    bool operator==(const GetParameterAttributesResponse&) const = default;
};

struct SetParameterAttributes {
    std::vector<SetParameterAttributesStruct> parameters;
    bool operator==(const SetParameterAttributes&) const = default;
};
struct SetParameterAttributesResponse {
    bool operator==(const SetParameterAttributesResponse&) const = default;
};

struct AddObject {
    std::string object_name;
    std::string parameter_key;
    bool operator==(const AddObject&) const = default;
};
struct AddObjectResponse {
    std::uint32_t instance_number = 0;
    int status = 0;
    bool operator==(const AddObjectResponse&) const = default;
};

struct DeleteObject {
    std::string object_name;
    std::string parameter_key;
    bool operator==(const DeleteObject&) const = default;
};
struct DeleteObjectResponse {
    int status = 0;
    bool operator==(const DeleteObjectResponse&) const = default;
};

struct Reboot {
    std::string command_key;
    bool operator==(const Reboot&) const = default;
};
struct RebootResponse {
    bool operator==(const RebootResponse&) const = default;
};

struct FactoryReset {
    bool operator==(const FactoryReset&) const = default;
};
struct FactoryResetResponse {
    bool operator==(const FactoryResetResponse&) const = default;
};

struct Download {
    std::string command_key;
    std::string file_type;  // "1 Firmware Upgrade Image", "3 Vendor Configuration File", ...
    std::string url;
    std::string username;
    std::string password;
    std::uint32_t file_size = 0;
    std::string target_file_name;
    std::uint32_t delay_seconds = 0;
    std::string success_url;
    std::string failure_url;
    bool operator==(const Download&) const = default;
};
struct DownloadResponse {
    int status = 1;  // 0 completed, 1 not yet completed (TransferComplete follows)
    std::string start_time = std::string(kUnknownTime);
    std::string complete_time = std::string(kUnknownTime);
    bool operator==(const DownloadResponse&) const = default;
};

struct Upload {
    std::string command_key;
    std::string file_type;  // "1 Vendor Configuration File", "2 Vendor Log File", ...
    std::string url;
    std::string username;
    std::string password;
    std::uint32_t delay_seconds = 0;
    bool operator==(const Upload&) const = default;
};
struct UploadResponse {
    int status = 1;
    std::string start_time = std::string(kUnknownTime);
    std::string complete_time = std::string(kUnknownTime);
    bool operator==(const UploadResponse&) const = default;
};

struct ScheduleInform {
    std::uint32_t delay_seconds = 0;
    std::string command_key;
    bool operator==(const ScheduleInform&) const = default;
};
struct ScheduleInformResponse {
    bool operator==(const ScheduleInformResponse&) const = default;
};

// ---- faults ----------------------------------------------------------------------
struct SetParameterValuesFault {
    std::string parameter_name;
    std::uint32_t fault_code = 0;
    std::string fault_string;
    bool operator==(const SetParameterValuesFault&) const = default;
};

// A SOAP Fault carrying cwmp:Fault detail. faultcode ("Client"/"Server") is
// derived from the CWMP code per TR-069 Table A.5.1 / A.5.2 unless overridden.
struct Fault {
    std::uint32_t code = 9002;
    std::string string;
    std::vector<SetParameterValuesFault> set_parameter_values_faults;
    bool operator==(const Fault&) const = default;
};
// True when TR-069 assigns this fault code to the SOAP "Client" faultcode.
bool is_client_fault(std::uint32_t code);
// The standard fault string for a CWMP fault code ("Method not supported", ...).
std::string_view default_fault_string(std::uint32_t code);

// A request whose RPC name the decoder does not know: answered with fault 9000.
struct UnknownRpc {
    std::string name;
    std::string namespace_uri;
    bool operator==(const UnknownRpc&) const = default;
};

using Body = std::variant<
    // CPE -> ACS
    Inform, InformResponse, TransferComplete, TransferCompleteResponse, GetRPCMethods, GetRPCMethodsResponse,
    // ACS -> CPE
    GetParameterNames, GetParameterNamesResponse, GetParameterValues, GetParameterValuesResponse,
    SetParameterValues, SetParameterValuesResponse, GetParameterAttributes, GetParameterAttributesResponse,
    SetParameterAttributes, SetParameterAttributesResponse, AddObject, AddObjectResponse, DeleteObject,
    DeleteObjectResponse, Reboot, RebootResponse, FactoryReset, FactoryResetResponse, Download,
    DownloadResponse, Upload, UploadResponse, ScheduleInform, ScheduleInformResponse,
    // either direction
    Fault, UnknownRpc>;

// The RPC element name of a body ("GetParameterValuesResponse", "Fault", ...).
std::string_view rpc_name(const Body& body);

struct Envelope {
    Version version = Version::v1_0;
    std::string id;                     // cwmp:ID header; empty = absent
    std::optional<bool> hold_requests;  // cwmp:HoldRequests header (ACS -> CPE)
    bool no_more_requests = false;      // cwmp:NoMoreRequests (deprecated, still decoded)
    Body body;
    bool operator==(const Envelope&) const = default;
};

}  // namespace cwmp
