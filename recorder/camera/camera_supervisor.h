#pragma once
// Keeps one camera recording: connect, watch for stalls, back off after failures, reconnect.
// Runs entirely on the thread of the default GLib main context; cameras share nothing mutable.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "pipelines/recording_pipeline.h"
#include "recorder/catalog/catalog_writer.h"
#include "recorder/camera/backoff.h"
#include "recorder/config/config.h"
#include "recorder/core/clock.h"
#include "recorder/core/logging.h"

namespace recorder::camera {

enum class CameraState { Connecting, Recording, Backoff, Stopping, Stopped };
const char* to_string(CameraState state);

struct SupervisorTimings {
  std::chrono::milliseconds stall_timeout{5000};     // no video for this long while recording: rebuild
  std::chrono::milliseconds connect_timeout{15000};  // no video this long after connecting: retry
  std::chrono::milliseconds tick{250};               // how often the watchdog looks
};

class CameraSupervisor final : public pipelines::PipelineListener {
 public:
  CameraSupervisor(config::CameraConfig camera, const config::StorageConfig& storage, const Clock& clock,
                   std::shared_ptr<catalog::CatalogWriter> catalog, SupervisorTimings timings = {});
  ~CameraSupervisor() override;

  void start();
  // Finalises the open segment; `on_stopped` runs once the camera is Stopped.
  void stop(std::function<void()> on_stopped);
  CameraState state() const { return state_; }
  // When footage of this camera last reached the disk (a segment opened or closed); nullopt before.
  std::optional<WallTime> last_segment_at() const { return last_segment_at_; }
  // Why the camera is not recording, while it is not ("" when it is, or before its first failure).
  const std::string& last_failure() const { return last_failure_; }
  // Connection attempts that failed since start (for /metrics).
  std::int64_t failures() const { return failures_; }
  // Bytes written to this camera's segment files and video frames recorded since start, across every
  // pipeline it has had (for /metrics).
  std::uint64_t recorded_bytes() const;
  std::uint64_t recorded_frames() const;
  // Video frames, and bytes of video and audio, dropped because the disk fell behind, across every
  // pipeline since start (for /metrics).
  std::uint64_t dropped_frames() const;
  std::uint64_t dropped_bytes() const;
  const std::string& id() const { return camera_.id; }

  void on_pipeline_failed(const pipelines::PipelineFailure& failure) override;
  void on_pipeline_finished() override;
  void on_segment_opened(const std::filesystem::path& file, std::chrono::nanoseconds running_time) override;
  void on_segment_closed(const std::filesystem::path& file, std::chrono::nanoseconds running_time) override;
  // The wall clock stepped (NTP/GPS correction): close the segment and start a new recording run, so
  // that footage is never stretched or squeezed across the step.
  void on_clock_step(std::chrono::milliseconds step);
  // When this supervisor last ran its state machine (every `tick`, in every state from start() until
  // Stopped): for the service watchdog, which asks from its own thread. A deadlocked one stops ticking.
  MonotonicTime last_progress() const { return MonotonicTime(MonotonicTime::duration(last_tick_.load())); }

 private:
  void connect();
  void fail(pipelines::FailureKind kind, const std::string& reason);
  void check_watchdog();
  void enter(CameraState next);
  void finish_stopping();
  void retire_pipeline();
  void cancel_timers();
  Backoff& backoff_for(pipelines::FailureKind kind);

  config::CameraConfig camera_;
  config::StorageConfig storage_;
  const Clock& clock_;
  std::shared_ptr<catalog::CatalogWriter> catalog_;
  SupervisorTimings timings_;
  std::shared_ptr<spdlog::logger> log_;

  CameraState state_ = CameraState::Stopped;
  std::unique_ptr<pipelines::RecordingPipeline> pipeline_;
  MonotonicTime connected_at_{};
  guint watchdog_timer_ = 0;
  guint retry_timer_ = 0;
  std::function<void()> on_stopped_;
  std::atomic<MonotonicTime::rep> last_tick_{0};  // written on the loop's thread, read by the watchdog's
  std::filesystem::path open_segment_;          // the segment being written, and where it starts
  std::chrono::nanoseconds open_segment_start_{0};
  std::optional<WallTime> last_segment_at_;

  Backoff network_backoff_{std::chrono::milliseconds(250), std::chrono::milliseconds(2000)};
  // A camera that refuses our password will refuse it again: retry slowly, and do not lock its account.
  Backoff auth_backoff_{std::chrono::seconds(5), std::chrono::seconds(60)};
  Backoff storage_backoff_{std::chrono::seconds(1), std::chrono::seconds(10)};

  std::string last_failure_;   // reported once per distinct failure, not once per attempt
  int repeated_failures_ = 0;
  std::int64_t failures_ = 0;
  std::uint64_t retired_bytes_ = 0;   // recorded by the pipelines before the current one
  std::uint64_t retired_frames_ = 0;
  std::uint64_t retired_dropped_frames_ = 0;
  std::uint64_t retired_dropped_bytes_ = 0;
};

}  // namespace recorder::camera
