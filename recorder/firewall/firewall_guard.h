#pragma once
// Keeps the camera-segment ruleset in the kernel: applies it at start, reads it back every
// network.verify_seconds, and restores it when it drifted (removed or changed from outside). If it cannot
// be applied, recording goes on (safety first) but the state says FAULT and why.

#include <glib.h>
#include <memory>
#include <string>

#include "recorder/core/logging.h"

namespace recorder::firewall {

struct FirewallState {
  bool applied = false;
  std::string fault;        // why it is not applied, when it is not
  int drift_repairs = 0;    // times it was found changed or missing and restored
  std::string last_drift;   // what was found the last time
};

class FirewallGuard {
 public:
  FirewallGuard(std::string script, int verify_seconds);
  ~FirewallGuard();
  // Applies now and checks every verify_seconds on the default main context.
  void start();
  // Reads the kernel's table back and restores it if it differs from what was applied.
  void verify();
  // Applies `script` now in place of the table it keeps, if it differs (a reload changed the cameras).
  void replace(std::string script);
  const FirewallState& state() const { return state_; }

 private:
  void apply();

  std::string script_;
  int verify_seconds_;
  std::string reference_;  // the kernel's listing right after applying
  FirewallState state_;
  std::shared_ptr<spdlog::logger> log_;
  guint timer_ = 0;
};

}  // namespace recorder::firewall
