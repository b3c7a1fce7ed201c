#include "recorder/core/clock_sync.h"

#include <sys/timex.h>

namespace recorder {

std::optional<bool> KernelClockSync::synchronised() const {
  timex state{};  // modes 0: only reads
  const int result = adjtimex(&state);
  if (result < 0) return std::nullopt;  // EPERM from a seccomp filter without adjtimex
  return result != TIME_ERROR && (state.status & STA_UNSYNC) == 0;
}

}  // namespace recorder
