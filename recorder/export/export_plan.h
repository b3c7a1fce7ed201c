#pragma once
// Which segment files make up an export of one camera's [from, to), and where footage is missing: a pure
// function of catalog rows, so that the API and the offline tool export exactly the same thing.

#include <string>
#include <vector>

#include "recorder/catalog/catalog.h"

namespace recorder::exporting {

struct Gap {
  catalog::Micros from_us = 0;
  catalog::Micros to_us = 0;
};

struct ExportPlan {
  std::string camera_id;
  catalog::Micros from_us = 0;
  catalog::Micros to_us = 0;
  std::vector<catalog::Segment> segments;  // in time order, each overlapping [from, to)
  std::vector<Gap> gaps;                   // parts of [from, to) no segment covers (over 1 s)
};

inline constexpr catalog::Micros default_max_export_us = 4LL * 3600 * 1'000'000;

// Throws recorder::Error (InvalidArgument) for from >= to or a range over `max_us`, NotFound when no
// footage overlaps the range.
ExportPlan plan_export(const std::string& camera_id, catalog::Micros from_us, catalog::Micros to_us,
                       const std::vector<catalog::Segment>& rows, catalog::Micros max_us = default_max_export_us);

}  // namespace recorder::exporting
