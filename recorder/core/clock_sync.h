#pragma once
// Whether the wall clock is synchronised to a time source (NTP, GPS via chrony or timesyncd), for the
// recorder's health: footage with an unsynchronised clock carries times nobody can vouch for.

#include <optional>

namespace recorder {

class ClockSyncSource {
 public:
  virtual ~ClockSyncSource() = default;
  // nullopt when it cannot be told (e.g. a sandbox that forbids asking).
  virtual std::optional<bool> synchronised() const = 0;
};

// The kernel's view, from adjtimex(2) read-only: STA_UNSYNC (TIME_ERROR) until a time daemon has
// disciplined the clock. Works with any NTP or PTP daemon, needs no privilege.
class KernelClockSync final : public ClockSyncSource {
 public:
  std::optional<bool> synchronised() const override;
};

}  // namespace recorder
