#pragma once
// The scripted HOMS's script: steps played in order against the gateways
// that register with it (docs/testing.md, "The scripted HOMS").
//
//   steps:
//     - wait_registered: 3            # this many gateways registered (authRg succeeded); their
//                                     # regRg events stay unmatched (see wait_event ... since)
//       timeout: 30                   # seconds, every waiting step (default 30)
//     - wait_registered: GW-0002      # or this rgId
//     - call: getRgDiskRsc            # a HOMS -> gateway function
//       gateway: "#1"                 # an rgId, or "#N": the N-th gateway that registered (default "#1")
//       args: {diskId: usb1}          # scalars; a list is a sequence of maps
//       expect:
//         resultCode: 0               # default 0; "any": not checked
//         fields:                     # response fields by path: name, list[i].name
//           disk[0].name: usb1        # exact text
//           disk[0].fsType: {regex: "vfat|ext4"}   # or a regex over the whole value
//         absent: [disk[1]]           # these paths must not exist
//       save: {first_disk: disk[0].name}   # ${first_disk} in later args and expectations
//     - wait_event: notifyHomeDevJoin # a gateway -> HOMS message received since the start, not yet
//       gateway: "#1"                 # matched by an earlier wait_event (default: any gateway)
//       fields: {devId: {regex: "mac-.*"}}
//       timeout: 20
//       save: {dev: devId}
//     - wait_event: regRg             # since: previous -> only what arrived after the previous
//       gateway: "#1"                 # step began (here: the registration after a reboot, not
//       since: previous               # the first one); default since: start
//     - sleep: 1.5                    # seconds
//
// wait_event also sees the session messages: regRg (with its fields, when
// authRg succeeded), keepAliveRg, and deregRg (field reason; "keep-alive
// timeout" when the HOMS gave up on the gateway).
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"

struct FieldExpect {
    std::string path;
    std::string text;  // exact text, or the regex's source
    bool is_regex = false;
};

struct HomsStep {
    enum class Kind { wait_registered, call, wait_event, sleep } kind = Kind::sleep;
    int line = 0;                 // in the script, for messages
    std::string gateway;          // rgId or "#N"; empty: any (wait_*)
    std::size_t count = 0;        // wait_registered: how many (0: the given gateway)
    std::string function;         // call, wait_event
    YAML::Node args;              // call: kept as YAML until ${var} substitution
    std::optional<int> expect_result = 0;  // call; nullopt: "any"
    std::vector<FieldExpect> fields;       // call: response; wait_event: message
    std::vector<std::string> absent;
    std::map<std::string, std::string> save;  // variable -> field path
    std::chrono::milliseconds timeout{30'000};
    std::chrono::milliseconds duration{0};  // sleep
    bool since_previous = false;            // wait_event: only events received after the previous step began
};

struct HomsScript {
    std::vector<HomsStep> steps;
};

core::Result<HomsScript> load_homs_script(const std::string& path);

using Variables = std::map<std::string, std::string>;
// "${name}" replaced by saved values; an unknown name is an error.
core::Result<std::string> substitute(const std::string& text, const Variables& vars);
// The call's arguments as a CMP record.
core::Result<cmp::Record> make_args(const YAML::Node& args, const Variables& vars);
// A field by path ("name", "disk[1].totalMB"); nullopt when absent or when it is a list.
std::optional<std::string> field_at(const cmp::Record& record, std::string_view path);
bool path_exists(const cmp::Record& record, std::string_view path);
// Problems of a record against the expectations, "" when it satisfies them.
std::string check_fields(const std::vector<FieldExpect>& fields, const std::vector<std::string>& absent,
                         const cmp::Record& record, const Variables& vars);
// One line describing a record: "devId=mac-1 deviceType=Computer var=[2 items]".
std::string describe(const cmp::Record& record);
