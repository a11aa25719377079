#pragma once
// A table-driven in-memory cpe::Device for the RPC handler tests: a map of
// path → {value, type, writable}, multi-instance tables with AddObject and
// DeleteObject, failure injection per operation and per parameter, a log of
// what the handler asked for, and an "async" mode in which every operation
// first asks for a fake CMP call, so the handler's continuations run exactly
// as they do against a real gateway.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bridge/cpe/device.hpp"
#include "bridge/cpe/step_util.hpp"

namespace cpe_test {

class MemoryDevice : public cpe::Device {
public:
    struct Param {
        std::string value;
        std::string type = "xsd:string";
        bool writable = false;
        cpe::ActiveNotify active_notify = cpe::ActiveNotify::normal;
    };

    explicit MemoryDevice(std::string root = "InternetGatewayDevice.", std::string model = "InternetGatewayDevice:1.4");

    // ---- building the tree ----
    void add(const std::string& path, std::string value, std::string type = "xsd:string", bool writable = false,
             cpe::ActiveNotify an = cpe::ActiveNotify::normal);
    // A multi-instance table "...Host." whose rows get these parameters (relative names).
    void add_table(const std::string& table, std::map<std::string, Param> row_template);
    // Adds row n of a table with the template's values.
    void add_row(const std::string& table, std::uint32_t n);

    // ---- failure injection ----
    std::map<std::string, std::uint32_t> set_value_faults;  // path → per-parameter code in a 9003 fault
    std::optional<cwmp::Fault> fail_set, fail_add, fail_delete, fail_reboot, fail_factory_reset, fail_download,
        fail_upload, fail_get;
    std::set<std::string> refuse_notification;  // paths whose notification_changed answers 9009
    bool async = false;         // every operation asks for one fake CMP call first
    bool apply_later = false;   // changes_apply_later()
    bool dynamic_rows = false;  // describe() does not know table rows (get_names must be used)

    // ---- what happened ----
    std::vector<std::string> log;
    std::size_t fake_calls = 0;
    const std::map<std::string, Param>& params() const { return params_; }
    std::string value(const std::string& path) const;

    // ---- cpe::Device ----
    const std::string& root() const override { return root_; }
    const std::string& model() const override { return model_; }
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
    bool changes_apply_later() const override { return apply_later; }
    cpe::DeviceState persistent_state() const override;
    void restore_state(const cpe::DeviceState& state) override;

private:
    template <class T>
    cpe::Step<T> finish(cpe::Outcome<T> outcome);
    // Every object path (ending in '.') implied by the parameters and tables.
    std::set<std::string> objects() const;
    bool is_table(const std::string& path) const { return tables_.count(path) > 0; }
    bool is_row(const std::string& path) const;

    std::string root_, model_;
    std::map<std::string, Param> params_;
    std::map<std::string, std::map<std::string, Param>> tables_;
    std::map<std::string, std::uint32_t> next_instance_;
};

// Answers every fake CMP call with an empty success, for cpe::run_sync.
inline cpe::CallResults answer_all(const std::vector<cmp::Request>& calls) {
    return cpe::CallResults(calls.size(), core::Result<cmp::Response>(cmp::Response{}));
}

}  // namespace cpe_test
