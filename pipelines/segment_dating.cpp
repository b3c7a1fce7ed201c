#include "pipelines/segment_dating.h"

#include <cmath>

namespace recorder::pipelines {

WallTime SegmentDating::date(std::chrono::nanoseconds position, std::optional<WallTime> arrived, WallTime now) {
  if (!previous_ || position <= previous_->position) {
    previous_ = Dated{position, arrived.value_or(now)};
    return previous_->start;
  }
  const auto since_previous = position - previous_->position;
  const WallTime on_time_line = previous_->start + std::chrono::duration_cast<WallTime::duration>(since_previous);
  if (!arrived) {
    previous_ = Dated{position, on_time_line};
    return on_time_line;
  }
  const auto difference = *arrived - on_time_line;
  const bool far_off = difference >= restart_beyond || difference <= -restart_beyond;
  if (far_off && previous_->far_off) {
    previous_ = Dated{position, *arrived};
    return *arrived;
  }
  WallTime start = on_time_line;
  if (!far_off) {
    const double gain = 1.0 - std::exp(-std::chrono::duration<double>(since_previous) / steering_time);
    start += std::chrono::duration_cast<WallTime::duration>(difference * gain);
  }
  previous_ = Dated{position, start, far_off};
  return start;
}

}  // namespace recorder::pipelines
