#include "pipelines/recording_pipeline.h"

#include <condition_variable>
#include <deque>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <thread>

#include "pipelines/frame_queue.h"
#include "pipelines/segment_dating.h"
#include "recorder/core/logging.h"

namespace recorder::pipelines {

// State that GStreamer's streaming threads reach through signal and probe callbacks. Kept alive by
// those callbacks' closures as long as the elements exist, independently of the RecordingPipeline.
struct RecordingPipeline::Shared {
  RecordingSettings settings;
  const Clock* clock = nullptr;
  std::shared_ptr<spdlog::logger> log;
  GstElement* pipeline = nullptr;  // borrowed: the pipeline owns everything reachable from here
  GstElement* splitmux = nullptr;
  std::atomic<std::int64_t> last_video_ns{-1};  // monotonic, nanoseconds since the clock's epoch
  // Counters for /metrics: written by streaming threads, read by the supervisor; no ordering needed.
  std::atomic<std::uint64_t> recorded_bytes{0};   // buffers that reached the segment-file sink
  std::atomic<std::uint64_t> recorded_frames{0};  // video buffers (one frame each) that left the parser

  // When the most recent key frames arrived (time stamp -> monotonic time), to date the segments that
  // start on them. Guarded by key_frame_mutex; written by the video streaming thread.
  std::mutex key_frame_mutex;
  std::deque<std::pair<GstClockTime, MonotonicTime>> key_frame_arrivals;
  std::deque<GstClockTime> key_frame_running_times;  // since the start of the open segment
  SegmentDating segment_dating;                       // guarded by key_frame_mutex too

  std::mutex mutex;  // guards the members below (select-stream and pad-added run on other threads)
  std::map<guint, GstPad*> chain_inputs;  // stream number -> sink pad of its depayloader (owned ref)
  bool have_video = false;
  bool have_audio = false;
  // Each stream's frame queue (borrowed: the pipeline owns them, and outlives every reader).
  GstElement* video_queue = nullptr;
  GstElement* audio_queue = nullptr;

