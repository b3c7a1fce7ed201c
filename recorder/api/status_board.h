#pragma once
// What the API shows of the running recorder: a snapshot the daemon publishes from its event loop every
// second, read by the API's threads. The API never reaches into cameras or the firewall; the catalog it
// reaches only through the catalog writer's queue (CatalogWriter::ask), in order with the cameras' rows.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace recorder::api {

struct CameraStatus {
  std::string id;
  std::string state;                              // connecting, recording, backoff, ...
  std::optional<double> seconds_since_segment;    // nullopt: never recorded
  std::int64_t reconnects = 0;                    // failures since start
  std::uint64_t recorded_bytes = 0, recorded_frames = 0;  // written to segment files since start
  std::uint64_t dropped_frames = 0, dropped_bytes = 0;    // given up since start: the disk fell behind
  std::string failure;                            // why it is not recording, while it is not
};

struct StatusSnapshot {
  std::string health = "OK";                      // OK, DEGRADED or FAULT
  std::vector<std::string> health_reasons;        // why it is not OK; stable texts (also metric labels)
  std::vector<CameraStatus> cameras;
  bool storage_present = true;                   // false: the disk's identity file is gone (unmounted?)
  bool storage_checked = false;
  std::uint64_t storage_free_bytes = 0;
  std::uint64_t storage_capacity_bytes = 0;
  std::uint64_t storage_floor_bytes = 0;          // free space retention keeps
  std::optional<double> oldest_footage_age_seconds;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> deletions;  // cause -> (segments, bytes)
  bool storage_alarm = false;
  std::optional<bool> firewall_applied;           // nullopt: no network: block
  int firewall_drift_repairs = 0;
  std::string firewall_problem;                   // why the firewall is not applied or not watched
  bool firewall_guarded = false;                  // firewall_* come from the guard's result file (no CAP_NET_ADMIN)
  std::string drop_monitor_problem;               // why blocked camera traffic is not attributed
  std::optional<bool> clock_synchronised;         // nullopt: the kernel would not say
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> blocked_packets;  // camera, proto, port
  // Filled in by the API itself when it renders /metrics.
  std::uint64_t exports_total = 0;
  std::uint64_t failed_logins_total = 0;
};

class StatusBoard {
 public:
  void publish(StatusSnapshot snapshot) {
    auto next = std::make_shared<const StatusSnapshot>(std::move(snapshot));
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }
  std::shared_ptr<const StatusSnapshot> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const StatusSnapshot> current_ = std::make_shared<const StatusSnapshot>();
};

}  // namespace recorder::api
