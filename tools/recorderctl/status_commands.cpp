// recorderctl status: what the running recorder says about itself, read from the status file it
// rewrites every second in its storage (recorder/api/status_file.h). Needs no credentials and no API.

#include <fmt/format.h>
#include <iostream>

#include "commands.h"
#include "recorder/api/status_file.h"
#include "recorder/catalog/storage_identity.h"
#include "recorder/config/config.h"

namespace recorderctl {

using namespace recorder;

namespace {

// Exit codes in the manner of `systemctl status`: 0 OK, 1 DEGRADED or FAULT, 3 not running.
constexpr int exit_not_running = 3;

std::string gib(std::uint64_t bytes) { return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1u << 30)); }

void print_status(const api::StatusFile& file, double age_seconds) {
  const auto& s = file.status;
  std::cout << fmt::format("recorder: running, pid {} (status {:.1f} s old)\n", file.pid, age_seconds);
  std::cout << "health: " << s.health << "\n";
  for (const auto& reason : s.health_reasons) std::cout << "  - " << reason << "\n";
  std::size_t recording = 0;
  for (const auto& c : s.cameras) recording += c.state == "recording";
  std::cout << fmt::format("cameras: {}/{} recording\n", recording, s.cameras.size());
  for (const auto& c : s.cameras) {
    std::string line = fmt::format("  {:<24} {:<10}", c.id, c.state);
    line += c.seconds_since_segment ? fmt::format(" last footage {:.0f} s ago", *c.seconds_since_segment)
                                    : std::string(" never recorded");
    if (c.reconnects > 0) line += fmt::format(", {} reconnect(s)", c.reconnects);
    if (c.state != "recording" && !c.failure.empty()) line += ": " + c.failure;
    std::cout << line << "\n";
  }
  if (!s.storage_present) std::cout << "storage: MISSING (the disk's identity file is gone)\n";
  else if (s.storage_checked)
    std::cout << fmt::format("storage: {} free of {} (floor {}){}\n", gib(s.storage_free_bytes), gib(s.storage_capacity_bytes),
                             gib(s.storage_floor_bytes), s.storage_alarm ? ", ALARM: full and nothing may be deleted" : "");
  else std::cout << "storage: not checked yet\n";
  const std::string by_guard = s.firewall_guarded ? ", as recorder-firewall-guard reports" : "";
  if (s.firewall_applied)
    std::cout << (*s.firewall_applied
                      ? fmt::format("firewall: applied ({} drift repair(s){})\n", s.firewall_drift_repairs, by_guard)
                      : "firewall: NOT APPLIED: " + s.firewall_problem + by_guard + "\n");
  else if (!s.firewall_problem.empty()) std::cout << "firewall: not verified: " << s.firewall_problem << "\n";
  else std::cout << "firewall: none configured\n";
  if (!s.drop_monitor_problem.empty()) std::cout << "blocked traffic: not attributed: " << s.drop_monitor_problem << "\n";
  if (s.clock_synchronised)
    std::cout << "clock: " << (*s.clock_synchronised ? "synchronised" : "NOT synchronised") << "\n";
  else std::cout << "clock: synchronisation unknown\n";
}

}  // namespace

int status(const Arguments& args) {
  const auto config = config::load_config(parse_common(args, {}).config_file);
  const auto& storage = config.storage.path;
  const auto file = api::read_status_file(storage);
  if (!file) {
    std::cout << "recorder not running: no status file in " << storage.string() << "\n";
    return exit_not_running;
  }
  const double age = std::chrono::duration<double>(std::chrono::system_clock::now() - file->written_at).count();
  // A recorder that holds the storage lock but stopped writing its status is hung, not stopped.
  if (age > static_cast<double>(api::status_file_stale_after.count()) || age < -1.0) {
    const bool locked = catalog::StorageLock::held_by_another(storage);
    std::cout << "recorder not running" << (locked ? " normally: it holds the storage but its status is stale" : "")
              << ": last status " << format_rfc3339(file->written_at) << " (" << fmt::format("{:.0f}", age)
              << " s ago): " << file->summary << "\n";
    return exit_not_running;
  }
  print_status(*file, age);
  return file->status.health == "OK" ? 0 : 1;
}

}  // namespace recorderctl
