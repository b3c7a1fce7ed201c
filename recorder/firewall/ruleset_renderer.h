#pragma once
// render(plan) -> nft ruleset text: a pure function, golden-file tested. The ruleset lives in a table of
// its own (inet onboard_recorder), replaced whole in one transaction; docs/firewall.md explains each rule.

#include <string>

#include "recorder/firewall/firewall_plan.h"

namespace recorder::firewall {

inline constexpr const char* table_family = "inet";
inline constexpr const char* table_name = "onboard_recorder";
// Every log prefix starts with this; the monitor reads the camera id after it.
inline constexpr const char* log_prefix_start = "obr ";

// The whole script: creates the table if needed, deletes it, and defines it anew, so that applying it
// replaces the previous ruleset atomically and never touches the host's other tables.
std::string render_ruleset(const FirewallPlan& plan);

// The name of the counter of packets dropped from camera number `index` (0-based, config order).
std::string camera_counter_name(std::size_t index);

}  // namespace recorder::firewall
