#include "recorder/firewall/firewall_guard.h"

#include "recorder/core/error.h"
#include "recorder/core/loop_timer.h"
#include "recorder/firewall/nft_table.h"
#include "recorder/firewall/ruleset_renderer.h"

namespace recorder::firewall {

FirewallGuard::FirewallGuard(std::string script, int verify_seconds)
    : script_(std::move(script)), verify_seconds_(verify_seconds), log_(component_logger("firewall")) {}

FirewallGuard::~FirewallGuard() {
  if (timer_ != 0) g_source_remove(timer_);
}

void FirewallGuard::start() {
  apply();
  timer_ = run_after(std::chrono::seconds(verify_seconds_), [this] {
    verify();
    return true;
  });
}

void FirewallGuard::apply() {
  try {
    apply_ruleset(script_);
    const auto listed = list_applied_table();
    if (!listed) throw Error(ErrorKind::Unavailable, "the table is not in the kernel after applying it");
    reference_ = *listed;
    if (!state_.applied) log_->info("camera segment isolated: table {} {} applied", table_family, table_name);
    state_.applied = true;
    state_.fault.clear();
  } catch (const std::exception& e) {
    if (state_.fault != e.what()) log_->error("FAULT: cameras are not isolated: {}", e.what());
    state_.applied = false;
    state_.fault = e.what();
  }
}

void FirewallGuard::replace(std::string script) {
  if (script == script_) return;
  script_ = std::move(script);
  log_->info("firewall: the cameras changed; applying the table for them");
  apply();
}

void FirewallGuard::verify() {
  if (!state_.applied) {
    apply();  // keep trying: the cause (a missing module, a busy netlink) may be gone
    return;
  }
  const auto listed = list_applied_table();
  if (listed && *listed == reference_) return;
  state_.last_drift = listed ? "the table was changed from outside" : "the table was removed from outside";
  ++state_.drift_repairs;
  log_->error("firewall drift: {}; restoring it", state_.last_drift);
  state_.applied = false;
  apply();
  if (state_.applied) log_->warn("firewall restored after drift ({} repair(s) so far)", state_.drift_repairs);
}

}  // namespace recorder::firewall
