#include "recorder/app/recorder_daemon.h"

#include <fmt/format.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include "pipelines/durable_file_sink.h"
#include "pipelines/frame_queue.h"
#include "pipelines/rtsp_tcp_source.h"
#include "recorder/catalog/recovery.h"
#include "recorder/api/api.h"
#include "recorder/api/status_file.h"
#include "recorder/app/health_model.h"
#include "recorder/core/loop_timer.h"

namespace recorder::app {

RecorderDaemon::RecorderDaemon(config::Config config, const Clock& clock, std::shared_ptr<ServiceNotifier> notifier,
                               std::filesystem::path config_file)
    : config_(std::move(config)),
      config_file_(std::move(config_file)),
      clock_(clock),
      log_(component_logger("recorder")),
      notifier_(std::move(notifier)) {
  const auto& storage = config_.storage.path;
  const std::string storage_id = catalog::read_storage_id(storage);  // S1: never record onto an unmounted disk
  storage_lock_ = std::make_unique<catalog::StorageLock>(storage);
  auto opened = std::make_unique<catalog::Catalog>(storage, catalog::Database::Mode::ReadWrite);
  const auto catalog_id = opened->meta("storage_id");
  if (!catalog_id) opened->set_meta("storage_id", storage_id);
  else if (*catalog_id != storage_id)
    throw Error(ErrorKind::InvalidArgument,
                "the catalog in " + storage.string() + " belongs to storage " + *catalog_id + ", not to " + storage_id);

  const auto now = catalog::to_micros(clock_.wall_now());
  const auto report = catalog::reconcile(*opened, catalog::RecoveryMode::Repair, now);
  if (report.consistent()) log_->info("catalog consistent: {}", report.summary());
  else log_->warn("recovered after an unclean stop: {}", report.summary());
  for (const auto& camera : config_.cameras) opened->upsert_camera(camera.id, camera.car, camera.position, now);
  catalog_ = std::make_shared<catalog::CatalogWriter>(std::move(opened));
  storage_watch_ = std::make_unique<StorageWatch>(config_, catalog_, disk_, clock_);

  pipelines::register_durable_file_sink();
  pipelines::register_rtsp_tcp_source();
  pipelines::register_frame_queue();
  for (const auto& camera : config_.cameras)
    cameras_.push_back(std::make_unique<camera::CameraSupervisor>(camera, config_.storage, clock_, catalog_));

  // A missing or exposed TLS key, an unusable signing key or users file: configuration faults, found at
  // start rather than when staff need footage. (A port that is taken is not: start_api() logs it and
  // recording goes on.)
  if (config_.api) {
    api_ = std::make_shared<api::Api>(api::ApiContext{config_, status_board_, catalog_, &clock_, &disk_,
                                                      exporting::load_or_create_signing_key(config_.api->signing_key),
                                                      storage_id});
    if (api_->user_count() == 0)
      log_->warn("no users in {}: nobody can use the maintenance API (add one with recorderctl users add)",
                 config_.api->users_file.string());
    api_server_ = std::make_unique<api::HttpServer>(
        *config_.api, [api = api_](const api::Request& request, const std::string& remote) {
          return api->handle(request, remote);
        });
  }
}

RecorderDaemon::~RecorderDaemon() {
  release_components();
  if (loop_ != nullptr) g_main_loop_unref(loop_);
}

void RecorderDaemon::release_components() {
  stop_service_thread();  // it reads the cameras and the catalog writer
  api_server_.reset();  // no request may reach a component that is going away
  api_.reset();
  cameras_.clear();
  retiring_.clear();
  storage_watch_.reset();
  // The drop monitor hands its last counts to the catalog; the table stays in the kernel: cameras stay
  // isolated while we are down.
  firewall_.reset();
  // Pipelines report their abandoned segments to the catalog as they finish: wait for them first.
  pipelines::wait_for_pipeline_teardowns(std::chrono::milliseconds(1000));
  catalog_.reset();  // applies what is queued
}

std::vector<RecorderDaemon::CameraHealth> RecorderDaemon::camera_health() const {
  std::vector<CameraHealth> result;
  for (const auto& camera : cameras_)
    result.push_back({camera->id(), camera->state(), camera->last_segment_at(), camera->last_failure(),
                      camera->recorded_bytes(), camera->recorded_frames()});
  return result;
}

std::string RecorderDaemon::health_summary() const {
  int recording = 0;
  std::string down;
  for (const auto& camera : camera_health()) {
    if (camera.state == camera::CameraState::Recording) {
      ++recording;
      continue;
    }
    const auto silent = camera.last_segment_at
                            ? fmt::format("{:.0f} s", std::chrono::duration<double>(clock_.wall_now() -
                                                                                    *camera.last_segment_at).count())
                            : std::string("never recorded");
    down += fmt::format("{}{} ({}, {}{})", down.empty() ? "" : ", ", camera.id, camera::to_string(camera.state), silent,
                        camera.failure.empty() ? "" : ": " + camera.failure);
  }
  const StorageHealth storage = storage_watch_->health();
  std::string line = fmt::format("{}/{} cameras recording", recording, cameras_.size());
  if (!down.empty()) line += "; not recording: " + down;
  if (!storage.checked) return line;
  const auto& disk = storage.last_pass.disk;
  line += fmt::format("; {} MiB free of {} MiB (floor {} MiB)", disk.available >> 20, disk.capacity >> 20,
                      storage.last_pass.floor_bytes >> 20);
  if (storage.oldest_footage_us) {
    const auto age = catalog::to_micros(clock_.wall_now()) - *storage.oldest_footage_us;
    line += fmt::format("; oldest footage {:.1f} h old", static_cast<double>(age) / 3.6e9);
  }
  for (const auto& [cause, totals] : storage.deletions) line += fmt::format("; deleted for {}: {}", cause, totals.segments);
  if (storage.last_pass.alarm) line += "; ALARM: " + *storage.last_pass.alarm;
  if (firewall_) line += "; " + firewall_->summary();
  return line;
}

void RecorderDaemon::start_firewall() {
  if (!config_.network) return;
  firewall_ = std::make_unique<FirewallWatch>(config_, catalog_, clock_);
  firewall_->start();
}

void RecorderDaemon::publish_status() {
  api::StatusSnapshot status;
  const auto now = clock_.wall_now();
  for (const auto& camera : cameras_) {
    api::CameraStatus c{camera->id(), camera::to_string(camera->state()), std::nullopt, camera->failures()};
    if (const auto at = camera->last_segment_at()) c.seconds_since_segment = std::chrono::duration<double>(now - *at).count();
    c.recorded_bytes = camera->recorded_bytes();
    c.recorded_frames = camera->recorded_frames();
    c.dropped_frames = camera->dropped_frames();
    c.dropped_bytes = camera->dropped_bytes();
    c.failure = camera->last_failure();
    status.cameras.push_back(std::move(c));
  }
  const StorageHealth storage = storage_watch_->health();
  status.storage_checked = storage.checked;
  status.storage_free_bytes = storage.last_pass.disk.available;
  status.storage_capacity_bytes = storage.last_pass.disk.capacity;
  status.storage_floor_bytes = storage.last_pass.floor_bytes;
  std::error_code unmounted;
  status.storage_present =
      std::filesystem::exists(config_.storage.path / catalog::storage_id_file_name, unmounted) && !unmounted;
  status.storage_alarm = storage.last_pass.alarm.has_value();
  if (storage.oldest_footage_us)
    status.oldest_footage_age_seconds = static_cast<double>(catalog::to_micros(now) - *storage.oldest_footage_us) / 1e6;
  for (const auto& [cause, totals] : storage.deletions) status.deletions[cause] = {totals.segments, totals.bytes};
  if (firewall_) firewall_->fill(status);
  status.clock_synchronised = clock_sync_.synchronised();
  const auto health = assess_health(status);
  status.health = to_string(health.state);
  status.health_reasons = health.reasons;
  status_board_->publish(std::move(status));
  loop_heartbeat_ = clock_.monotonic_now().time_since_epoch().count();
}

void RecorderDaemon::start_api() {
  if (!api_server_) return;
  try {
    api_server_->start();
    log_->info("API listening on {}://{}:{}", api_server_->tls() ? "https" : "http", config_.api->listen_address,
               api_server_->port());
  } catch (const std::exception& e) {
    api_server_.reset();
    log_->error("the maintenance API is not available: {}", e.what());
  }
}

void RecorderDaemon::log_health() { log_->info("health: {}", health_summary()); }

void RecorderDaemon::check_wall_clock() {
  const auto step = clock_steps_.check(clock_.wall_now(), clock_.monotonic_now());
  if (!step) return;
  log_->warn("wall clock stepped by {:+.3f} s (NTP or GPS correction)", std::chrono::duration<double>(*step).count());
  for (auto& camera : cameras_) camera->on_clock_step(*step);
}

int RecorderDaemon::run() {
  loop_ = g_main_loop_new(nullptr, FALSE);
  auto on_signal = [](gpointer self) -> gboolean {
    static_cast<RecorderDaemon*>(self)->begin_shutdown("stop signal received");
    return G_SOURCE_CONTINUE;
  };
  const guint sigterm = g_unix_signal_add(SIGTERM, on_signal, this);
  const guint sigint = g_unix_signal_add(SIGINT, on_signal, this);
  const guint sighup = g_unix_signal_add(SIGHUP, [](gpointer self) -> gboolean {
    static_cast<RecorderDaemon*>(self)->reload();
    return G_SOURCE_CONTINUE;
  }, this);

  log_->info("recording {} camera(s) into {} ({} s segments)", cameras_.size(), config_.storage.path.string(),
             config_.storage.segment_seconds);
  start_firewall();           // before the cameras: they are never unfiltered while we record
  publish_status();
  start_api();
  storage_watch_->start();  // the first pass is queued before any segment row
  for (auto& camera : cameras_) camera->start();
  check_wall_clock();
  // Ready: the catalog is recovered, the API listens, every camera's first connection is under way.
  notifier_->notify("READY=1");
  start_service_thread();
  health_timer_ = run_after(std::chrono::minutes(5), [this] {
    log_health();
    return true;
  });
  status_timer_ = run_after(std::chrono::seconds(1), [this] {
    // Cameras a reload stopped go here, outside their own callbacks.
    std::erase_if(retiring_, [](const auto& camera) { return camera->state() == camera::CameraState::Stopped; });
    publish_status();
    return true;
  });
  clock_timer_ = run_after(std::chrono::milliseconds(500), [this] {
    check_wall_clock();
    return true;
  });
  g_main_loop_run(loop_);

  g_source_remove(clock_timer_);
  g_source_remove(health_timer_);
  g_source_remove(status_timer_);
  if (shutdown_timer_ != 0) g_source_remove(shutdown_timer_);
  g_source_remove(sigterm);
  g_source_remove(sigint);
  g_source_remove(sighup);
  release_components();
  log_->info("stopped");
  return 0;
}

void RecorderDaemon::begin_shutdown(const char* why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  // Stopping cameras stop ticking: the watchdog ends here; TimeoutStopSec= bounds the rest.
  stop_service_thread();
  notifier_->notify("STOPPING=1");
  log_health();
  log_->info("{}: finalising open segments", why);
  // A replacement that a reload has not started yet has nothing to finalise: its predecessor, still
  // retiring, has, and is waited for with the others.
  auto started = [](const auto& camera) { return camera->state() != camera::CameraState::Stopped; };
  cameras_running_ = std::count_if(cameras_.begin(), cameras_.end(), started) +
                     std::count_if(retiring_.begin(), retiring_.end(), started);
  if (cameras_running_ == 0) {
    finish_shutdown();
    return;
  }
  // A camera that cannot finalise in time (stuck network) must not hold the others' exit.
  shutdown_timer_ = run_after(shutdown_finalise_budget, [this] {
    shutdown_timer_ = 0;
    log_->warn("{} camera(s) did not finalise in time; stopping anyway", cameras_running_);
    finish_shutdown();
    return false;
  });
  // Retiring cameras are already stopping; their callbacks count them down (see retire()).
  for (auto& camera : cameras_)
    if (started(camera)) camera->stop([this] { camera_stopped_in_shutdown(); });
}

void RecorderDaemon::camera_stopped_in_shutdown() {
  if (cameras_running_ > 0 && --cameras_running_ == 0) finish_shutdown();
}

void RecorderDaemon::finish_shutdown() { g_main_loop_quit(loop_); }

}  // namespace recorder::app

