#include "recorder/camera/camera_supervisor.h"

#include <fmt/format.h>
#include <glib.h>

#include "recorder/catalog/segment_layout.h"
#include "recorder/core/loop_timer.h"

namespace recorder::camera {

const char* to_string(CameraState state) {
  switch (state) {
    case CameraState::Connecting: return "connecting";
    case CameraState::Recording: return "recording";
    case CameraState::Backoff: return "backoff";
    case CameraState::Stopping: return "stopping";
    case CameraState::Stopped: return "stopped";
  }
  return "unknown";
}

namespace {

const char* describe(pipelines::FailureKind kind) {
  switch (kind) {
    case pipelines::FailureKind::Authentication: return "authentication error";
    case pipelines::FailureKind::Unreachable: return "camera unreachable";
    case pipelines::FailureKind::Stream: return "stream error";
    case pipelines::FailureKind::Storage: return "storage error";
    case pipelines::FailureKind::Other: return "error";
  }
  return "error";
}

}  // namespace

CameraSupervisor::CameraSupervisor(config::CameraConfig camera, const config::StorageConfig& storage,
                                   const Clock& clock, std::shared_ptr<catalog::CatalogWriter> catalog,
                                   SupervisorTimings timings)
    : camera_(std::move(camera)),
      storage_(storage),
      clock_(clock),
      catalog_(std::move(catalog)),
      timings_(timings),
      log_(component_logger("camera " + camera_.id)),
      // A replacement made by a reload waits for its predecessor to finalise before start(): the
      // service watchdog must not take that second for a stall.
      last_tick_(clock_.monotonic_now().time_since_epoch().count()) {}

CameraSupervisor::~CameraSupervisor() { cancel_timers(); }

void CameraSupervisor::cancel_timers() {
  if (watchdog_timer_ != 0) g_source_remove(watchdog_timer_);
  if (retry_timer_ != 0) g_source_remove(retry_timer_);
  watchdog_timer_ = retry_timer_ = 0;
}

void CameraSupervisor::enter(CameraState next) {
  if (next == state_) return;
  log_->debug("state {} -> {}", to_string(state_), to_string(next));
  state_ = next;
}

void CameraSupervisor::start() {
  last_tick_ = clock_.monotonic_now().time_since_epoch().count();  // fresh from the start, not from 1970
  watchdog_timer_ = run_after(timings_.tick, [this] {
    check_watchdog();
    return true;
  });
  connect();
}

void CameraSupervisor::connect() {
  retry_timer_ = 0;
  pipelines::RecordingSettings settings;
  settings.camera_id = camera_.id;
  settings.url = camera_.url;
  settings.use_tcp = camera_.transport == config::Transport::Tcp;
  settings.username = camera_.username;
  settings.password = camera_.password.reveal();
  settings.segment_length = std::chrono::seconds(storage_.segment_seconds);
  if (camera_.stall_buffer) settings.frame_queue_bytes = *camera_.stall_buffer;
  // Half the retention floor stays free whatever happens: when all footage is protected and the disk
  // fills, the catalog can still be written and an operator can still lift a protection.
  std::error_code no_space_info;
  const auto space = std::filesystem::space(storage_.path, no_space_info);
  if (!no_space_info) settings.reserve_bytes = config::free_space_floor(storage_.retention, space.capacity) / 2;
  settings.segment_path = [root = storage_.path, id = camera_.id](WallTime start) {
    return catalog::segment_path(root, id, start);
  };
  // Runs after the pipeline's files are closed, possibly after shutdown: then the writer may be gone,
  // and recovery at the next start closes the segment instead.
  settings.on_torn_down = [writer = std::weak_ptr(catalog_), id = camera_.id] {
    if (auto alive = writer.lock()) alive->segments_abandoned(id);
  };
  open_segment_.clear();
  retire_pipeline();
  pipeline_ = std::make_unique<pipelines::RecordingPipeline>(std::move(settings), clock_, *this);
  connected_at_ = clock_.monotonic_now();
  enter(CameraState::Connecting);
  try {
    pipeline_->start();
  } catch (const std::exception& e) {
    fail(pipelines::FailureKind::Other, e.what());
  }
}

Backoff& CameraSupervisor::backoff_for(pipelines::FailureKind kind) {
  if (kind == pipelines::FailureKind::Authentication) return auth_backoff_;
  if (kind == pipelines::FailureKind::Storage) return storage_backoff_;
  return network_backoff_;
}

void CameraSupervisor::fail(pipelines::FailureKind kind, const std::string& reason) {
  if (state_ == CameraState::Stopping) {
    // A failure while finalising still ends the camera: nothing more will come from this pipeline.
    finish_stopping();
    return;
  }
  retire_pipeline();
  ++failures_;
  const auto delay = backoff_for(kind).next();
  const std::string summary = std::string(describe(kind)) + ": " + reason;
  catalog_->run_ended(camera_.id, clock_.wall_now(), summary);
  // A dead camera fails every few seconds for hours: say so once, then only when the reason changes.
  if (summary != last_failure_) {
    log_->warn("{} -> backoff: {} (retrying in {} ms)", to_string(state_), summary, delay.count());
    last_failure_ = summary;
    repeated_failures_ = 0;
  } else if (++repeated_failures_ % 100 == 0) {
    log_->warn("still failing after {} attempts: {}", repeated_failures_ + 1, summary);
  } else {
    log_->debug("retry failed: {}", summary);
  }
  enter(CameraState::Backoff);
  retry_timer_ = run_after(delay, [this] {
    retry_timer_ = 0;  // this one-shot timer is gone once it returns false
    connect();
    return false;
  });
}

void CameraSupervisor::check_watchdog() {
  last_tick_ = clock_.monotonic_now().time_since_epoch().count();
  if (!pipeline_ || (state_ != CameraState::Connecting && state_ != CameraState::Recording)) return;
  const MonotonicTime now = clock_.monotonic_now();
  const auto last = pipeline_->last_video_data();
  if (state_ == CameraState::Connecting) {
    if (last) {
      log_->info("recording{}", last_failure_.empty() ? "" : " again after: " + last_failure_);
      network_backoff_.reset();
      auth_backoff_.reset();
      storage_backoff_.reset();
      last_failure_.clear();
      enter(CameraState::Recording);
    } else if (now - connected_at_ > timings_.connect_timeout) {
      fail(pipelines::FailureKind::Unreachable,
           fmt::format("no video within {} s of connecting",
                       std::chrono::duration_cast<std::chrono::seconds>(timings_.connect_timeout).count()));
    }
    return;
  }
  if (now - *last > timings_.stall_timeout) {
    fail(pipelines::FailureKind::Unreachable,
         fmt::format("stalled: no video for {} ms", timings_.stall_timeout.count()));
  }
}

void CameraSupervisor::stop(std::function<void()> on_stopped) {
  on_stopped_ = std::move(on_stopped);
  if (retry_timer_ != 0) g_source_remove(retry_timer_);
  retry_timer_ = 0;
  if (state_ == CameraState::Recording && pipeline_) {
    enter(CameraState::Stopping);
    pipeline_->request_stop();  // on_pipeline_finished follows once the segment is finalised
    return;
  }
  finish_stopping();
}

void CameraSupervisor::finish_stopping() {
  cancel_timers();
  retire_pipeline();
  catalog_->run_ended(camera_.id, clock_.wall_now(), "stopped");
  enter(CameraState::Stopped);
  if (on_stopped_) {
    auto callback = std::move(on_stopped_);
    on_stopped_ = nullptr;
    callback();
  }
}

// Banks the pipeline's counts before it goes. After a stop its end of stream has already reached the
// file; after a failure the camera's data has stopped, and what is still in flight during the background
// teardown is at most a few buffers, which go uncounted.
void CameraSupervisor::retire_pipeline() {
  if (!pipeline_) return;
  retired_bytes_ += pipeline_->recorded_bytes();
  retired_frames_ += pipeline_->recorded_frames();
  retired_dropped_frames_ += pipeline_->dropped_frames();
  retired_dropped_bytes_ += pipeline_->dropped_bytes();
  pipeline_.reset();  // torn down in the background
}

std::uint64_t CameraSupervisor::recorded_bytes() const {
  return retired_bytes_ + (pipeline_ ? pipeline_->recorded_bytes() : 0);
}

std::uint64_t CameraSupervisor::recorded_frames() const {
  return retired_frames_ + (pipeline_ ? pipeline_->recorded_frames() : 0);
}

std::uint64_t CameraSupervisor::dropped_frames() const {
  return retired_dropped_frames_ + (pipeline_ ? pipeline_->dropped_frames() : 0);
}

std::uint64_t CameraSupervisor::dropped_bytes() const {
  return retired_dropped_bytes_ + (pipeline_ ? pipeline_->dropped_bytes() : 0);
}

void CameraSupervisor::on_pipeline_failed(const pipelines::PipelineFailure& failure) {
  fail(failure.kind, failure.message);
}

void CameraSupervisor::on_pipeline_finished() {
  if (state_ == CameraState::Stopping) {
    log_->info("stopped; last segment finalised");
    finish_stopping();
    return;
  }
  // The camera ended its stream by itself: treat it like a dropped connection.
  fail(pipelines::FailureKind::Unreachable, "camera ended the stream");
}

void CameraSupervisor::on_segment_opened(const std::filesystem::path& file, std::chrono::nanoseconds running_time) {
  log_->debug("segment opened: {}", file.string());
  const auto name = catalog::parse_segment_file_name(file.filename().string());
  catalog_->segment_opened(camera_.id, file, name ? name->start : clock_.wall_now());
  open_segment_ = file;
  open_segment_start_ = running_time;
  last_segment_at_ = clock_.wall_now();
}

void CameraSupervisor::on_segment_closed(const std::filesystem::path& file, std::chrono::nanoseconds running_time) {
  log_->debug("segment closed: {}", file.string());
  if (file != open_segment_ || !pipeline_) return;
  const auto duration = std::chrono::duration_cast<std::chrono::microseconds>(running_time - open_segment_start_);
  catalog_->segment_closed(file, duration.count(), pipeline_->take_key_frames(open_segment_start_, running_time));
  last_segment_at_ = clock_.wall_now();
  open_segment_.clear();
}

void CameraSupervisor::on_clock_step(std::chrono::milliseconds step) {
  if (state_ != CameraState::Recording || !pipeline_) return;
  log_->warn("wall clock stepped by {:+.3f} s: closing the segment, starting a new recording run",
             std::chrono::duration<double>(step).count());
  pipeline_->split_now();
  catalog_->run_ended(camera_.id, clock_.wall_now(), "clock step");
}

}  // namespace recorder::camera
