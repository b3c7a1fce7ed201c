#include "recorder/app/firewall_watch.h"

#include <fmt/format.h>

#include "recorder/core/loop_timer.h"
#include "recorder/firewall/capability.h"
#include "recorder/firewall/drop_log_handover.h"
#include "recorder/firewall/firewall_plan.h"
#include "recorder/firewall/nflog_socket.h"
#include "recorder/firewall/ruleset_renderer.h"

namespace recorder::app {
namespace {

// The helper answers within milliseconds; this only bounds a hung one, on the event loop.
constexpr std::chrono::seconds helper_timeout{5};

}  // namespace

FirewallWatch::FirewallWatch(config::Config config, std::shared_ptr<catalog::CatalogWriter> catalog, const Clock& clock)
    : config_(std::move(config)), catalog_(std::move(catalog)), clock_(clock), log_(component_logger("firewall")) {}

FirewallWatch::~FirewallWatch() {
  if (drop_log_retry_ != 0) g_source_remove(drop_log_retry_);
}

void FirewallWatch::start() {
  const auto& network = *config_.network;
  // Under systemd the recorder runs without CAP_NET_ADMIN: recorder-firewall.service applied the table
  // at boot and recorder-firewall-guard.timer repairs drift; the recorder says so once instead of
  // failing every verify_seconds with "Operation not permitted".
  privileged_ = firewall::may_administer_network();
  if (!privileged_)
    log_->warn("firewall: the recorder runs without CAP_NET_ADMIN: recorder-firewall.service applies the table and "
               "recorder-firewall-guard.timer repairs drift; their results are read from {}",
               network.guard_result_file.string());
  plan_table();
  attach_drop_log();
  if (drop_monitor_) return;
  drop_log_retry_ = run_after(std::chrono::seconds(network.verify_seconds), [this] {
    attach_drop_log();
    if (drop_monitor_) drop_log_retry_ = 0;  // the source goes away as this returns false
    return !drop_monitor_;
  });
}

void FirewallWatch::update_cameras(const std::vector<config::CameraConfig>& cameras) {
  config_.cameras = cameras;
  const std::string before = ruleset_;
  plan_table();
  if (!privileged_ && ruleset_ != before)
    log_->info("firewall: the cameras changed; recorder-firewall-guard applies the table for them within {} s",
               config_.network->verify_seconds);
}

// Safety first: a firewall problem never stops the recording; it makes the health FAULT and says why.
void FirewallWatch::plan_table() {
  try {
    const auto plan = firewall::plan_firewall(config_);
    camera_by_ipv4_.clear();
    for (const auto& camera : plan.cameras)
      if (camera.address.find(':') == std::string::npos) camera_by_ipv4_[camera.address] = camera.id;
    if (drop_monitor_) drop_monitor_->set_cameras(camera_by_ipv4_);
    ruleset_ = firewall::render_ruleset(plan);
    if (!privileged_) return;
    if (guard_) {
      guard_->replace(ruleset_);
    } else {
      guard_ = std::make_unique<firewall::FirewallGuard>(ruleset_, config_.network->verify_seconds);
      guard_->start();
      fault_.clear();
    }
  } catch (const std::exception& e) {
    if (privileged_ && guard_) {
      // After a reload: the table in place still isolates every camera; the one it does not list stays
      // unreachable (and so shows as down) until its entry is mended.
      log_->error("firewall: keeping the table in place: {}", e.what());
    } else if (privileged_) {
      fault_ = e.what();
      log_->error("FAULT: cameras are not isolated: {}", e.what());
    } else {
      // The table is the units' to apply, and their result says whether they could.
      log_->warn("firewall plan: {} (IPv6 link-local traffic cannot be attributed by MAC address)", e.what());
    }
  }
}

void FirewallWatch::attach_drop_log() {
  const auto& network = *config_.network;
  try {
    // Bound here with the capability; otherwise bound by the helper, which only the recorder's user may
    // reach, and passed over its socket: reading it needs no capability.
    UniqueFd drop_log = privileged_ ? firewall::open_nflog_socket(network.log_group)
                                    : firewall::fetch_drop_log(network.drop_log_socket, network.log_group, helper_timeout);
    auto monitor = std::make_unique<firewall::DropMonitor>(network.log_group, camera_by_ipv4_, catalog_, clock_);
    monitor->start(std::move(drop_log));
    drop_monitor_ = std::move(monitor);
    if (!privileged_) log_->info("drop log received from the helper at {}", network.drop_log_socket.string());
    if (!drop_monitor_problem_.empty()) log_->info("blocked camera traffic is attributed again");
    drop_monitor_problem_.clear();
  } catch (const std::exception& e) {
    if (drop_monitor_problem_ != e.what())
      log_->error("blocked camera traffic is not being attributed: {} (trying again every {} s)", e.what(),
                  network.verify_seconds);
    drop_monitor_problem_ = e.what();
  }
}

void FirewallWatch::read_guard_result() {
  const auto& network = *config_.network;
  firewall::GuardVerdict verdict;
  try {
    verdict = firewall::judge_guard_report(firewall::read_guard_report(network.guard_result_file), clock_.wall_now(),
                                           std::chrono::seconds(network.verify_seconds), network.guard_result_file);
  } catch (const std::exception& e) {
    verdict = {std::nullopt, std::string("firewall guard result unreadable: ") + e.what(), 0};
  }
  const bool changed = !guard_verdict_ || verdict.applied != guard_verdict_->applied || verdict.problem != guard_verdict_->problem;
  if (changed && verdict.applied == true) log_->info("firewall: the guard reports the table in place");
  else if (changed && verdict.applied == false) log_->error("FAULT: firewall guard failed: {}", verdict.problem);
  else if (changed) log_->warn("firewall: {}", verdict.problem);
  if (guard_verdict_ && verdict.drift_repairs > guard_verdict_->drift_repairs)
    log_->warn("firewall drift repaired by the guard ({} repair(s) since boot)", verdict.drift_repairs);
  guard_verdict_ = std::move(verdict);
}

void FirewallWatch::fill(api::StatusSnapshot& status) {
  if (!privileged_) read_guard_result();
  fill_known(status);
}

void FirewallWatch::fill_known(api::StatusSnapshot& status) const {
  if (guard_) {
    const auto& state = guard_->state();
    status.firewall_applied = state.applied;
    status.firewall_drift_repairs = state.drift_repairs;
    if (!state.applied) status.firewall_problem = state.fault;
  } else if (!fault_.empty()) {
    status.firewall_applied = false;
    status.firewall_problem = fault_;
  } else if (guard_verdict_) {
    status.firewall_guarded = true;
    status.firewall_applied = guard_verdict_->applied;
    status.firewall_problem = guard_verdict_->problem;
    status.firewall_drift_repairs = guard_verdict_->drift_repairs;
  }
  status.drop_monitor_problem = drop_monitor_problem_;
  if (drop_monitor_) status.blocked_packets = drop_monitor_->packet_totals();
}

std::string FirewallWatch::summary() const {
  api::StatusSnapshot status;
  fill_known(status);
  const std::string by_guard = status.firewall_guarded ? ", by the guard" : "";
  if (!status.firewall_applied) return "firewall not verified: " + status.firewall_problem;
  return *status.firewall_applied
             ? fmt::format("firewall applied ({} drift repair(s){})", status.firewall_drift_repairs, by_guard)
             : "FIREWALL FAULT: " + status.firewall_problem + by_guard;
}

}  // namespace recorder::app
