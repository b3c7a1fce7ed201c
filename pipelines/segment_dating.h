#pragma once
// When a segment starts, on the wall clock. A segment used to be dated by the arrival of its first key
// frame alone, but arrivals jitter by milliseconds (network, a busy CPU) and exports join segments on
// these dates: a clip across a boundary gained or lost that jitter. Within one recording run the
// camera's own time line (RTP time stamps) says exactly how far apart two key frames are, so a segment
// is dated by the previous segment's date plus the stream time since then.
// Arrivals still steer that date, as a low-pass filter with a time constant of `steering_time`: each
// segment moves 1 - exp(-T / steering_time) of the way towards its arrival, T being the stream time since
// the previous one. So a camera clock that runs fast or slow against ours cannot pull footage away from
// the wall clock (it lags by about drift x steering_time: 30 ms at 100 ppm), jitter reaches the dates of
// short segments as a small fraction, and a run's late first key frame is worked off over minutes.
// Two segments in a row more than `restart_beyond` off (a wall-clock step too small for the daemon to
// split the run, a camera whose time line jumped) start again from the arrival; one alone (a stall on a
// busy machine) does not. A time line that goes back, and restart(), start again at once.
// Not thread-safe: the pipeline calls it under its key-frame lock.

#include <chrono>
#include <optional>

#include "recorder/core/clock.h"

namespace recorder::pipelines {

class SegmentDating {
 public:
  static constexpr std::chrono::seconds steering_time{300};
  static constexpr std::chrono::milliseconds restart_beyond{250};

  // `position`: the segment's first key frame on the stream's time line; `arrived`: when it arrived,
  // nullopt when that is not known (then the time line alone dates it, or `now` the first segment).
  WallTime date(std::chrono::nanoseconds position, std::optional<WallTime> arrived, WallTime now);
  // The next segment is dated by its arrival alone (the run was split for a wall-clock step).
  void restart() { previous_.reset(); }

 private:
  struct Dated {
    std::chrono::nanoseconds position;
    WallTime start;
    bool far_off = false;  // its arrival was more than restart_beyond away from the time line
  };
  std::optional<Dated> previous_;
};

}  // namespace recorder::pipelines
