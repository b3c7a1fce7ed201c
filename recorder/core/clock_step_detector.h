#pragma once
// Notices when the wall clock jumps (an NTP or GPS correction) by comparing how far it moved with how
// far the monotonic clock moved between two looks.

#include <chrono>
#include <optional>

#include "recorder/core/clock.h"

namespace recorder {

class ClockStepDetector {
 public:
  explicit ClockStepDetector(std::chrono::milliseconds threshold) : threshold_(threshold) {}
  // The step since the previous call, when larger than the threshold (positive: the clock jumped ahead).
  std::optional<std::chrono::milliseconds> check(WallTime wall, MonotonicTime monotonic);

 private:
  std::chrono::milliseconds threshold_;
  std::optional<WallTime> last_wall_;
  MonotonicTime last_monotonic_{};
};

}  // namespace recorder
