#pragma once
// One camera's GStreamer pipeline: source -> depay -> parse -> framequeue -> splitmuxsink(mp4mux
// fragmented -> durablefilesink). No decoding. The source is rtsptcpsrc over TCP (rtsp_tcp_source.h),
// rtspsrc over UDP; the frame queues keep a stalled disk from stalling the camera (frame_queue.h).
// Owned by that camera's supervisor; one instance per connection attempt.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <gst/gst.h>
#include <memory>
#include <optional>
#include <string>

#include "pipelines/frame_queue.h"
#include "recorder/core/clock.h"

namespace recorder::pipelines {

// Why a pipeline failed, as far as the supervisor needs to know to choose a back-off.
enum class FailureKind {
  Authentication,  // the camera refused our credentials
  Unreachable,     // no connection, or the camera closed it
  Stream,          // the camera sent something we cannot record
  Storage,         // writing to the recording disk failed
  Other,
};

struct PipelineFailure {
  FailureKind kind = FailureKind::Other;
  std::string message;  // for the log; never contains credentials
};

// What a pipeline tells its owner. Called on the thread that runs the default GLib main context.
class PipelineListener {
 public:
  virtual ~PipelineListener() = default;
  virtual void on_pipeline_failed(const PipelineFailure& failure) = 0;
  virtual void on_pipeline_finished() = 0;  // end of stream reached after request_stop()
  // `running_time`: where the segment starts (opened) or ends (closed) on the stream's time line.
  virtual void on_segment_opened(const std::filesystem::path& file, std::chrono::nanoseconds running_time) = 0;
  virtual void on_segment_closed(const std::filesystem::path& file, std::chrono::nanoseconds running_time) = 0;
};

struct RecordingSettings {
  std::string camera_id;
  std::string url;
  bool use_tcp = true;
  std::string username;
  std::string password;  // handed to the source element only; never logged
  std::chrono::seconds segment_length{60};
  std::chrono::milliseconds fragment_length{1000};
  std::uint64_t reserve_bytes = 0;  // free space segment files must never eat into
  std::uint64_t frame_queue_bytes = default_frame_queue_bytes;  // video frames held while the disk stalls

  // Names the file of a segment that starts now; called on a streaming thread.
  std::function<std::filesystem::path(WallTime start)> segment_path;
  // Called on a background thread once the pipeline is fully torn down and its files are closed.
  std::function<void()> on_torn_down;
};

class RecordingPipeline {
 public:
  RecordingPipeline(RecordingSettings settings, const Clock& clock, PipelineListener& listener);
  ~RecordingPipeline();  // tears the pipeline down off this thread; never blocks on the camera
  RecordingPipeline(const RecordingPipeline&) = delete;
  RecordingPipeline& operator=(const RecordingPipeline&) = delete;

  // Builds and starts the pipeline; failures arrive through the listener.
  void start();
  // Asks the source for end of stream so that the open segment is finalised; on_pipeline_finished follows.
  void request_stop();
  // Closes the current segment at the next key frame and starts a new one (after a clock step).
  void split_now();
  // When video data last left the parser; nullopt before the first buffer.
  std::optional<MonotonicTime> last_video_data() const;
  // Key frames with running time in [from, to); forgets those before `from`.
  std::int64_t take_key_frames(std::chrono::nanoseconds from, std::chrono::nanoseconds to);
  // Bytes the muxer handed to this pipeline's segment files, and video frames that left the parser and
  // were not dropped, since start(). Readable from any thread.
  std::uint64_t recorded_bytes() const;
  std::uint64_t recorded_frames() const;
  // Video frames, and bytes of video and audio, that the frame queues dropped because the disk fell
  // behind, since start(). Readable from any thread.
  std::uint64_t dropped_frames() const;
  std::uint64_t dropped_bytes() const;

  struct Shared;  // state reachable from GStreamer's streaming threads

 private:
  static gboolean on_bus_message(GstBus* bus, GstMessage* message, gpointer self);

  std::shared_ptr<Shared> shared_;
  PipelineListener* listener_;
  GstElement* pipeline_ = nullptr;
  guint bus_watch_ = 0;
};

// Waits, up to `timeout`, for pipelines that are still being torn down in the background.
void wait_for_pipeline_teardowns(std::chrono::milliseconds timeout);

}  // namespace recorder::pipelines
