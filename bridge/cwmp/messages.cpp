#include "bridge/cwmp/messages.hpp"

#include <array>
#include <utility>

#include "bridge/cwmp/rpc_names.hpp"

namespace cwmp {
namespace {

constexpr std::array<std::string_view, 3> kNamespaces = {"urn:dslforum-org:cwmp-1-0", "urn:dslforum-org:cwmp-1-1",
                                                         "urn:dslforum-org:cwmp-1-2"};
constexpr std::array<std::string_view, 3> kNames = {"cwmp-1-0", "cwmp-1-1", "cwmp-1-2"};

// A forgotten rpc_name_v specialisation would silently encode an empty element name.
template <std::size_t... I>
constexpr bool all_named(std::index_sequence<I...>) {
    return ((std::is_same_v<std::variant_alternative_t<I, Body>, UnknownRpc> ||
             !detail::rpc_name_v<std::variant_alternative_t<I, Body>>.empty()) &&
            ...);
}
static_assert(all_named(std::make_index_sequence<std::variant_size_v<Body>>{}),
              "every Body alternative needs an rpc_name_v specialisation");

struct FaultInfo {
    std::uint32_t code;
    bool client;
    std::string_view text;
};

// TR-069 Amendment 6, A.5.1 (CPE) and A.5.2 (ACS); docs/cwmp.md has the table
// with when each is used.
constexpr FaultInfo kFaults[] = {
    {8000, false, "Method not supported"},
    {8001, false, "Request denied (no reason specified)"},
    {8002, false, "Internal error"},
    {8003, true, "Invalid arguments"},
    {8004, false, "Resources exceeded"},
    {8005, false, "Retry request"},
    {8006, false, "ACS version incompatible with CPE"},
    {9000, false, "Method not supported"},
    {9001, false, "Request denied (no reason specified)"},
    {9002, false, "Internal error"},
    {9003, true, "Invalid arguments"},
    {9004, false, "Resources exceeded"},
    {9005, true, "Invalid parameter name"},
    {9006, true, "Invalid parameter type"},
    {9007, true, "Invalid parameter value"},
    {9008, true, "Attempt to set a non-writable parameter"},
    {9009, false, "Notification request rejected"},
    {9010, false, "File transfer failure"},
    {9011, false, "Upload failure"},
    {9012, false, "File transfer server authentication failure"},
    {9013, false, "Unsupported protocol for file transfer"},
    {9014, false, "File transfer failure: unable to join multicast group"},
    {9015, false, "File transfer failure: unable to contact file server"},
    {9016, false, "File transfer failure: unable to access file"},
    {9017, false, "File transfer failure: unable to complete download"},
    {9018, false, "File transfer failure: file corrupted"},
    {9019, false, "File transfer failure: file authentication failure"},
    {9020, true, "File transfer failure: unable to complete download within specified time windows"},
    {9021, true, "Cancelation of file transfer not permitted in current transfer state"},
    {9022, false, "Invalid UUID Format"},
    {9023, false, "Unknown Execution Environment"},
    {9024, false, "Disabled Execution Environment"},
    {9025, false, "Deployment Unit to Execution Environment Mismatch"},
    {9026, false, "Duplicate Deployment Unit"},
    {9027, false, "System Resources Exceeded"},
    {9028, false, "Unknown Deployment Unit"},
    {9029, false, "Invalid Deployment Unit State"},
    {9030, false, "Invalid Deployment Unit Update - Downgrade not permitted"},
    {9031, false, "Invalid Deployment Unit Update - Version not specified"},
    {9032, false, "Invalid Deployment Unit Update - Version already exists"},
};

const FaultInfo* find_fault(std::uint32_t code) {
    for (const auto& f : kFaults)
        if (f.code == code) return &f;
    return nullptr;
}

}  // namespace

std::string_view namespace_uri(Version v) { return kNamespaces[static_cast<std::size_t>(v)]; }

std::optional<Version> version_from_namespace(std::string_view uri) {
    for (std::size_t i = 0; i < kNamespaces.size(); ++i)
        if (kNamespaces[i] == uri) return static_cast<Version>(i);
    return std::nullopt;
}

std::optional<Version> version_from_string(std::string_view s) {
    if (auto v = version_from_namespace(s)) return v;
    if (s.starts_with("cwmp-")) s.remove_prefix(5);
    if (s.size() != 3 || s[0] != '1' || (s[1] != '.' && s[1] != '-')) return std::nullopt;
    switch (s[2]) {
        case '0':
            return Version::v1_0;
        case '1':
            return Version::v1_1;
        // Protocol versions 1.3 and 1.4 kept the cwmp-1-2 namespace.
        case '2':
        case '3':
        case '4':
            return Version::v1_2;
        default:
            return std::nullopt;
    }
}

std::string_view to_string(Version v) { return kNames[static_cast<std::size_t>(v)]; }

bool is_client_fault(std::uint32_t code) {
    const FaultInfo* f = find_fault(code);
    // Vendor (8800-8899, 9800-9899) and unassigned codes: the sender did not
    // say the request was malformed, so Server is the conservative answer.
    return f && f->client;
}

std::string_view default_fault_string(std::uint32_t code) {
    if (const FaultInfo* f = find_fault(code)) return f->text;
    if ((code >= 9800 && code <= 9899) || (code >= 8800 && code <= 8899)) return "Vendor fault";
    return "Unknown fault";
}

std::string_view rpc_name(const Body& body) {
    return std::visit(
        [](const auto& rpc) -> std::string_view {
            using T = std::decay_t<decltype(rpc)>;
            if constexpr (std::is_same_v<T, UnknownRpc>)
                return rpc.name;
            else
                return detail::rpc_name_v<T>;
        },
        body);
}

}  // namespace cwmp