namespace recorder::app {

void RecorderDaemon::start_service_thread() {
  loop_heartbeat_ = clock_.monotonic_now().time_since_epoch().count();
  service_thread_ = std::jthread([this](std::stop_token stop) { serve_service_manager(stop); });
}

void RecorderDaemon::stop_service_thread() {
  if (!service_thread_.joinable()) return;
  service_thread_.request_stop();
  service_thread_.join();
}

void RecorderDaemon::serve_service_manager(std::stop_token stop) {
  std::unique_ptr<ServiceWatchdog> watchdog;
  if (const auto interval = systemd_watchdog_interval()) {
    watchdog = std::make_unique<ServiceWatchdog>(*notifier_, clock_, *interval);
    watchdog->add_source({"event loop", [this] { return MonotonicTime(MonotonicTime::duration(loop_heartbeat_.load())); }});
    watchdog->add_source({"catalog writer", [writer = catalog_] { return writer->last_progress(); }});
    for (const auto& camera : cameras_)
      watchdog->add_source({"camera " + camera->id(), [supervisor = camera.get()] { return supervisor->last_progress(); }});
    log_->info("systemd watchdog every {:.0f} s: pinged while the loop, the catalog writer and {} camera(s) make progress",
               std::chrono::duration<double>(*interval).count(), cameras_.size());
  }
  const auto period = watchdog ? std::min(watchdog->check_period(), std::chrono::milliseconds(1000))
                               : std::chrono::milliseconds(1000);
  std::string last_summary;
  bool write_failed = false;
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    if (watchdog) watchdog->check();
    const auto snapshot = status_board_->current();
    api::StatusFile file{clock_.wall_now(), static_cast<long>(getpid()), status_line(*snapshot), *snapshot};
    if (file.summary != last_summary) notifier_->notify("STATUS=" + file.summary);
    last_summary = file.summary;
    try {
      write_status_file(config_.storage.path, file);
      if (write_failed) log_->info("status file written again");
      write_failed = false;
    } catch (const std::exception& e) {
      if (!write_failed) log_->warn("cannot write the status file for recorderctl status: {}", e.what());
      write_failed = true;
    }
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, period, [] { return false; });
  }
}

}  // namespace recorder::app
