#pragma once
// The running recorder: one supervisor per configured camera on one GLib main loop, and an orderly
// shutdown on SIGINT/SIGTERM that finalises every open segment.

#include <chrono>
#include <memory>
#include <vector>

#include "recorder/camera/camera_supervisor.h"
#include "recorder/config/config.h"
#include "recorder/core/clock.h"

namespace recorder::app {

class RecorderDaemon {
 public:
  RecorderDaemon(config::Config config, const Clock& clock);
  ~RecorderDaemon();
  // Records until SIGINT or SIGTERM; returns the process exit code.
  int run();

 private:
  void begin_shutdown(const char* why);
  void finish_shutdown();

  config::Config config_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::unique_ptr<camera::CameraSupervisor>> cameras_;
  GMainLoop* loop_ = nullptr;
  bool shutting_down_ = false;
  std::size_t cameras_running_ = 0;
};

// Segments must be finalised within this after a stop signal (the rest of 5 s is for tear-down).
inline constexpr std::chrono::milliseconds shutdown_finalise_budget{3500};

}  // namespace recorder::app
