#pragma once
// The running recorder: one supervisor per configured camera on one GLib main loop, an orderly
// shutdown on SIGINT/SIGTERM that finalises every open segment, and SIGHUP re-reading the cameras.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "recorder/api/api.h"
#include "recorder/api/http_server.h"
#include "recorder/api/status_board.h"
#include "recorder/app/firewall_watch.h"
#include "recorder/app/service_watchdog.h"
#include "recorder/app/storage_watch.h"
#include "recorder/camera/camera_supervisor.h"
#include "recorder/catalog/catalog_writer.h"
#include "recorder/catalog/storage_identity.h"
#include "recorder/core/clock_step_detector.h"
#include "recorder/config/config.h"
#include "recorder/core/clock.h"
#include "recorder/core/clock_sync.h"

namespace recorder::app {

class RecorderDaemon {
 public:
  // Checks the storage (identity, lock), opens the catalog and recovers it. Throws recorder::Error
  // saying why the recorder cannot start (no mounted disk, another recorder running, ...).
  // `notifier`: where readiness, watchdog pings and STATUS= go (systemd's notify socket by default).
  // `config_file`: where `config` came from, re-read on SIGHUP (empty: SIGHUP is ignored).
  RecorderDaemon(config::Config config, const Clock& clock,
                 std::shared_ptr<ServiceNotifier> notifier = std::make_shared<SystemdNotifier>(),
                 std::filesystem::path config_file = {});
  ~RecorderDaemon();
  // Records until SIGINT or SIGTERM (or stop()); returns the process exit code.
  int run();
  // Asks a running daemon to stop as on SIGTERM (from the loop's thread, e.g. a test's timer).
  void stop() { begin_shutdown("stop requested"); }
  // Re-reads the configuration file as on SIGHUP and applies its camera changes (from the loop's thread).
  void reload();
  catalog::CatalogWriter& catalog() { return *catalog_; }
  StorageHealth storage_health() const { return storage_watch_->health(); }
  // Per camera: state, when its footage last reached the disk, why it is down if it is, what it recorded.
  struct CameraHealth {
    std::string id;
    camera::CameraState state;
    std::optional<WallTime> last_segment_at;
    std::string failure;
    std::uint64_t recorded_bytes = 0;  // since start, across reconnects
    std::uint64_t recorded_frames = 0;
  };
  std::vector<CameraHealth> camera_health() const;
  // The port the API listens on (0 without an api: block); for tests that ask for any free port.
  int api_port() const { return api_server_ ? api_server_->port() : 0; }
  // One line for the log: cameras recording, free space, oldest footage, deletions, alarm.
  std::string health_summary() const;

 private:
  void begin_shutdown(const char* why);
  void camera_stopped_in_shutdown();
  // Stops `supervisor` (finalising its segment) and keeps it until it has; then runs `then` unless the
  // recorder is shutting down by then.
  void retire(std::unique_ptr<camera::CameraSupervisor> supervisor, std::function<void()> then = {});
  bool still_retiring(const std::string& id) const;  // a supervisor of this camera is still finalising
  // Starts the camera `id` of cameras_ if it is a replacement still waiting for its predecessor.
  void start_waiting(const std::string& id);
  void finish_shutdown();
  void check_wall_clock();
  void log_health();
  void start_firewall();
  void release_components();
  void publish_status();
  void start_api();
  void start_service_thread();
  void stop_service_thread();
  void serve_service_manager(std::stop_token stop);

  config::Config config_;
  std::filesystem::path config_file_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<catalog::StorageLock> storage_lock_;
  std::shared_ptr<catalog::CatalogWriter> catalog_;
  retention::FilesystemSpace disk_;
  std::unique_ptr<StorageWatch> storage_watch_;
  guint health_timer_ = 0;
  std::unique_ptr<FirewallWatch> firewall_;  // with a network: block only
  std::shared_ptr<api::StatusBoard> status_board_ = std::make_shared<api::StatusBoard>();
  std::shared_ptr<api::Api> api_;
  std::unique_ptr<api::HttpServer> api_server_;
  guint status_timer_ = 0;
  std::shared_ptr<ServiceNotifier> notifier_;
  KernelClockSync clock_sync_;
  // Set by the loop at every status tick; the service thread reads it to see that the loop still turns.
  std::atomic<MonotonicTime::rep> loop_heartbeat_{0};
  // Writes the status file and pings the watchdog off the loop, so that a slow disk cannot stall the
  // loop and a stalled loop cannot hide from the watchdog.
  std::jthread service_thread_;
  ClockStepDetector clock_steps_{std::chrono::seconds(2)};
  guint clock_timer_ = 0;
  guint shutdown_timer_ = 0;
  std::vector<std::unique_ptr<camera::CameraSupervisor>> cameras_;  // one per config_.cameras, same order
  // Cameras removed or replaced by a reload, finalising their last segment; dropped once Stopped.
  std::vector<std::unique_ptr<camera::CameraSupervisor>> retiring_;
  GMainLoop* loop_ = nullptr;
  bool shutting_down_ = false;
  std::size_t cameras_running_ = 0;
};

// Segments must be finalised within this after a stop signal (the rest of 5 s is for tear-down).
inline constexpr std::chrono::milliseconds shutdown_finalise_budget{3500};

}  // namespace recorder::app
