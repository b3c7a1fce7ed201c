#pragma once
// The recorder's side of camera-segment isolation (docs/firewall.md), whatever privileges it runs with.
// With CAP_NET_ADMIN (a development machine, the tests) it applies and verifies the table itself
// (FirewallGuard) and binds the drop log. Without it (recorder.service) the table belongs to the
// privileged units, whose last result it reads from network.guard_result_file, and the drop log comes
// already bound from the helper behind network.drop_log_socket (recorder-nflog.socket). A problem
// never stops the recording: it is reported in the status, and from there in the health.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "recorder/api/status_board.h"
#include "recorder/catalog/catalog_writer.h"
#include "recorder/config/config.h"
#include "recorder/firewall/drop_monitor.h"
#include "recorder/firewall/firewall_guard.h"
#include "recorder/firewall/guard_report.h"

namespace recorder::app {

class FirewallWatch {
 public:
  // `config` must have a network: block.
  FirewallWatch(config::Config config, std::shared_ptr<catalog::CatalogWriter> catalog, const Clock& clock);
  ~FirewallWatch();
  FirewallWatch(const FirewallWatch&) = delete;
  FirewallWatch& operator=(const FirewallWatch&) = delete;

  // Applies the table (with CAP_NET_ADMIN) and starts reading the drop log; on the default main
  // context. A drop log that cannot be had is tried again every network.verify_seconds.
  void start();
  // After a reload: plans the table for these cameras and, with CAP_NET_ADMIN, applies it if it changed
  // (without, recorder-firewall-guard does, having read the same configuration). Keeps the table in place
  // when the new cameras cannot be planned, and says why.
  void update_cameras(const std::vector<config::CameraConfig>& cameras);
  // The firewall_* and drop-monitor fields of a status snapshot. Without CAP_NET_ADMIN it reads the
  // guard's result file first (a small file in /run, once a second) and logs what changed.
  void fill(api::StatusSnapshot& status);
  // For the health line of the log: "firewall applied (0 drift repair(s))", "FIREWALL FAULT: ...".
  std::string summary() const;

 private:
  void plan_table();
  void attach_drop_log();
  void read_guard_result();
  void fill_known(api::StatusSnapshot& status) const;

  config::Config config_;
  std::shared_ptr<catalog::CatalogWriter> catalog_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  bool privileged_ = false;                           // holds CAP_NET_ADMIN
  std::map<std::string, std::string> camera_by_ipv4_;  // to attribute link-local traffic by MAC
  std::string fault_;                                 // the firewall could not even be planned (with the capability)
  std::string ruleset_;                               // rendered from the last plan that worked
  std::optional<firewall::GuardVerdict> guard_verdict_;  // without it: the guard's result as last read
  std::unique_ptr<firewall::FirewallGuard> guard_;    // only with CAP_NET_ADMIN
  std::unique_ptr<firewall::DropMonitor> drop_monitor_;  // declared after guard_: destroyed first
  std::string drop_monitor_problem_;                  // why blocked camera traffic is not attributed
  guint drop_log_retry_ = 0;
};

}  // namespace recorder::app
