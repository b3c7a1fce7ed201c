#include "recorder/firewall/drop_monitor.h"

#include <fmt/format.h>
#include <fstream>
#include <glib-unix.h>
#include <sstream>
#include <sys/socket.h>

#include "recorder/core/loop_timer.h"
#include "recorder/firewall/nflog_messages.h"

namespace recorder::firewall {
namespace {

std::string describe(const BlockedPacket& p) {
  const bool v6 = p.destination.find(':') != std::string::npos;
  const std::string address = v6 ? "[" + p.destination + "]" : p.destination;
  if (!p.destination_port) return p.protocol + " to " + address;
  if (p.protocol == "icmp" || p.protocol == "icmpv6")
    return p.protocol + " type " + std::to_string(*p.destination_port) + " to " + address;
  return p.protocol + " to " + address + ":" + std::to_string(*p.destination_port);
}

}  // namespace

DropMonitor::DropMonitor(int log_group, std::map<std::string, std::string> camera_by_ipv4,
                         std::shared_ptr<catalog::CatalogWriter> catalog, const Clock& clock)
    : group_(log_group),
      camera_by_ipv4_(std::move(camera_by_ipv4)),
      catalog_(std::move(catalog)),
      clock_(clock),
      log_(component_logger("firewall")) {}

DropMonitor::~DropMonitor() {
  for (guint source : {fd_watch_, flush_timer_, summary_timer_})
    if (source != 0) g_source_remove(source);
  flush_to_catalog();
  // Closing the socket (drop_log_) releases the group: no unbind request, which would need CAP_NET_ADMIN.
}

void DropMonitor::start(UniqueFd drop_log) {
  drop_log_ = std::move(drop_log);
  g_unix_set_fd_nonblocking(drop_log_.get(), TRUE, nullptr);
  fd_watch_ = g_unix_fd_add(
      drop_log_.get(), G_IO_IN,
      [](int fd, GIOCondition, gpointer self) -> gboolean {
        auto* monitor = static_cast<DropMonitor*>(self);
        const std::function<void(BlockedPacket)> on_packet = [monitor](BlockedPacket p) { monitor->on_packet(std::move(p)); };
        alignas(std::max_align_t) char buffer[65536];
        for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;)
          read_nflog_messages(buffer, static_cast<std::size_t>(n), on_packet);
        // ENOBUFS means the kernel dropped log messages under a flood: the counters still count them.
        return G_SOURCE_CONTINUE;
      },
      this);
  flush_timer_ = run_after(std::chrono::seconds(5), [this] {
    flush_to_catalog();
    return true;
  });
  summary_timer_ = run_after(std::chrono::minutes(1), [this] {
    log_summaries();
    return true;
  });
  log_->info("watching nflog group {} for blocked camera traffic", group_);
}

void DropMonitor::on_packet(BlockedPacket packet) {
  // A source the ruleset could not name (an IPv6 link-local address) may still be a camera's: its MAC
  // address says which, through the neighbour table the recorder keeps while it talks to the cameras.
  if (packet.camera_id == "unknown" && !packet.source_mac.empty()) {
    const std::string owner = camera_by_mac(packet.source_mac, neighbour_table(), camera_by_ipv4_);
    if (!owner.empty()) packet.camera_id = owner;
  }
  const catalog::Micros now = catalog::to_micros(clock_.wall_now());
  const int port = packet.destination_port.value_or(-1);
  const Key key{packet.camera_id, packet.protocol, packet.destination, port};
  auto& pending = pending_[key];
  if (pending.packets == 0) {
    pending = {packet.camera_id, packet.protocol, packet.destination, packet.destination_port, now, now, 0};
  }
  pending.last_seen_us = now;
  ++pending.packets;
  ++totals_[{packet.camera_id, packet.protocol, port}];
  if (!seen_[key]) {
    seen_[key] = true;
    log_->warn("blocked: camera {} tried {}", packet.camera_id, describe(packet));
  } else {
    ++since_summary_[packet.camera_id];
  }
}

const std::string& DropMonitor::neighbour_table() {
  // Read at most once a second: a camera flooding link-local packets must not cost a file read each.
  const auto now = clock_.monotonic_now();
  if (neighbours_read_at_ == MonotonicTime{} || now - neighbours_read_at_ > std::chrono::seconds(1)) {
    std::ifstream arp("/proc/net/arp");
    std::ostringstream table;
    table << arp.rdbuf();
    neighbours_ = table.str();
    neighbours_read_at_ = now;
  }
  return neighbours_;
}

void DropMonitor::flush_to_catalog() {
  if (pending_.empty()) return;
  std::vector<catalog::NetworkAttempt> attempts;
  for (auto& [key, attempt] : pending_) attempts.push_back(attempt);
  pending_.clear();
  catalog_->post([attempts = std::move(attempts)](catalog::Catalog& catalog) { catalog.record_network_attempts(attempts); });
}

void DropMonitor::log_summaries() {
  for (const auto& [camera, packets] : since_summary_)
    if (packets > 0) log_->info("blocked: camera {} sent {} more packet(s) to destinations already reported", camera, packets);
  since_summary_.clear();
}

}  // namespace recorder::firewall
