#include "recorder/app/config_reload.h"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace recorder::app {
namespace {

const config::CameraConfig* find_camera(const config::Config& config, const std::string& id) {
  const auto it = std::find_if(config.cameras.begin(), config.cameras.end(),
                               [&](const config::CameraConfig& camera) { return camera.id == id; });
  return it == config.cameras.end() ? nullptr : &*it;
}

}  // namespace

ReloadPlan plan_reload(const config::Config& running, const config::Config& loaded) {
  ReloadPlan plan;
  for (const auto& camera : loaded.cameras) {
    const auto* before = find_camera(running, camera.id);
    if (before == nullptr) plan.added.push_back(camera);
    else if (*before == camera) plan.unchanged.push_back(camera.id);
    else plan.changed.push_back(camera);
  }
  for (const auto& camera : running.cameras)
    if (find_camera(loaded, camera.id) == nullptr) plan.removed.push_back(camera.id);
  // Named as the file's sections are, so that the warning points at what to look at.
  if (!(running.storage == loaded.storage)) plan.restart_needed.push_back("storage");
  if (!(running.api == loaded.api)) plan.restart_needed.push_back("api");
  if (!(running.network == loaded.network)) plan.restart_needed.push_back("network");
  if (running.log_level != loaded.log_level) plan.restart_needed.push_back("log_level");
  return plan;
}

config::Config apply_cameras(const config::Config& running, const config::Config& loaded) {
  config::Config result = running;
  result.cameras = loaded.cameras;
  return result;
}

std::string describe(const ReloadPlan& plan) {
  std::vector<std::string> added, changed;
  for (const auto& camera : plan.added) added.push_back(camera.id);
  for (const auto& camera : plan.changed) changed.push_back(camera.id);
  auto ids = [](const std::vector<std::string>& names) {
    return names.empty() ? std::string() : fmt::format(" ({})", fmt::join(names, ", "));
  };
  return fmt::format("+{} camera{}{}, -{}{}, {} restarted{}, {} unchanged", added.size(), added.size() == 1 ? "" : "s",
                     ids(added), plan.removed.size(), ids(plan.removed), changed.size(), ids(changed),
                     plan.unchanged.size());
}

}  // namespace recorder::app
