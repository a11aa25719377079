#pragma once
// One HOMS -> gateway CMP request answered from a TR-069 CPE (issue 13), sans-I/O:
//
//   ReverseCall call(mapping, request, ctx);
//   for (auto step = call.next(); step.index() == 0; step = call.next())
//       call.on_rpc_result(run_on_the_cpe(std::get<cwmp::Body>(step)));
//   cmp::Response answer = std::get<cmp::Response>(call.next());
//
// Gets are one GetParameterValues with every name of the request (partial
// paths for tables), GetParameterNames first only when the CPE faults 9005
// and its names are not known; sets are one SetParameterValues; operations
// one Reboot/FactoryReset/Download/Upload; home device functions find or
// create the row they need (docs/mapping.md section 20).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "bridge/cmp/message.hpp"
#include "bridge/core/result.hpp"
#include "bridge/cwmp/messages.hpp"
#include "bridge/mapping/reverse_mapping.hpp"

namespace mapping {

// What the reverse direction keeps per CPE between calls and Informs.
struct ReverseEventState {
    struct Subscription {
        cmp::Record args;                          // the applyHomeDevEvent request (devId, serviceId, ...)
        std::map<std::string, std::string> vars;   // subscribed parameter path -> state variable name
        std::uint32_t seq = 0;                     // notifyHomeDevEvent.seq of the last message
        bool operator==(const Subscription&) const = default;
    };
    std::map<std::string, Subscription> subscriptions;  // by eventId
    // Last value seen of each CPE parameter (GetParameterValues answers,
    // Informs): fills the fields a leave or alert message needs that the
    // Inform did not carry, and tells a change from a repeat.
    std::map<std::string, std::string, std::less<>> values;
    std::uint64_t next_id = 1;

    static constexpr std::size_t kMaxValues = 20000;  // a CPE's whole tree is ~1000-5000 names
    static constexpr std::size_t kMaxSubscriptions = 256;
    void remember(const std::string& name, const std::string& value);
    const std::string* value(std::string_view name) const;

    // Persisted per CPE by the caller (YAML text, reverse_state.cpp), so that
    // subscriptions survive a restart. load() leaves the state as it was on error.
    std::string save() const;
    core::Status load(std::string_view blob);
    bool operator==(const ReverseEventState&) const = default;
};

struct ReverseContext {
    // The CPE's names and their writability (GetParameterNames discovery, acs::CpeRecord::names);
    // nullptr: not known yet.
    const std::map<std::string, bool, std::less<>>* known_names = nullptr;
    // Subscriptions and remembered values; needed by applyHomeDevEvent/releaseHomeDevEvent.
    ReverseEventState* state = nullptr;
};

class ReverseCall {
public:
    ReverseCall(std::shared_ptr<const ReverseMapping> mapping, cmp::Request request, ReverseContext ctx);

    using Step = std::variant<cwmp::Body /* RPC to run on the CPE */, cmp::Response /* finished */>;
    // The RPC to run (again, until its result is given), or the answer.
    Step next();
    // The CPE's answer: a response body, a cwmp::Fault body, or an error (acs.busy, acs.timeout, ...).
    void on_rpc_result(core::Result<cwmp::Body> answer);

    // Gateway -> HOMS messages due once the answer was sent (the initial
    // notifyHomeDevEvent, seq 0, of a new subscription).
    const std::vector<cmp::Request>& follow_ups() const { return follow_ups_; }
    // RPCs asked for so far (tests: "never more RPCs than needed").
    std::size_t rpc_count() const { return rpcs_; }

private:
    using Then = std::function<void(core::Result<cwmp::Body>)>;
    using Values = std::map<std::string, std::string, std::less<>>;

    void start();
    void run(cwmp::Body rpc, Then then);
    void finish(int code, std::string message = {});
    void finish_ok(cmp::Record fields);
    // A transport error or a Fault ends the call with its resultCode; true then.
    bool failed(const core::Result<cwmp::Body>& answer, const std::string& what);
    // The answer is rpc's response ("Reboot" -> RebootResponse); otherwise the call ended (failed(),
    // or general_failure for another RPC's response) and false.
    bool answered(const core::Result<cwmp::Body>& answer, const std::string& rpc);
    // The values of a GetParameterValues answer (remembered in the state); nullopt after
    // ending the call when the answer is an error, a Fault or another RPC's response.
    std::optional<Values> values_of(const core::Result<cwmp::Body>& answer);
    bool known(const std::string& name) const;
    std::string key() const;  // ParameterKey / CommandKey: "cmp:<function>:<transactionId>"