  ~Shared() {
    for (auto& [number, pad] : chain_inputs) gst_object_unref(pad);
  }
};

namespace {

using Shared = RecordingPipeline::Shared;
using SharedRef = std::shared_ptr<Shared>;

// --- background teardown: set_state(NULL) can wait on the network; it must never block the loop ----
std::mutex teardown_mutex;
std::condition_variable teardown_done;
int teardowns_running = 0;

void tear_down_in_background(GstElement* pipeline, std::function<void()> on_torn_down) {
  {
    std::lock_guard lock(teardown_mutex);
    ++teardowns_running;
  }
  std::thread([pipeline, on_torn_down = std::move(on_torn_down)] {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    if (on_torn_down) on_torn_down();
    std::lock_guard lock(teardown_mutex);
    --teardowns_running;
    teardown_done.notify_all();
  }).detach();
}

// --- helpers ------------------------------------------------------------------------------------
// Elements get fixed names (unique within their pipeline), so that the same failure reads the same at
// every attempt and the supervisor can tell a repeated failure from a new one.
GstElement* make(const char* factory, const char* name = nullptr) {
  GstElement* element = gst_element_factory_make(factory, name);
  if (element == nullptr) throw std::runtime_error(fmt::format("GStreamer element '{}' is not installed", factory));
  return element;
}

// Callback user data: a heap copy of the shared pointer, freed when GStreamer drops the callback.
gpointer hold(const SharedRef& shared) { return new SharedRef(shared); }
void release(gpointer data) { delete static_cast<SharedRef*>(data); }
const SharedRef& shared_of(gpointer data) { return *static_cast<SharedRef*>(data); }

template <typename Callback>
void connect_shared(GstElement* element, const char* signal, Callback callback, const SharedRef& shared) {
  g_signal_connect_data(element, signal, G_CALLBACK(callback), hold(shared),
                        [](gpointer data, GClosure*) { release(data); }, GConnectFlags(0));
}

std::int64_t nanoseconds(MonotonicTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// --- streaming-thread callbacks -----------------------------------------------------------------
void note_key_frame(Shared& shared, const GstSegment* segment, GstBuffer* buffer) {
  if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT)) return;
  std::lock_guard lock(shared.key_frame_mutex);
  const GstClockTime timestamp = GST_BUFFER_DTS_OR_PTS(buffer);
  shared.key_frame_arrivals.emplace_back(timestamp, shared.clock->monotonic_now());
  if (segment != nullptr) {
    const GstClockTime running = gst_segment_to_running_time(segment, GST_FORMAT_TIME, timestamp);
    if (GST_CLOCK_TIME_IS_VALID(running)) shared.key_frame_running_times.push_back(running);
  }
  // A segment is named when splitmuxsink starts it, at most a GOP or two after its key frame arrived.
  while (shared.key_frame_arrivals.size() > 16) shared.key_frame_arrivals.pop_front();
}

GstPadProbeReturn on_video_data(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  Shared& shared = *shared_of(data);
  shared.last_video_ns.store(nanoseconds(shared.clock->monotonic_now()), std::memory_order_relaxed);
  GstEvent* segment_event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  const GstSegment* segment = nullptr;
  if (segment_event != nullptr) gst_event_parse_segment(segment_event, &segment);
  if (GstBuffer* buffer = gst_pad_probe_info_get_buffer(info)) {
    note_key_frame(shared, segment, buffer);
    shared.recorded_frames.fetch_add(1, std::memory_order_relaxed);
  } else if (GstBufferList* list = gst_pad_probe_info_get_buffer_list(info)) {
    const guint length = gst_buffer_list_length(list);
    for (guint i = 0; i < length; ++i) note_key_frame(shared, segment, gst_buffer_list_get(list, i));
    shared.recorded_frames.fetch_add(length, std::memory_order_relaxed);
  }
  if (segment_event != nullptr) gst_event_unref(segment_event);
  return GST_PAD_PROBE_OK;
}

// Counts what the muxer hands to the file sink. splitmuxsink keeps one sink for all segments, so one
// probe sees every file; the sink refuses seeks, so the files only grow by these buffers. (A buffer the
// sink refuses for the space reserve is counted too; that failure ends the pipeline.)
GstPadProbeReturn on_file_data(GstPad*, GstPadProbeInfo* info, gpointer data) {
  Shared& shared = *shared_of(data);
  std::uint64_t bytes = 0;
  if (GstBuffer* buffer = gst_pad_probe_info_get_buffer(info)) {
    bytes = gst_buffer_get_size(buffer);
  } else if (GstBufferList* list = gst_pad_probe_info_get_buffer_list(info)) {
    bytes = gst_buffer_list_calculate_size(list);
  }
  shared.recorded_bytes.fetch_add(bytes, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

// Links a chain's parser to its muxer pad through a frame queue (frame_queue.h), a thread of its own
// that the source thread never waits for: not while the disk stalls, and not while splitmuxsink holds
// this stream back until the other stream's GOP is in (with two streams over TCP, both arrive on the
// source's one thread, which would otherwise wait for data only it can deliver). Audio is a few kB/s:
// an eighth of the video's bound holds it far longer than the video's.
GstElement* link_to_muxer(Shared& shared, GstPad* output, GstPad* mux_pad, bool video) {
  GstElement* queue = make("framequeue", video ? "video-queue" : "audio-queue");
  const std::uint64_t bound = shared.settings.frame_queue_bytes;
  g_object_set(queue, "max-bytes", guint64(video ? bound : bound / 8), nullptr);
  gst_bin_add(GST_BIN(shared.pipeline), queue);
  GstPad* queue_input = gst_element_get_static_pad(queue, "sink");
  GstPad* queue_output = gst_element_get_static_pad(queue, "src");
  gst_pad_link(output, queue_input);
  gst_pad_link(queue_output, mux_pad);
  gst_object_unref(queue_input);
  gst_object_unref(queue_output);
  gst_element_sync_state_with_parent(queue);
  return queue;
}

// Builds depay -> parse for one stream, links it to a new splitmuxsink pad, returns the chain's input.
GstPad* build_chain(const SharedRef& shared, const char* depay_name, const char* parse_name, bool video) {
  GstElement* depay = make(depay_name);
  GstElement* parse = make(parse_name);
  gst_bin_add_many(GST_BIN(shared->pipeline), depay, parse, nullptr);
  gst_element_link(depay, parse);
  GstPad* mux_pad = gst_element_request_pad_simple(shared->splitmux, video ? "video" : "audio_%u");
  GstPad* parse_src = gst_element_get_static_pad(parse, "src");
  (video ? shared->video_queue : shared->audio_queue) = link_to_muxer(*shared, parse_src, mux_pad, video);
  if (video) {
    gst_pad_add_probe(parse_src, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                      on_video_data, hold(shared), release);
  }
  gst_object_unref(parse_src);
  gst_object_unref(mux_pad);
  gst_element_sync_state_with_parent(parse);
  gst_element_sync_state_with_parent(depay);
  return gst_element_get_static_pad(depay, "sink");
}

// The source asks, for each stream of the camera's SDP, whether to set it up. We take the first H.264 or
// H.265 video and the first AAC audio, and build their chains now, before any data flows, so that the
// muxer knows all its inputs from the start.
gboolean on_select_stream(GstElement*, guint number, GstCaps* caps, gpointer data) {
  const SharedRef& shared = shared_of(data);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const std::string media = gst_structure_get_string(s, "media") ? gst_structure_get_string(s, "media") : "";
  const std::string encoding =
      gst_structure_get_string(s, "encoding-name") ? gst_structure_get_string(s, "encoding-name") : "";
  std::lock_guard lock(shared->mutex);
  GstPad* input = nullptr;
  if (media == "video" && !shared->have_video && (encoding == "H264" || encoding == "H265")) {
    const bool h264 = encoding == "H264";
    input = build_chain(shared, h264 ? "rtph264depay" : "rtph265depay", h264 ? "h264parse" : "h265parse", true);
    shared->have_video = true;
  } else if (media == "audio" && !shared->have_audio && encoding == "MPEG4-GENERIC") {
    input = build_chain(shared, "rtpmp4gdepay", "aacparse", false);
    shared->have_audio = true;
  } else if (media == "audio" && !shared->have_audio && encoding == "MP4A-LATM") {
    input = build_chain(shared, "rtpmp4adepay", "aacparse", false);
    shared->have_audio = true;
  }
  if (input == nullptr) {
    shared->log->warn("not recording stream {} ({} {}): only H.264/H.265 video and AAC audio are recorded",
                      number, media, encoding);
    return FALSE;
  }
  shared->log->debug("recording stream {} ({} {})", number, media, encoding);
  shared->chain_inputs[number] = input;
  return TRUE;
}

// Source pads (rtspsrc's and rtsptcpsrc's) are named recv_rtp_src_<stream>_<ssrc>_<pt>: link each to the
// chain built for its stream.
void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  const SharedRef& shared = shared_of(data);
  gchar* name = gst_pad_get_name(pad);
  guint number = 0;
  const bool parsed = sscanf(name, "recv_rtp_src_%u_", &number) == 1;
  g_free(name);
  if (!parsed) return;
  std::lock_guard lock(shared->mutex);
  auto it = shared->chain_inputs.find(number);
  if (it == shared->chain_inputs.end() || gst_pad_is_linked(it->second)) return;
  if (gst_pad_link(pad, it->second) != GST_PAD_LINK_OK) shared->log->warn("could not link stream {}", number);
}

void on_no_more_pads(GstElement* source, gpointer data) {
  const SharedRef& shared = shared_of(data);
  std::lock_guard lock(shared->mutex);
  if (!shared->have_video) {
    GST_ELEMENT_ERROR(source, STREAM, CODEC_NOT_FOUND, ("The camera offers no H.264 or H.265 video."), (nullptr));
  }
}

// splitmuxsink names a file only after it has collected a whole GOP, seconds after its first frame:
// the name must say when the footage starts, so look up when that key frame arrived.
// The key frame's age is measured on the monotonic clock and subtracted from the wall clock now, so
// that a segment named after a wall-clock step is dated by the corrected clock. SegmentDating then
// keeps consecutive segments on the stream's own time line (segment_dating.h says why).
gchar* on_format_location(GstElement*, guint, GstSample* first_sample, gpointer data) {
  const SharedRef& shared = shared_of(data);
  const WallTime now = shared->clock->wall_now();
  const MonotonicTime monotonic_now = shared->clock->monotonic_now();
  WallTime start = now;
  GstBuffer* first = first_sample ? gst_sample_get_buffer(first_sample) : nullptr;
  const GstClockTime position = first != nullptr ? GST_BUFFER_DTS_OR_PTS(first) : GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(position)) {
    std::lock_guard lock(shared->key_frame_mutex);
    std::optional<WallTime> arrival;
    for (const auto& [timestamp, arrived] : shared->key_frame_arrivals)
      if (timestamp == position) arrival = now - std::chrono::duration_cast<WallTime::duration>(monotonic_now - arrived);
    start = shared->segment_dating.date(std::chrono::nanoseconds(position), arrival, now);
  }
  return g_strdup(shared->settings.segment_path(start).c_str());
}

// Over TCP the lean rtsptcpsrc (rtsp_tcp_source.h says why); over UDP rtspsrc, whose jitter buffer
// puts packets back in order. Both say a dead camera in 5 s (microseconds below), not rtspsrc's 20.
GstElement* make_camera_source(const RecordingSettings& s) {
  GstElement* source = make(s.use_tcp ? "rtsptcpsrc" : "rtspsrc", "camera");
  g_object_set(source, "location", s.url.c_str(), "timeout", guint64(5'000'000), nullptr);
  if (!s.use_tcp) {
    // buffer-mode none: time stamps follow the camera's RTP clock exactly, without the receiver's skew
    // correction, whose resets can make them step back (which the muxer rejects).
    gst_util_set_object_arg(G_OBJECT(source), "buffer-mode", "none");
    gst_util_set_object_arg(G_OBJECT(source), "protocols", "udp");
    g_object_set(source, "latency", 500u, nullptr);
  }
  if (!s.username.empty()) g_object_set(source, "user-id", s.username.c_str(), nullptr);
  if (!s.password.empty()) g_object_set(source, "user-pw", s.password.c_str(), nullptr);
  return source;
}

// --- bus: runs on the default main context ------------------------------------------------------
PipelineFailure classify(GstMessage* message, const SharedRef& shared) {
  GError* error = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  PipelineFailure failure;
  const char* source = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
  failure.message = fmt::format("{}: {}", source, error->message);
  if (debug != nullptr) {
    // The debug text ends with the element's own explanation ("Decreasing DTS value", "Unauthorized").
    std::string detail = debug;
    const auto last_line = detail.find_last_of('\n');
    if (last_line != std::string::npos) detail = detail.substr(last_line + 1);
    if (!detail.empty() && detail.size() < 300) failure.message += " (" + detail + ")";
    shared->log->debug("error detail: {}", debug);
  }
  const bool from_storage = GST_MESSAGE_SRC(message) &&
      g_str_has_prefix(G_OBJECT_TYPE_NAME(GST_MESSAGE_SRC(message)), "DurableFileSink");
  if (from_storage) {
    failure.kind = FailureKind::Storage;
  } else if (error->domain == GST_RESOURCE_ERROR) {
    failure.kind = error->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED ? FailureKind::Authentication
                                                                     : FailureKind::Unreachable;
  } else if (error->domain == GST_STREAM_ERROR) {
    failure.kind = FailureKind::Stream;
  }
  g_error_free(error);
  g_free(debug);
  return failure;
}

}  // namespace

