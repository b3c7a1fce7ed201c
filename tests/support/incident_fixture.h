#pragma once
// For catalog and retention tests: an incident protecting `cameras` over [start, end).

#include <optional>
#include <string>
#include <vector>

#include "recorder/catalog/catalog.h"

namespace test_support {

inline recorder::catalog::Incident make_incident(std::vector<std::string> cameras, recorder::catalog::Micros start,
                                                 recorder::catalog::Micros end, recorder::catalog::Micros created,
                                                 std::optional<recorder::catalog::Micros> expires = std::nullopt) {
  recorder::catalog::Incident incident;
  incident.cameras = std::move(cameras);
  incident.start_us = start;
  incident.end_us = end;
  incident.reason = "door incident (test)";
  incident.created_by = "tester";
  incident.created_us = created;
  incident.expires_us = expires;
  return incident;
}

}  // namespace test_support
