#include "recorder/export/export_plan.h"

#include <fmt/format.h>

namespace recorder::exporting {

namespace {
constexpr catalog::Micros gap_tolerance_us = 1'000'000;  // arrival-time jitter between segments is not a gap
}

ExportPlan plan_export(const std::string& camera_id, catalog::Micros from_us, catalog::Micros to_us,
                       const std::vector<catalog::Segment>& rows, catalog::Micros max_us) {
  if (from_us >= to_us) throw Error(ErrorKind::InvalidArgument, "the export's start must be before its end");
  if (to_us - from_us > max_us)
    throw Error(ErrorKind::InvalidArgument, fmt::format("the export covers {:.1f} h, more than the limit of {:.1f} h",
                                                        (to_us - from_us) / 3.6e9, max_us / 3.6e9));
  ExportPlan plan{camera_id, from_us, to_us, {}, {}};
  catalog::Micros covered_until = from_us;
  for (const auto& row : rows) {
    const bool playable = row.state == catalog::SegmentState::Complete || row.state == catalog::SegmentState::Recovered;
    const catalog::Micros end = row.end_us.value_or(row.start_us);
    if (!playable || row.camera_id != camera_id || end <= from_us || row.start_us >= to_us) continue;
    if (row.start_us > covered_until + gap_tolerance_us) plan.gaps.push_back({covered_until, row.start_us});
    covered_until = std::max(covered_until, end);
    plan.segments.push_back(row);
  }
  if (plan.segments.empty())
    throw Error(ErrorKind::NotFound, fmt::format("camera {} has no footage in the requested range", camera_id));
  if (to_us > covered_until + gap_tolerance_us) plan.gaps.push_back({covered_until, to_us});
  return plan;
}

}  // namespace recorder::exporting
