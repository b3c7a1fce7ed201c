#include "pipelines/segment_dating.h"

#include <algorithm>

namespace recorder::pipelines {

WallTime SegmentDating::date(std::chrono::nanoseconds position, WallTime arrived) {
  WallTime start = arrived;
  if (previous_) {
    const WallTime on_time_line =
        previous_->start + std::chrono::duration_cast<WallTime::duration>(position - previous_->position);
    const auto difference = arrived - on_time_line;
    if (position > previous_->position && difference > -restart_beyond && difference < restart_beyond) {
      const auto limit = std::chrono::duration_cast<WallTime::duration>(position - previous_->position) / steering_limit_divisor;
      start = on_time_line + std::clamp<WallTime::duration>(difference / steering_divisor, -limit, limit);
    }
  }
  previous_ = Dated{position, start};
  return start;
}

}  // namespace recorder::pipelines
