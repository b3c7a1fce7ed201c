#pragma once
// The systemd watchdog, made to mean something: WATCHDOG=1 goes out only while every component that
// must keep moving (the GLib event loop, the catalog writer, each camera supervisor) has shown progress
// within half the watchdog interval. A stalled one stops the pings, is named in the log, and systemd
// restarts the recorder (Restart=always) before footage is lost silently for long.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recorder/core/clock.h"
#include "recorder/core/logging.h"

namespace recorder::app {

// Where service state goes: sd_notify(3) in the daemon, a list of messages in tests.
class ServiceNotifier {
 public:
  virtual ~ServiceNotifier() = default;
  // One sd_notify assignment list, e.g. "READY=1", "WATCHDOG=1", "STATUS=2/2 cameras recording".
  virtual void notify(const std::string& assignments) = 0;
};

// sd_notify(3): a no-op when not started by systemd (no $NOTIFY_SOCKET).
class SystemdNotifier final : public ServiceNotifier {
 public:
  void notify(const std::string& assignments) override;
};

// The watchdog interval systemd asks this process for ($WATCHDOG_USEC, checked against $WATCHDOG_PID);
// nullopt when there is none.
std::optional<std::chrono::microseconds> systemd_watchdog_interval();

// A component that must keep moving, and how to ask it when it last did. The callable is called from
// the watchdog's thread: it must be thread-safe.
struct ProgressSource {
  std::string name;  // "event loop", "catalog writer", "camera c01-door-1a"
  std::function<MonotonicTime()> last_progress;
};

class ServiceWatchdog {
 public:
  // `interval`: systemd's WatchdogSec. A source is stalled when its progress is older than half of it.
  ServiceWatchdog(ServiceNotifier& notifier, const Clock& clock, std::chrono::microseconds interval);
  void add_source(ProgressSource source);
  // Asks every source; pings systemd when none is stalled. Returns why it did not ping ("camera c01
  // made no progress for 31 s"), empty when it pinged. Logs once when pings stop and when they resume.
  std::vector<std::string> check();
  // How often to call check() so that a healthy recorder pings well inside the interval.
  std::chrono::milliseconds check_period() const;
  std::chrono::microseconds interval() const { return interval_; }

 private:
  ServiceNotifier& notifier_;
  const Clock& clock_;
  std::chrono::microseconds interval_;
  std::vector<ProgressSource> sources_;
  bool stalled_ = false;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace recorder::app
