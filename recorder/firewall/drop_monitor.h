#pragma once
// Reads the firewall's drop log (nfnetlink_log group `network.log_group`) on the daemon's event loop
// and keeps, per camera, every destination it tried: protocol, address, port, first and last seen,
// packets. Says each new destination once in the log (then at most a summary a minute), and hands the
// counts to the catalog every few seconds.

#include <chrono>
#include <glib.h>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "recorder/catalog/catalog_writer.h"
#include "recorder/core/unique_fd.h"
#include "recorder/firewall/blocked_attempt.h"

namespace recorder::firewall {

class DropMonitor {
 public:
  // `camera_by_ipv4`: the cameras' IPv4 addresses, to attribute link-local IPv6 traffic by MAC address.
  DropMonitor(int log_group, std::map<std::string, std::string> camera_by_ipv4,
              std::shared_ptr<catalog::CatalogWriter> catalog, const Clock& clock);
  ~DropMonitor();
  DropMonitor(const DropMonitor&) = delete;
  DropMonitor& operator=(const DropMonitor&) = delete;

  // Watches `drop_log`, an nflog socket already bound to the group (nflog_socket.h: opened here with
  // CAP_NET_ADMIN, or handed over by the privileged helper), from the default main context. Only
  // reads it: reading needs no capability.
  void start(UniqueFd drop_log);
  // The cameras after a reload; packets already counted keep the camera they were counted for.
  void set_cameras(std::map<std::string, std::string> camera_by_ipv4) { camera_by_ipv4_ = std::move(camera_by_ipv4); }
  // Called for each dropped packet (public for the nflog callback and for tests).
  void on_packet(BlockedPacket packet);

  // Packets per (camera, protocol, port) since start: for /metrics.
  using MetricKey = std::tuple<std::string, std::string, int>;
  std::map<MetricKey, std::uint64_t> packet_totals() const { return totals_; }

 private:
  void flush_to_catalog();
  const std::string& neighbour_table();
  void log_summaries();

  int group_;
  std::map<std::string, std::string> camera_by_ipv4_;
  std::shared_ptr<catalog::CatalogWriter> catalog_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  UniqueFd drop_log_;
  guint fd_watch_ = 0;
  guint flush_timer_ = 0;
  guint summary_timer_ = 0;

  using Key = std::tuple<std::string, std::string, std::string, int>;  // camera, protocol, destination, port
  std::map<Key, catalog::NetworkAttempt> pending_;  // not yet in the catalog
  std::map<Key, bool> seen_;                         // destinations already said in the log
  std::map<std::string, std::uint64_t> since_summary_;  // camera -> packets not yet summarised
  std::map<MetricKey, std::uint64_t> totals_;
  std::string neighbours_;            // /proc/net/arp, as last read
  MonotonicTime neighbours_read_at_{};
};

}  // namespace recorder::firewall