RecordingPipeline::RecordingPipeline(RecordingSettings settings, const Clock& clock, PipelineListener& listener)
    : shared_(std::make_shared<Shared>()), listener_(&listener) {
  shared_->settings = std::move(settings);
  shared_->clock = &clock;
  shared_->log = component_logger("camera " + shared_->settings.camera_id);
}

RecordingPipeline::~RecordingPipeline() {
  if (bus_watch_ != 0) g_source_remove(bus_watch_);
  if (pipeline_ != nullptr) tear_down_in_background(pipeline_, shared_->settings.on_torn_down);
}

void RecordingPipeline::start() {
  const RecordingSettings& s = shared_->settings;
  pipeline_ = gst_pipeline_new(("camera-" + s.camera_id).c_str());
  shared_->pipeline = pipeline_;

  GstElement* source = make_camera_source(s);

  GstElement* muxer = make("mp4mux", "muxer");
  // Fragmented MP4: a file cut short by a power loss plays up to its last complete fragment.
  g_object_set(muxer, "fragment-duration", guint(s.fragment_length.count()), nullptr);
  shared_->splitmux = make("splitmuxsink", "segmenter");
  GstElement* sink = make("durablefilesink", "segment-file");
  g_object_set(sink, "reserve-bytes", guint64(s.reserve_bytes), nullptr);
  GstPad* sink_input = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(sink_input, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    on_file_data, hold(shared_), release);
  gst_object_unref(sink_input);
  g_object_set(shared_->splitmux, "muxer", muxer, "sink", sink,
               "max-size-time", guint64(std::chrono::nanoseconds(s.segment_length).count()),
               "send-keyframe-requests", FALSE, nullptr);

  gst_bin_add_many(GST_BIN(pipeline_), source, shared_->splitmux, nullptr);
  connect_shared(source, "select-stream", on_select_stream, shared_);
  connect_shared(source, "pad-added", on_pad_added, shared_);
  connect_shared(source, "no-more-pads", on_no_more_pads, shared_);
  connect_shared(shared_->splitmux, "format-location-full", on_format_location, shared_);

  GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline_));
  bus_watch_ = gst_bus_add_watch(bus, &RecordingPipeline::on_bus_message, this);
  gst_object_unref(bus);

  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // The error message on the bus carries the reason; it reaches the listener from the loop.
    shared_->log->debug("pipeline refused to start");
  }
}

