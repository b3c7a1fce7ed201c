#pragma once
// What a configuration reloaded on SIGHUP changes: which cameras to start, stop or restart, and which
// other sections changed but only take effect when the recorder restarts. Pure: no I/O.

#include <string>
#include <vector>

#include "recorder/config/config.h"

namespace recorder::app {

// The difference between the running configuration and a freshly loaded one, camera by camera.
struct ReloadPlan {
  std::vector<config::CameraConfig> added;    // in the new file only: start
  std::vector<std::string> removed;           // in the running configuration only: stop
  std::vector<config::CameraConfig> changed;  // any field differs: restart with the new settings
  std::vector<std::string> unchanged;         // identical: left alone, their recording never pauses
  std::vector<std::string> restart_needed;    // other sections that differ ("storage", "api", ...)
};

ReloadPlan plan_reload(const config::Config& running, const config::Config& loaded);

// The configuration the recorder runs after applying `plan`: the new cameras, everything else as before.
config::Config apply_cameras(const config::Config& running, const config::Config& loaded);

// One line for the log: "+1 camera (d), -1 (a), 1 restarted (c), 1 unchanged".
std::string describe(const ReloadPlan& plan);

}  // namespace recorder::app
