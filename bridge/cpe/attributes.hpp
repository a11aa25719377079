#pragma once
// Parameter attributes (Notification, AccessList) as rules on paths. A
// SetParameterAttributes on a partial path sets every parameter below it,
// including instances created later, so it is stored as one rule on that path
// rather than expanded; a more specific rule (a longer path) wins. Setting a
// partial path again clears the more specific rules below it for the fields
// it sets, which is what "applies to all Parameters below" means over time.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/cpe/cpe_state.hpp"
#include "bridge/cpe/device.hpp"
#include "bridge/cwmp/messages.hpp"

namespace cpe {

using AttributeRules = std::map<std::string, AttributeRule>;

// The Notification a parameter has: the most specific rule, else the data
// model's default (2 for force_enabled and force_default_enabled, else 0);
// force_enabled is 2 whatever a rule says.
int effective_notification(const AttributeRules& rules, const std::string& path, ActiveNotify active_notify);
std::vector<std::string> effective_access_list(const AttributeRules& rules, const std::string& path);

// Applies one request item (its name may be a partial path).
void apply_attribute(AttributeRules& rules, const cwmp::SetParameterAttributesStruct& item);

// Standard active-notification facts for parameters the data model itself
// constrains (TR-098/TR-106 activeNotify). Devices may say more in NodeInfo;
// the stronger of the two applies. See docs/cwmp.md "Attributes".
ActiveNotify standard_active_notify(std::string_view root, std::string_view path);
ActiveNotify stronger(ActiveNotify a, ActiveNotify b);

}  // namespace cpe