void RecordingPipeline::request_stop() {
  if (pipeline_ != nullptr) gst_element_send_event(pipeline_, gst_event_new_eos());
}

void RecordingPipeline::split_now() {
  {
    std::lock_guard lock(shared_->key_frame_mutex);
    shared_->segment_dating.restart();  // the wall clock stepped: date the next segment by the new clock
  }
  if (shared_->splitmux != nullptr) g_signal_emit_by_name(shared_->splitmux, "split-now");
}

std::int64_t RecordingPipeline::take_key_frames(std::chrono::nanoseconds from, std::chrono::nanoseconds to) {
  std::lock_guard lock(shared_->key_frame_mutex);
  auto& times = shared_->key_frame_running_times;
  while (!times.empty() && times.front() < static_cast<GstClockTime>(from.count())) times.pop_front();
  std::int64_t count = 0;
  for (const GstClockTime t : times)
    if (t < static_cast<GstClockTime>(to.count())) ++count;
  return count;
}

std::optional<MonotonicTime> RecordingPipeline::last_video_data() const {
  const std::int64_t ns = shared_->last_video_ns.load(std::memory_order_relaxed);
  if (ns < 0) return std::nullopt;
  return MonotonicTime(std::chrono::duration_cast<MonotonicTime::duration>(std::chrono::nanoseconds(ns)));
}

