#pragma once
// Gateways that registered themselves (cmp.accept_registrations): remembered
// across restarts, one YAML blob per gateway in <state_dir>/registry/ through
// state::Store (so ids can never collide with the CPE state files). Secrets
// are not stored: they are derived or provisioned again at every start.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/state/store.hpp"

namespace app {

struct RegisteredGateway {
    std::string id;
    std::string url;            // regRg.rgCtrlUrl, updated when the gateway announces another
    std::string registered_at;  // first registration, xsd:dateTime
    std::string manufacturer, oui, product_class, serial_number;
    bool operator==(const RegisteredGateway&) const = default;
};

std::string serialize(const RegisteredGateway& g);
core::Result<RegisteredGateway> parse_registered(std::string_view yaml);

class GatewayRegistry {
public:
    explicit GatewayRegistry(std::unique_ptr<state::Store> store) : store_(std::move(store)) {}

    // Every remembered gateway; unreadable entries are skipped with an error log.
    core::Result<std::vector<RegisteredGateway>> load_all();
    core::Status save(const RegisteredGateway& g) { return store_->save(g.id, serialize(g)); }
    core::Status remove(std::string_view id) { return store_->remove(id); }

private:
    std::unique_ptr<state::Store> store_;
};

}  // namespace app
