#include "recorder/api/metrics.h"

#include <fmt/format.h>

namespace recorder::api {
namespace {

// Label values are camera ids, causes and protocols, but escape as the format asks all the same.
std::string label(const std::string& value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

struct Exposition {
  std::string text;
  void family(const char* name, const char* type, const char* help) {
    text += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(const std::string& name_and_labels, double value) { text += fmt::format("{} {}\n", name_and_labels, value); }
};

}  // namespace

std::string render_metrics(const StatusSnapshot& s) {
  Exposition m;
  m.family("recorder_health", "gauge", "1 for the recorder's overall health state (OK, DEGRADED, FAULT)");
  for (const char* state : {"OK", "DEGRADED", "FAULT"})
    m.sample(fmt::format("recorder_health{{state=\"{}\"}}", state), s.health == state ? 1 : 0);
  m.family("recorder_health_reason", "gauge", "1 for each reason the health is not OK");
  for (const auto& reason : s.health_reasons)
    m.sample(fmt::format("recorder_health_reason{{reason=\"{}\"}}", label(reason)), 1);
  if (s.clock_synchronised) {
    m.family("recorder_clock_synchronised", "gauge", "1 while the kernel says the system clock is synchronised");
    m.sample("recorder_clock_synchronised", *s.clock_synchronised);
  }

  m.family("recorder_camera_up", "gauge", "1 while the camera is recording");
  for (const auto& c : s.cameras) m.sample(fmt::format("recorder_camera_up{{camera=\"{}\"}}", label(c.id)), c.state == "recording");
  m.family("recorder_camera_state", "gauge", "1 for the camera's supervisor state");
  for (const auto& c : s.cameras)
    m.sample(fmt::format("recorder_camera_state{{camera=\"{}\",state=\"{}\"}}", label(c.id), label(c.state)), 1);
  m.family("recorder_camera_reconnects_total", "counter", "connection failures of the camera since the recorder started");
  for (const auto& c : s.cameras)
    m.sample(fmt::format("recorder_camera_reconnects_total{{camera=\"{}\"}}", label(c.id)), static_cast<double>(c.reconnects));
  m.family("recorder_camera_recorded_bytes_total", "counter",
           "bytes written to the camera's segment files since the recorder started");
  for (const auto& c : s.cameras)
    m.sample(fmt::format("recorder_camera_recorded_bytes_total{{camera=\"{}\"}}", label(c.id)),
             static_cast<double>(c.recorded_bytes));
  m.family("recorder_camera_recorded_frames_total", "counter", "video frames of the camera recorded since the recorder started");
  for (const auto& c : s.cameras)
    m.sample(fmt::format("recorder_camera_recorded_frames_total{{camera=\"{}\"}}", label(c.id)),
             static_cast<double>(c.recorded_frames));
  m.family("recorder_camera_dropped_frames_total", "counter",
           "video frames of the camera dropped since the recorder started because the disk fell behind");
  for (const auto& c : s.cameras)
    m.sample(fmt::format("recorder_camera_dropped_frames_total{{camera=\"{}\"}}", label(c.id)),
             static_cast<double>(c.dropped_frames));
  m.family("recorder_camera_dropped_bytes_total", "counter",
           "bytes of the camera's video and audio dropped since the recorder started because the disk fell behind");
  for (const auto& c : s.cameras)
    m.sample(fmt::format("recorder_camera_dropped_bytes_total{{camera=\"{}\"}}", label(c.id)),
             static_cast<double>(c.dropped_bytes));
  m.family("recorder_camera_seconds_since_last_segment", "gauge", "seconds since footage of the camera last reached the disk");
  for (const auto& c : s.cameras)
    if (c.seconds_since_segment)
      m.sample(fmt::format("recorder_camera_seconds_since_last_segment{{camera=\"{}\"}}", label(c.id)), *c.seconds_since_segment);

  if (s.storage_checked) {
    m.family("recorder_storage_free_bytes", "gauge", "free bytes on the recording disk");
    m.sample("recorder_storage_free_bytes", static_cast<double>(s.storage_free_bytes));
    m.family("recorder_storage_capacity_bytes", "gauge", "size of the recording disk");
    m.sample("recorder_storage_capacity_bytes", static_cast<double>(s.storage_capacity_bytes));
    m.family("recorder_storage_alarm", "gauge", "1 while space is short and nothing may be deleted");
    m.sample("recorder_storage_alarm", s.storage_alarm);
    if (s.oldest_footage_age_seconds) {
      m.family("recorder_oldest_footage_age_seconds", "gauge", "age of the oldest footage on the disk");
      m.sample("recorder_oldest_footage_age_seconds", *s.oldest_footage_age_seconds);
    }
    m.family("recorder_deleted_segments_total", "counter", "segments deleted by retention, by cause");
    for (const auto& [cause, totals] : s.deletions)
      m.sample(fmt::format("recorder_deleted_segments_total{{cause=\"{}\"}}", label(cause)), static_cast<double>(totals.first));
    m.family("recorder_deleted_bytes_total", "counter", "bytes deleted by retention, by cause");
    for (const auto& [cause, totals] : s.deletions)
      m.sample(fmt::format("recorder_deleted_bytes_total{{cause=\"{}\"}}", label(cause)), static_cast<double>(totals.second));
  }

  if (s.firewall_applied) {
    m.family("recorder_firewall_applied", "gauge", "1 while the camera-segment ruleset is in the kernel");
    m.sample("recorder_firewall_applied", *s.firewall_applied);
    m.family("recorder_firewall_drift_repairs_total", "counter", "times the ruleset was found changed or missing and restored");
    m.sample("recorder_firewall_drift_repairs_total", s.firewall_drift_repairs);
    m.family("recorder_camera_blocked_packets_total", "counter", "packets from a camera dropped by the firewall");
    for (const auto& [key, packets] : s.blocked_packets) {
      const auto& [camera, protocol, port] = key;
      m.sample(fmt::format("recorder_camera_blocked_packets_total{{camera=\"{}\",proto=\"{}\",dport=\"{}\"}}", label(camera),
                           label(protocol), port < 0 ? std::string() : std::to_string(port)),
               static_cast<double>(packets));
    }
  }

  m.family("recorder_exports_total", "counter", "exports handed out through the API");
  m.sample("recorder_exports_total", static_cast<double>(s.exports_total));
  m.family("recorder_failed_logins_total", "counter", "logins refused for a wrong name or password");
  m.sample("recorder_failed_logins_total", static_cast<double>(s.failed_logins_total));
  return m.text;
}

}  // namespace recorder::api
