#pragma once
// The recorder's overall health, OK / DEGRADED / FAULT, and the reasons for it, decided in one place
// from the status snapshot the daemon publishes. A pure function: the unit tests pin every rule.
//
// FAULT: footage or isolation is at risk from the recorder's side (the disk is missing or full with
// nothing deletable, the cameras are not isolated, or the firewall guard says it failed); /healthz
// answers 503. DEGRADED: the recorder works but something an operator should fix is wrong (a camera
// is down, space is under the floor, the clock is not synchronised, the recorder cannot watch the
// firewall and the guard has been silent, or blocked traffic is not attributed).

#include <string>
#include <vector>

#include "recorder/api/status_board.h"

namespace recorder::app {

enum class HealthState { Ok, Degraded, Fault };
const char* to_string(HealthState state);

struct HealthAssessment {
  HealthState state = HealthState::Ok;
  // Short texts without counters, so that each stays one Prometheus series while it lasts:
  // "camera c02-door-1b not recording", "clock not synchronised", "firewall guard silent since
  // 2026-11-30T10:54:44.123Z" (the time of its last result, which does not change while it is silent).
  std::vector<std::string> reasons;
};

// Ignores `status.health` and `status.health_reasons` (what it computes).
HealthAssessment assess_health(const api::StatusSnapshot& status);

// One line for systemd's STATUS= and `systemctl status`: health, cameras recording, free space,
// firewall, and the reasons. "DEGRADED: 1/2 cameras recording; 41.3 GiB free; firewall applied (camera c02
// not recording)".
std::string status_line(const api::StatusSnapshot& status);

}  // namespace recorder::app
