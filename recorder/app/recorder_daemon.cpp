#include "recorder/app/recorder_daemon.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <signal.h>

#include "pipelines/durable_file_sink.h"

namespace recorder::app {

RecorderDaemon::RecorderDaemon(config::Config config, const Clock& clock)
    : config_(std::move(config)), clock_(clock), log_(component_logger("recorder")) {
  pipelines::register_durable_file_sink();
  for (const auto& camera : config_.cameras)
    cameras_.push_back(std::make_unique<camera::CameraSupervisor>(camera, config_.storage, clock_));
}

RecorderDaemon::~RecorderDaemon() {
  cameras_.clear();
  if (loop_ != nullptr) g_main_loop_unref(loop_);
}

int RecorderDaemon::run() {
  loop_ = g_main_loop_new(nullptr, FALSE);
  auto on_signal = [](gpointer self) -> gboolean {
    static_cast<RecorderDaemon*>(self)->begin_shutdown("stop signal received");
    return G_SOURCE_CONTINUE;
  };
  const guint sigterm = g_unix_signal_add(SIGTERM, on_signal, this);
  const guint sigint = g_unix_signal_add(SIGINT, on_signal, this);

  log_->info("recording {} camera(s) into {} ({} s segments)", cameras_.size(), config_.storage.path.string(),
             config_.storage.segment_seconds);
  for (auto& camera : cameras_) camera->start();
  g_main_loop_run(loop_);

  g_source_remove(sigterm);
  g_source_remove(sigint);
  cameras_.clear();
  pipelines::wait_for_pipeline_teardowns(std::chrono::milliseconds(1000));
  log_->info("stopped");
  return 0;
}

void RecorderDaemon::begin_shutdown(const char* why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  log_->info("{}: finalising open segments", why);
  cameras_running_ = cameras_.size();
  // A camera that cannot finalise in time (stuck network) must not hold the others' exit.
  g_timeout_add(
      static_cast<guint>(shutdown_finalise_budget.count()),
      [](gpointer self) -> gboolean {
        auto* daemon = static_cast<RecorderDaemon*>(self);
        daemon->log_->warn("{} camera(s) did not finalise in time; stopping anyway", daemon->cameras_running_);
        daemon->finish_shutdown();
        return G_SOURCE_REMOVE;
      },
      this);
  for (auto& camera : cameras_) {
    camera->stop([this] {
      if (--cameras_running_ == 0) finish_shutdown();
    });
  }
}

void RecorderDaemon::finish_shutdown() { g_main_loop_quit(loop_); }

}  // namespace recorder::app
