#include "recorder/app/health_model.h"

#include <fmt/format.h>

namespace recorder::app {

const char* to_string(HealthState state) {
  switch (state) {
    case HealthState::Ok: return "OK";
    case HealthState::Degraded: return "DEGRADED";
    case HealthState::Fault: return "FAULT";
  }
  return "FAULT";
}

HealthAssessment assess_health(const api::StatusSnapshot& status) {
  HealthAssessment result;
  auto note = [&result](HealthState severity, std::string reason) {
    if (severity > result.state) result.state = severity;
    result.reasons.push_back(std::move(reason));
  };

  // Cameras down are DEGRADED even when none records: the recorder itself can do nothing about it, the
  // cameras' reasons say what to fix, and every start would otherwise be a FAULT for its first second.
  for (const auto& camera : status.cameras)
    if (camera.state != "recording") note(HealthState::Degraded, "camera " + camera.id + " not recording");

  if (!status.storage_present) note(HealthState::Fault, "storage missing");
  if (status.storage_alarm) note(HealthState::Fault, "storage full: nothing may be deleted");
  else if (status.storage_checked && status.storage_free_bytes < status.storage_floor_bytes)
    note(HealthState::Degraded, "storage under the free-space floor");

  // Without CAP_NET_ADMIN the guard's result file speaks for the table: its reason (failed) or its
  // silence (since when) is the health reason itself, so that it shows in STATUS= and /metrics.
  if (status.firewall_applied && !*status.firewall_applied)
    note(HealthState::Fault, status.firewall_guarded ? "firewall guard failed: " + status.firewall_problem
                                                     : std::string("firewall not applied"));
  else if (!status.firewall_applied && !status.firewall_problem.empty())
    note(HealthState::Degraded, status.firewall_guarded ? status.firewall_problem
                                                        : std::string("firewall not verified by the recorder"));
  if (!status.drop_monitor_problem.empty()) note(HealthState::Degraded, "blocked camera traffic not attributed");

  if (status.clock_synchronised && !*status.clock_synchronised) note(HealthState::Degraded, "clock not synchronised");
  return result;
}

std::string status_line(const api::StatusSnapshot& status) {
  std::size_t recording = 0;
  for (const auto& camera : status.cameras) recording += camera.state == "recording";
  std::string line = fmt::format("{}: {}/{} cameras recording", status.health, recording, status.cameras.size());
  if (!status.storage_present) line += "; storage missing";
  else if (status.storage_checked)
    line += fmt::format("; {:.1f} GiB free", static_cast<double>(status.storage_free_bytes) / (1u << 30));
  if (status.firewall_applied) line += *status.firewall_applied ? "; firewall applied" : "; FIREWALL NOT APPLIED";
  else if (!status.firewall_problem.empty()) line += "; firewall not verified";
  if (!status.health_reasons.empty()) {
    line += " (";
    for (std::size_t i = 0; i < status.health_reasons.size(); ++i) line += (i ? ", " : "") + status.health_reasons[i];
    line += ")";
  }
  return line;
}

}  // namespace recorder::app
