#pragma once
// cpe::Device over a mapping table: every TR-069 operation becomes the
// fewest CMP calls the table allows (one per function and arguments per
// request), and the answers are translated back. Pure: it plans calls, the
// driver runs them; one instance per virtual CPE (it keeps that gateway's
// instance numbers, bridge-kept values and subscriptions).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/cpe/device.hpp"
#include "bridge/mapping/device_state.hpp"
#include "bridge/mapping/table.hpp"

namespace mapping {

// A transfer finished, as the gateway told us; the CPE layer adds the
// CommandKey it kept from the Download/Upload and sends TransferComplete.
struct TransferCompleteInfo {
    std::string rpc;  // "Download" or "Upload"
    std::string file_type;
    cwmp::FaultStruct fault;  // code 0: success
    std::string start_time = std::string(cwmp::kUnknownTime);
    std::string complete_time = std::string(cwmp::kUnknownTime);
    bool operator==(const TransferCompleteInfo&) const = default;
};

// How a Download/Upload of a FileType completes.
enum class TransferMode {
    unsupported,    // no rule: the RPC faults
    immediate,      // the CMP answer means done: Status 0 in the response
    notified,       // a later gateway message completes it: Status 1, then TransferComplete
    bridge_upload,  // the bridge reads the content (upload_content) and uploads it itself
};

class TableDevice : public cpe::Device {
public:
    explicit TableDevice(std::shared_ptr<const Table> table);

    const std::string& root() const override { return table_->root(); }
    const std::string& model() const override { return table_->model(); }

    cpe::Step<std::vector<cwmp::ParameterValue>> get_values(const std::vector<std::string>& names) override;
    cpe::Step<std::vector<cpe::NodeInfo>> get_names(const std::string& path, bool next_level) override;
    std::optional<cpe::NodeInfo> describe(const std::string& path) const override;
    cpe::Step<cpe::Unit> set_values(const std::vector<cwmp::ParameterValue>& values) override;
    cpe::Step<std::uint32_t> add_object(const std::string& object_path) override;
    cpe::Step<cpe::Unit> delete_object(const std::string& instance_path) override;
    cpe::Step<cpe::Unit> reboot(const std::string& command_key) override;
    cpe::Step<cpe::Unit> factory_reset() override;
    cpe::Step<cpe::Unit> download(const cwmp::Download& request) override;
    cpe::Step<cpe::Unit> upload(const cwmp::Upload& request) override;
    cpe::Step<cpe::Unit> notification_changed(const std::string& path, int notification) override;

    // Persisted with the CPE: one entry, "mapping", holding save_state().
    // A blob that cannot be read leaves the state empty (rows numbered anew).
    cpe::DeviceState persistent_state() const override;
    void restore_state(const cpe::DeviceState& state) override;
    // "mapping" as the YAML (version 1) text older bridges stored: traces stay readable and diffable.
    cpe::DeviceState readable_state(const cpe::DeviceState& stored) const override;

    // ---- for the CPE layer ----
    // The state itself (instance numbers, stored values, subscriptions);
    // it changed when state_generation() did.
    std::string save_state() const;
    core::Status load_state(std::string_view blob);
    std::uint64_t state_generation() const { return state_.generation; }

    // A gateway -> HOMS message as changed parameter values (for VALUE
    // CHANGE): events, joins/leaves, subscribed values. Also records what it
    // learns (new rows, stored values). Empty when no rule matches.
    std::vector<cwmp::ParameterValue> translate_event(const cmp::Request& gateway_message);
    // A completion message (notifyRgUpgradeResult) as TransferComplete data.
    std::optional<TransferCompleteInfo> completion(const cmp::Request& gateway_message) const;
    TransferMode transfer_mode(std::string_view rpc, std::string_view file_type) const;
    // Content of a bridge_upload FileType (the gateway log).
    cpe::Step<std::string> upload_content(const cwmp::Upload& request);
    // The gateway lost its subscriptions (it registered again after a
    // reboot): subscribe again everything that had Notification on.
    cpe::Step<cpe::Unit> renew_subscriptions();

    const Table& table() const { return *table_; }

private:
    friend struct GetPlan;
    friend struct SetPlan;

    // Template variables of a row: its stored values, $instance, $key.
    Vars row_vars(int object, std::uint32_t instance,
                  const std::map<std::string, std::string>* overrides = nullptr) const;
    std::optional<std::string> row_var(int object, std::uint32_t instance, std::string_view name,
                                       const std::map<std::string, std::string>* overrides) const;
    std::vector<std::uint32_t> rows_of(int object) const;
    bool row_exists(int object, std::uint32_t instance) const;
    // Updates the rows of list object from one list response; the items by instance.
    std::map<std::uint32_t, const cmp::Record*> apply_list(int object, const cmp::Response& response);
    std::optional<std::string> stored_value(const ParamRule& p, std::uint32_t instance) const;
    void set_stored(const ParamRule& p, std::uint32_t instance, std::string value);
    std::uint32_t count_rows(int table_node) const;
    void touch() { ++state_.generation; }
    cpe::Step<cpe::Unit> run_rpc(const TransferRule* rule, const Vars& vars, FaultContext ctx, const std::string& what);

    std::shared_ptr<const Table> table_;
    TableState state_;
    // save_state() of generation saved_generation_: the CPE layer asks for the state after
    // every RPC and before each one that may change it (a YAML emit each time was a fifth of
    // the bridge's instructions per session). Every change of state_ goes through touch().
    mutable std::string saved_;
    mutable std::optional<std::uint64_t> saved_generation_;
};

// Canonical text of a request's function and arguments: equal requests are
// made once per ACS request.
std::string call_key(const cmp::Request& request);
// Whether two requests are the same call (equal call_key), without building the keys.
bool same_call(const cmp::Request& a, const cmp::Request& b);

}  // namespace mapping
