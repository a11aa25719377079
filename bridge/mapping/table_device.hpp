#pragma once
// cpe::Device over a mapping table: every TR-069 operation becomes the
// fewest CMP calls the table allows (one per function per request), and the
// answers are translated back. Pure: it plans calls, the driver runs them.
#include <memory>

#include "bridge/cpe/device.hpp"
#include "bridge/mapping/table.hpp"

namespace mapping {

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

private:
    std::shared_ptr<const Table> table_;
};

}  // namespace mapping