    // ---- reverse_call.cpp: gets
    void start_get();
    // GetParameterValues names: tables as partial paths, per field the first source the CPE has.
    std::vector<std::string> get_names() const;
    void get_values(std::vector<std::string> names, bool discovered);
    void fill_get(const Values& values);

    // ---- reverse_call_ops.cpp: sets, operations, home device rows
    void start_set();
    void start_transfer();
    void start_action();
    void start_subscribe();
    void start_unsubscribe();
    // Rows of `object` with these parameter values (one wanted set each):
    // found by one GetParameterValues of the table, missing ones added. done
    // gets each set's instance path and the rows it created.
    using Wanted = std::vector<std::map<int, std::string>>;
    // values: the table's values when already read (no GetParameterValues then);
    // set_keys false: the caller sets the new rows' values in its own SetParameterValues.
    void ensure_rows(int object, Wanted wanted, std::function<void(std::vector<std::string>, std::vector<bool>)> done,
                     const Values* values = nullptr, bool set_keys = true);

    std::shared_ptr<const ReverseMapping> m_;
    const Table& t_;
    cmp::Request req_;
    ReverseContext ctx_;
    std::map<std::string, bool, std::less<>> discovered_;  // names from our own GetParameterNames
    bool have_discovered_ = false;
    std::vector<std::string> rows_;  // instance paths of the rows the request selected ("...Variable.3.")
    GetLayout layout_;               // gets: computed once in start_get

    std::optional<cwmp::Body> pending_;
    Then then_;
    std::optional<cmp::Response> result_;
    std::vector<cmp::Request> follow_ups_;
    std::size_t rpcs_ = 0;
    bool started_ = false;
};

// Partial path of a table's rows ("...Hosts.Host.{i}.X" -> "...Hosts.Host.").
std::string table_prefix(std::string_view template_path);
// Instance numbers of the rows under prefix that values name, ascending.
std::vector<std::uint32_t> instances_in(const std::map<std::string, std::string, std::less<>>& values,
                                        const std::string& prefix);

// The notifyHomeDevEvent of a subscription for these (parameter path, CPE
// value) pairs: seq 0 when initial, else the next seq. nullopt when none of
// the values belongs to the subscription or the table has no such event rule.
std::optional<cmp::Request> subscription_event(const ReverseMapping& m, const std::string& event_id,
                                               ReverseEventState::Subscription& sub,
                                               const std::vector<std::pair<std::string, std::string>>& values,
                                               bool initial);

// Gateway -> HOMS messages for what a CPE reported in an Inform: VALUE CHANGE
// of list-row parameters (Hosts.Host.{n}.Active -> notifyHomeDevJoin/Leave),
// of subscribed parameters (notifyHomeDevEvent), of alert parameters
// (notifyRgSecAlert/RscAlert). Every parameter is remembered in state.
// `read`: values the caller fetched for reverse_event_reads (a new row's
// fields); remembered after the changes are found, so they are not changes.
std::vector<cmp::Request> reverse_events(const ReverseMapping& m, const cwmp::Inform& inform, ReverseEventState& state,
                                         const std::vector<cwmp::ParameterValue>& read = {});
// Partial paths to GetParameterValues before reverse_events: rows whose event
// message needs fields neither the Inform nor the state has (a host that
// just joined reports only Active). Empty when nothing is missing.
std::vector<std::string> reverse_event_reads(const ReverseMapping& m, const cwmp::Inform& inform,
                                             const ReverseEventState& state);
// A TransferComplete of an operation started by ReverseCall whose rule has a
// completion message (notifyRgUpgradeResult); nullopt for other command keys.
std::optional<cmp::Request> reverse_transfer_complete(const ReverseMapping& m, const cwmp::TransferComplete& tc,
                                                      const ReverseEventState& state);

}  // namespace mapping
