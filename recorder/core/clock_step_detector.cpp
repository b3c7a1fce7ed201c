#include "recorder/core/clock_step_detector.h"

namespace recorder {

std::optional<std::chrono::milliseconds> ClockStepDetector::check(WallTime wall, MonotonicTime monotonic) {
  std::optional<std::chrono::milliseconds> step;
  if (last_wall_) {
    const auto drift = std::chrono::duration_cast<std::chrono::milliseconds>((wall - *last_wall_) -
                                                                             (monotonic - last_monotonic_));
    if (drift > threshold_ || drift < -threshold_) step = drift;
  }
  last_wall_ = wall;
  last_monotonic_ = monotonic;
  return step;
}

}  // namespace recorder