std::uint64_t RecordingPipeline::recorded_bytes() const {
  return shared_->recorded_bytes.load(std::memory_order_relaxed);
}

std::uint64_t RecordingPipeline::recorded_frames() const {
  const std::uint64_t dropped = dropped_frames();  // first: every frame dropped was counted before
  return shared_->recorded_frames.load(std::memory_order_relaxed) - dropped;
}

std::uint64_t RecordingPipeline::dropped_frames() const {
  std::lock_guard lock(shared_->mutex);
  return frame_queue_drops(shared_->video_queue).frames;
}

std::uint64_t RecordingPipeline::dropped_bytes() const {
  std::lock_guard lock(shared_->mutex);
  return frame_queue_drops(shared_->video_queue).bytes + frame_queue_drops(shared_->audio_queue).bytes;
}

gboolean RecordingPipeline::on_bus_message(GstBus*, GstMessage* message, gpointer data) {
  auto* self = static_cast<RecordingPipeline*>(data);
  // The listener may destroy this pipeline: call it last and touch nothing of `self` afterwards.
  PipelineListener* listener = self->listener_;
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      const PipelineFailure failure = classify(message, self->shared_);
      listener->on_pipeline_failed(failure);
      break;
    }
    case GST_MESSAGE_WARNING: {
      // Why a stream ended by itself (the camera hung up, said goodbye): EOS follows.
      GError* error = nullptr;
      gst_message_parse_warning(message, &error, nullptr);
      self->shared_->log->warn("{}: {}", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), error->message);
      g_error_free(error);
      break;
    }
    case GST_MESSAGE_EOS:
      listener->on_pipeline_finished();
      break;
    case GST_MESSAGE_ELEMENT: {
      if (const auto notice = read_frame_queue_notice(message)) {
        self->shared_->log->warn(describe(*notice, GST_OBJECT_NAME(GST_MESSAGE_SRC(message))));
        break;
      }
      const GstStructure* s = gst_message_get_structure(message);
      const char* location = s ? gst_structure_get_string(s, "location") : nullptr;
      guint64 running_time = 0;
      if (location == nullptr || !gst_structure_get_uint64(s, "running-time", &running_time)) break;
      const std::chrono::nanoseconds at(running_time);
      if (gst_structure_has_name(s, "splitmuxsink-fragment-opened")) listener->on_segment_opened(location, at);
      else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed")) listener->on_segment_closed(location, at);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

void wait_for_pipeline_teardowns(std::chrono::milliseconds timeout) {
  std::unique_lock lock(teardown_mutex);
  teardown_done.wait_for(lock, timeout, [] { return teardowns_running == 0; });
}

}  // namespace recorder::pipelines
