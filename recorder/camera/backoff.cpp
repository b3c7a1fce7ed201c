#include "recorder/camera/backoff.h"

#include <algorithm>
#include <cstdint>

namespace recorder::camera {

std::chrono::milliseconds Backoff::next() {
  // 2^failures, with the exponent bounded so the shift cannot overflow before the cap applies.
  const int exponent = std::min(failures_, 20);
  ++failures_;
  const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(initial_ * (std::int64_t{1} << exponent));
  return std::min(cap_, delay);
}

}  // namespace recorder::camera
