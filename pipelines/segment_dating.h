#pragma once
// When a segment starts, on the wall clock. A segment used to be dated by the arrival of its first key
// frame alone, but arrivals jitter by milliseconds (network, a busy CPU) and exports join segments on
// these dates: a clip across a boundary gained or lost that jitter. Within one recording run the
// camera's own time line (RTP time stamps) says exactly how far apart two key frames are, so a segment
// is dated by the previous segment's date plus the stream time since then.
// Arrivals still steer that date by a fraction of the difference per segment, at most 250 ppm of the
// time since the previous segment (NTP slews at most 500 ppm), so a camera clock that runs fast or slow
// against ours (tens of ppm) cannot pull footage away from the wall clock, while a late first arrival
// (a run's first key frame waits for the pipeline to start) is worked off in steps of a millisecond or
// two per boundary rather than one jump. A larger difference (a wall-clock step too small for the daemon to split the run, a camera whose time line
// restarted) starts again from the arrival, as does restart().
// Not thread-safe: the pipeline calls it under its key-frame lock.

#include <chrono>
#include <optional>

#include "recorder/core/clock.h"

namespace recorder::pipelines {

class SegmentDating {
 public:
  // A difference from the stream's time line beyond this starts again from the arrival.
  static constexpr std::chrono::milliseconds restart_beyond{250};
  // Each segment's date moves this fraction (1/n) of the way towards its key frame's arrival,
  static constexpr int steering_divisor = 8;
  // but by no more than the time since the previous segment divided by this (250 ppm).
  static constexpr int steering_limit_divisor = 4000;

  // `position`: the segment's first key frame on the stream's time line; `arrived`: when it arrived.
  WallTime date(std::chrono::nanoseconds position, WallTime arrived);
  // The next segment is dated by its arrival alone (the run was split for a wall-clock step).
  void restart() { previous_.reset(); }

 private:
  struct Dated {
    std::chrono::nanoseconds position;
    WallTime start;
  };
  std::optional<Dated> previous_;
};

}  // namespace recorder::pipelines
