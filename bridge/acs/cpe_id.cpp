#include "bridge/acs/cpe_id.hpp"

#include "bridge/http/encoding.hpp"

namespace acs {
namespace {

// RFC 3986 unreserved characters except '-', which separates the parts.
bool keep(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '~';
}

void append_encoded(std::string& out, std::string_view part) { out += http::percent_encode(part, keep); }

}  // namespace

std::string cpe_id(const cwmp::DeviceId& device) {
    std::string out;
    append_encoded(out, device.oui);
    out += '-';
    if (!device.product_class.empty()) {
        append_encoded(out, device.product_class);
        out += '-';
    }
    append_encoded(out, device.serial_number);
    return out;
}

std::string data_model_root(const cwmp::Inform& inform) {
    for (const auto& p : inform.parameters) {
        auto dot = p.name.find('.');
        if (dot != std::string::npos) return p.name.substr(0, dot + 1);
    }
    return {};
}

}  // namespace acs
