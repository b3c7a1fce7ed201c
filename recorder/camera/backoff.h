#pragma once
// Capped exponential back-off between connection attempts of one camera.

#include <chrono>

namespace recorder::camera {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap) : initial_(initial), cap_(cap) {}
  // The delay to wait now; each call doubles the next one, up to the cap.
  std::chrono::milliseconds next();
  // After a success: the next failure starts again from the initial delay.
  void reset() { failures_ = 0; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds cap_;
  int failures_ = 0;
};

}  // namespace recorder::camera
