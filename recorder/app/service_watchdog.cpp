#include "recorder/app/service_watchdog.h"

#include <algorithm>
#include <fmt/format.h>
#include <systemd/sd-daemon.h>

namespace recorder::app {

void SystemdNotifier::notify(const std::string& assignments) { sd_notify(0, assignments.c_str()); }

std::optional<std::chrono::microseconds> systemd_watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

ServiceWatchdog::ServiceWatchdog(ServiceNotifier& notifier, const Clock& clock, std::chrono::microseconds interval)
    : notifier_(notifier), clock_(clock), interval_(interval), log_(component_logger("watchdog")) {}

void ServiceWatchdog::add_source(ProgressSource source) { sources_.push_back(std::move(source)); }

std::chrono::milliseconds ServiceWatchdog::check_period() const {
  // A quarter of the interval: a ping is never more than half the interval late, and a stall is seen
  // at most a quarter after it passes the limit.
  return std::max(std::chrono::milliseconds(50), std::chrono::duration_cast<std::chrono::milliseconds>(interval_ / 4));
}

std::vector<std::string> ServiceWatchdog::check() {
  const auto now = clock_.monotonic_now();
  const auto limit = interval_ / 2;
  std::vector<std::string> stalled;
  for (const auto& source : sources_) {
    const auto silent = now - source.last_progress();
    if (silent > limit)
      stalled.push_back(fmt::format("{} made no progress for {:.1f} s", source.name,
                                    std::chrono::duration<double>(silent).count()));
  }
  if (stalled.empty()) {
    notifier_.notify("WATCHDOG=1");
    if (stalled_) log_->warn("all components make progress again: watchdog pings resumed");
    stalled_ = false;
    return stalled;
  }
  if (!stalled_) {
    std::string why;
    for (const auto& reason : stalled) why += (why.empty() ? "" : "; ") + reason;
    log_->error("not pinging the systemd watchdog ({} s): {}; systemd restarts the recorder if this lasts",
                std::chrono::duration<double>(interval_).count(), why);
  }
  stalled_ = true;
  return stalled;
}

}  // namespace recorder::app
