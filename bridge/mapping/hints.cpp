#include "bridge/mapping/hints.hpp"

#include <initializer_list>

namespace mapping {

namespace {

struct Rule {
    std::initializer_list<std::string_view> any;  // message fragments
    std::string_view hint;
};

// Checked in order: the first rule with a fragment in the message wins, so
// the specific rules come before the broad ones.
const Rule kRules[] = {
    {{"YAML", "indentation"}, "check the indentation and quoting around that position"},
    {{"is not a parameter of", "is not an object of this table"},
     "name an object or parameter this table defines under 'objects:' (docs/mapping.md section 4)"},
    {{"include"}, "includes and overrides: docs/mapping.md section 14"},
    {{"unmapped"}, "unmapped functions: docs/mapping.md section 13"},
    {{"regular expression", "units", "'multiply'", "'divide'", "'wrap'", "'pairs'", "'join'", "'tail'", "datetime",
      "'map'", "'boolean'", "'extract'", "'default'", "transform", ", not KB", ", not MB", ", not B", ", not GB"},
     "transforms, their arguments and their order: docs/mapping.md section 7"},
    {{"argument"}, "request arguments (templates, lists, pairs): docs/mapping.md section 6; the request fields of "
                   "each function: docs/cmp-protocol.md"},
    {{"unknown field", "request field", "response field"},
     "the fields of every CMP function are in docs/cmp-protocol.md; fields a firmware adds are declared under "
     "'catalogue:' (docs/mapping.md section 13)"},
    {{"completion", "'result'", "FileType", "RPC", "Download", "Upload", "Reboot", "FactoryReset"},
     "RPC mappings and completion messages: docs/mapping.md section 11"},
    {{"event", "message", "subscription", "notify"},
     "notifications and gateway messages: docs/mapping.md section 10"},
    {{"fault"}, "resultCode -> CWMP fault overrides: docs/mapping.md section 12"},
    {{"write", "writ", "read-only", "on_set", "access"},
     "how writable parameters reach the gateway: docs/mapping.md section 8"},
    {{"{i}", "list", "key", "row", "add", "delete", "max_rows"}, "multi-instance objects: docs/mapping.md section 9"},
    {{"not under the model root", "root"}, "every path starts with the root of 'model:' (InternetGatewayDevice. or "
                                           "Device.): docs/mapping.md section 3"},
    {{"vendor"}, "vendor extensions X_<VENDOR>_: docs/mapping.md section 3"},
    {{"constant", "not a valid", "allowed value", "type"},
     "values and types come from the data model (facts: docs/datamodels.md, value checking); vendor parameters "
     "declare 'type:' (docs/mapping.md section 5)"},
    {{"value source", "parameter", "template", "stored"}, "parameter rules and value sources: docs/mapping.md "
                                                          "sections 5 and 6"},
    {{"object"}, "objects and their keys: docs/mapping.md section 4"},
    {{"model", "data model", "mount"}, "data model and version: docs/mapping.md section 3; files: docs/datamodels.md"},
};

}  // namespace

std::string default_hint(std::string_view message) {
    for (const auto& r : kRules)
        for (auto f : r.any)
            if (message.find(f) != std::string_view::npos) return std::string(r.hint);
    return "the table language: docs/mapping.md (sections listed at its top)";
}

}  // namespace mapping
