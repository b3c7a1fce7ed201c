// RecorderDaemon::reload(): SIGHUP re-reads the configuration file and applies what can be applied
// live, the cameras, without touching a camera whose settings did not change.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "recorder/app/config_reload.h"
#include "recorder/app/recorder_daemon.h"

namespace recorder::app {

void RecorderDaemon::reload() {
  if (shutting_down_) return;
  if (config_file_.empty()) {
    log_->warn("reload: no configuration file to re-read; nothing changed");
    return;
  }
  config::Config loaded;
  try {
    loaded = config::load_config(config_file_);
  } catch (const std::exception& e) {  // ConfigError names file:line:key; an unreadable file says why too
    log_->error("reload rejected, still running the previous configuration: {}", e.what());
    return;
  }
  const ReloadPlan plan = plan_reload(config_, loaded);
  if (!plan.restart_needed.empty())
    log_->warn("reload: keeping the running values of what else changed; restart to apply: {}",
               fmt::join(plan.restart_needed, ", "));

  // Rows first: a restarted or added camera's first segment refers to its camera row.
  const auto now = catalog::to_micros(clock_.wall_now());
  std::vector<config::CameraConfig> upserts = plan.added;
  upserts.insert(upserts.end(), plan.changed.begin(), plan.changed.end());
  catalog_->post([upserts, now](catalog::Catalog& catalog) {
    for (const auto& camera : upserts) catalog.upsert_camera(camera.id, camera.car, camera.position, now);
  });

  // The service thread's watchdog holds pointers to the supervisors: it lets go of them before any
  // supervisor leaves cameras_, and takes the new set afterwards.
  stop_service_thread();
  std::map<std::string, std::unique_ptr<camera::CameraSupervisor>> running;
  for (auto& camera : cameras_) running[camera->id()] = std::move(camera);
  cameras_.clear();
  config_ = apply_cameras(config_, loaded);
  if (firewall_) firewall_->update_cameras(config_.cameras);  // before the new cameras try to connect
  std::vector<camera::CameraSupervisor*> to_start;
  for (const auto& camera : config_.cameras) {
    auto old = running.find(camera.id);
    if (old != running.end() &&
        std::find(plan.unchanged.begin(), plan.unchanged.end(), camera.id) != plan.unchanged.end()) {
      cameras_.push_back(std::move(old->second));  // untouched: its pipeline keeps running
      running.erase(old);
      continue;
    }
    cameras_.push_back(std::make_unique<camera::CameraSupervisor>(camera, config_.storage, clock_, catalog_));
    if (old == running.end()) {
      // Removed by an earlier reload and added back before that supervisor finished finalising: this one
      // starts once it has stopped (start_waiting), so that the camera's folder never has two writers.
      if (!still_retiring(camera.id)) to_start.push_back(cameras_.back().get());
      continue;
    }
    // Changed: the new settings take over once the old pipeline has finalised its segment, so that the
    // camera's folder never has two writers.
    auto previous = std::move(old->second);
    running.erase(old);
    retire(std::move(previous), [this, id = camera.id] { start_waiting(id); });
  }
  for (auto& [id, removed] : running) retire(std::move(removed), [this, id = id] { start_waiting(id); });
  for (auto* camera : to_start) camera->start();

  if (storage_watch_) storage_watch_->update_quotas(config_);
  if (api_) api_->set_cameras(config_.cameras);
  publish_status();
  start_service_thread();
  log_->info("reload: {}", describe(plan));
}

void RecorderDaemon::retire(std::unique_ptr<camera::CameraSupervisor> supervisor, std::function<void()> then) {
  if (supervisor->state() == camera::CameraState::Stopped) {
    // A replacement from an earlier reload whose predecessor is still finalising: it never started and
    // has nothing to finalise; the predecessor starts whatever replaced it in turn (start_waiting).
    return;
  }
  auto* camera = supervisor.get();
  retiring_.push_back(std::move(supervisor));
  camera->stop([this, then = std::move(then)] {
    if (shutting_down_) camera_stopped_in_shutdown();
    else if (then) then();
  });
}

bool RecorderDaemon::still_retiring(const std::string& id) const {
  return std::any_of(retiring_.begin(), retiring_.end(), [&](const auto& camera) {
    return camera->id() == id && camera->state() != camera::CameraState::Stopped;
  });
}

// Looked up by id, not held by pointer: a second reload may have replaced the waiting supervisor.
void RecorderDaemon::start_waiting(const std::string& id) {
  for (auto& camera : cameras_)
    if (camera->id() == id && camera->state() == camera::CameraState::Stopped) camera->start();
}

}  // namespace recorder::app
