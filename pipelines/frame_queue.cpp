#include "pipelines/frame_queue.h"

#include <condition_variable>
#include <fmt/format.h>
#include <mutex>

#include "pipelines/frame_backlog.h"

namespace recorder::pipelines {
namespace {

// The element's C++ state; the GObject instance holds a pointer to it.
struct QueueState {
  explicit QueueState(std::uint64_t max_bytes) : backlog(max_bytes) {}
  std::mutex mutex;                    // guards everything below; never held while pushing downstream
  std::condition_variable items_ready;  // the task waits on it while the backlog is empty
  FrameBacklog backlog;
  bool flushing = true;                // pads inactive, or between flush-start and flush-stop
  bool task_waiting = false;           // the upstream side signals only then
  bool eos_queued = false;             // upstream will send nothing more
  GstFlowReturn downstream = GST_FLOW_OK;  // what the muxer last answered, handed to upstream
  // The episode of dropping in progress: the drop counts and the clock when it started.
  bool dropping = false;
  FrameQueueDrops before_episode;
  GstClockTime episode_start = GST_CLOCK_TIME_NONE;
};

struct FrameQueue {
  GstElement parent;
  GstPad* sink;
  GstPad* src;
  QueueState* state;
};

struct FrameQueueClass {
  GstElementClass parent_class;
};

enum { PROP_0, PROP_MAX_BYTES, PROP_CURRENT_BYTES, PROP_DROPPED_FRAMES, PROP_DROPPED_BYTES };

constexpr const char* overflow_name = "frame-queue-overflow";
constexpr const char* drained_name = "frame-queue-drained";

GType frame_queue_get_type();
#define FRAME_QUEUE(obj) (reinterpret_cast<FrameQueue*>(obj))

G_DEFINE_TYPE(FrameQueue, frame_queue, GST_TYPE_ELEMENT)

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

GstClockTime clock_now(FrameQueue* self) {
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  if (clock == nullptr) return GST_CLOCK_TIME_NONE;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  return now;
}

void post_notice(FrameQueue* self, const char* name, FrameQueueDrops drops, GstClockTime elapsed,
                 std::uint64_t max_bytes) {
  GstStructure* s = gst_structure_new(name, "frames", G_TYPE_UINT64, drops.frames, "bytes", G_TYPE_UINT64,
                                      drops.bytes, "max-bytes", G_TYPE_UINT64, max_bytes, nullptr);
  if (GST_CLOCK_TIME_IS_VALID(elapsed)) gst_structure_set(s, "duration", G_TYPE_UINT64, elapsed, nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

FrameQueueDrops drops_of(const FrameBacklog& backlog) { return {backlog.dropped_frames(), backlog.dropped_bytes()}; }

// Ends the episode of dropping, if any: what it dropped, and since when. Called with the mutex held.
struct EpisodeEnd {
  FrameQueueDrops drops;
  GstClockTime started;
  std::uint64_t max_bytes;
};
std::optional<EpisodeEnd> end_episode(QueueState& s) {
  if (!s.dropping) return std::nullopt;
  s.dropping = false;
  const FrameQueueDrops now = drops_of(s.backlog);
  return EpisodeEnd{{now.frames - s.before_episode.frames, now.bytes - s.before_episode.bytes}, s.episode_start,
                    s.backlog.max_bytes()};
}

void post_drained(FrameQueue* self, const EpisodeEnd& end) {
  const GstClockTime now = clock_now(self);
  const bool timed = GST_CLOCK_TIME_IS_VALID(now) && GST_CLOCK_TIME_IS_VALID(end.started);
  post_notice(self, drained_name, end.drops, timed ? now - end.started : GST_CLOCK_TIME_NONE, end.max_bytes);
}

// A fatal answer from downstream after upstream has sent its last event: nobody upstream will see it,
// so say it here (as queue does) and end the stream.
void report_flow_after_eos(FrameQueue* self, GstFlowReturn flow) {
  if (flow != GST_FLOW_NOT_LINKED && flow >= GST_FLOW_EOS) return;
  GST_ELEMENT_FLOW_ERROR(self, flow);
  gst_pad_push_event(self->src, gst_event_new_eos());
}

// The task: one item per call, from the backlog to the muxer.
void push_next(gpointer data) {
  auto* self = static_cast<FrameQueue*>(data);
  QueueState& s = *self->state;
  GstMiniObject* item = nullptr;
  std::optional<EpisodeEnd> drained;
  {
    std::unique_lock lock(s.mutex);
    while (s.backlog.empty() && !s.flushing) {
      s.task_waiting = true;
      s.items_ready.wait(lock);
      s.task_waiting = false;
    }
    if (s.flushing) {
      lock.unlock();
      gst_pad_pause_task(self->src);
      return;
    }
    item = s.backlog.pop();
    const bool eos = GST_IS_EVENT(item) && GST_EVENT_TYPE(item) == GST_EVENT_EOS;
    if (eos || s.backlog.bytes() <= s.backlog.max_bytes() / 2) drained = end_episode(s);
  }
  if (drained) post_drained(self, *drained);
  if (GST_IS_EVENT(item)) {
    gst_pad_push_event(self->src, GST_EVENT_CAST(item));
    return;
  }
  const GstFlowReturn flow = gst_pad_push(self->src, GST_BUFFER_CAST(item));
  if (flow == GST_FLOW_OK) return;
  bool after_eos = false;
  {
    std::lock_guard lock(s.mutex);
    if (s.flushing) return;  // the flush pauses the task
    s.downstream = flow;     // upstream gets it with its next frame
    after_eos = s.eos_queued;
  }
  if (after_eos) report_flow_after_eos(self, flow);
  gst_pad_pause_task(self->src);
}

GstFlowReturn chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  auto* self = FRAME_QUEUE(parent);
  QueueState& s = *self->state;
  bool wake = false;
  bool overflowed = false;
  std::uint64_t max_bytes = 0;
  {
    std::lock_guard lock(s.mutex);
    if (s.flushing || s.downstream != GST_FLOW_OK) {
      gst_buffer_unref(buffer);
      return s.flushing ? GST_FLOW_FLUSHING : s.downstream;
    }
    const FrameQueueDrops before = drops_of(s.backlog);
    s.backlog.push_frame(buffer);
    if (!s.dropping && s.backlog.dropped_frames() != before.frames) {
      s.dropping = overflowed = true;
      s.before_episode = before;
      s.episode_start = clock_now(self);
      max_bytes = s.backlog.max_bytes();
    }
    wake = s.task_waiting;
  }
  if (wake) s.items_ready.notify_one();
  if (overflowed) post_notice(self, overflow_name, {}, GST_CLOCK_TIME_NONE, max_bytes);
  return GST_FLOW_OK;
}

gboolean flush_start(FrameQueue* self, GstEvent* event) {
  {
    std::lock_guard lock(self->state->mutex);
    self->state->flushing = true;
  }
  self->state->items_ready.notify_one();
  const gboolean forwarded = gst_pad_push_event(self->src, event);  // unblocks a push in progress
  gst_pad_pause_task(self->src);
  return forwarded;
}

gboolean flush_stop(FrameQueue* self, GstEvent* event) {
  {
    std::lock_guard lock(self->state->mutex);
    self->state->backlog.clear();
    self->state->flushing = false;
    self->state->eos_queued = false;
    self->state->downstream = GST_FLOW_OK;
  }
  const gboolean forwarded = gst_pad_push_event(self->src, event);
  gst_pad_start_task(self->src, push_next, self, nullptr);
  return forwarded;
}

gboolean sink_event(GstPad*, GstObject* parent, GstEvent* event) {
  auto* self = FRAME_QUEUE(parent);
  QueueState& s = *self->state;
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_START) return flush_start(self, event);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) return flush_stop(self, event);
  if (!GST_EVENT_IS_SERIALIZED(event)) return gst_pad_push_event(self->src, event);
  bool wake = false;
  {
    std::lock_guard lock(s.mutex);
    if (s.flushing || s.downstream != GST_FLOW_OK) {
      // A sticky event after a failure is no error of its own: the failure is reported with the data.
      const bool ignorable = !s.flushing && GST_EVENT_IS_STICKY(event) && GST_EVENT_TYPE(event) != GST_EVENT_EOS;
      gst_event_unref(event);
      return ignorable;
    }
    if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) s.eos_queued = true;
    s.backlog.push_event(event);
    wake = s.task_waiting;
  }
  if (wake) s.items_ready.notify_one();
  return TRUE;
}

gboolean sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  if (GST_QUERY_IS_SERIALIZED(query)) return FALSE;  // see frame_queue.h
  return gst_pad_query_default(pad, parent, query);
}

gboolean src_activate_mode(GstPad* pad, GstObject* parent, GstPadMode mode, gboolean active) {
  if (mode != GST_PAD_MODE_PUSH) return FALSE;
  auto* self = FRAME_QUEUE(parent);
  QueueState& s = *self->state;
  if (active) {
    {
      std::lock_guard lock(s.mutex);
      s.flushing = false;
      s.eos_queued = false;
      s.downstream = GST_FLOW_OK;
    }
    return gst_pad_start_task(pad, push_next, self, nullptr);
  }
  {
    std::lock_guard lock(s.mutex);
    s.flushing = true;
  }
  s.items_ready.notify_one();
  const gboolean stopped = gst_pad_stop_task(pad);
  std::lock_guard lock(s.mutex);
  s.backlog.clear();
  s.dropping = false;
  return stopped;
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  QueueState& s = *FRAME_QUEUE(object)->state;
  if (id != PROP_MAX_BYTES) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
    return;
  }
  std::lock_guard lock(s.mutex);
  s.backlog.set_max_bytes(g_value_get_uint64(value));
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  QueueState& s = *FRAME_QUEUE(object)->state;
  std::lock_guard lock(s.mutex);
  switch (id) {
    case PROP_MAX_BYTES: g_value_set_uint64(value, s.backlog.max_bytes()); break;
    case PROP_CURRENT_BYTES: g_value_set_uint64(value, s.backlog.bytes()); break;
    case PROP_DROPPED_FRAMES: g_value_set_uint64(value, s.backlog.dropped_frames()); break;
    case PROP_DROPPED_BYTES: g_value_set_uint64(value, s.backlog.dropped_bytes()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void finalize(GObject* object) {
  delete FRAME_QUEUE(object)->state;
  G_OBJECT_CLASS(frame_queue_parent_class)->finalize(object);
}

void install_uint64(GObjectClass* klass, guint id, const char* name, const char* blurb, bool writable,
                    guint64 initial) {
  const auto flags = static_cast<GParamFlags>((writable ? G_PARAM_READWRITE : G_PARAM_READABLE) |
                                              G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(klass, id, g_param_spec_uint64(name, name, blurb, 0, G_MAXUINT64, initial, flags));
}

void frame_queue_class_init(FrameQueueClass* klass) {
  auto* object_class = G_OBJECT_CLASS(klass);
  object_class->set_property = set_property;
  object_class->get_property = get_property;
  object_class->finalize = finalize;
  install_uint64(object_class, PROP_MAX_BYTES, "max-bytes", "Bytes of frames held before dropping some", true,
                 default_frame_queue_bytes);
  install_uint64(object_class, PROP_CURRENT_BYTES, "current-bytes", "Bytes of frames held now", false, 0);
  install_uint64(object_class, PROP_DROPPED_FRAMES, "dropped-frames", "Frames dropped since creation", false, 0);
  install_uint64(object_class, PROP_DROPPED_BYTES, "dropped-bytes", "Bytes of frames dropped since creation", false,
                 0);

  auto* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_set_static_metadata(element_class, "Frame queue", "Generic",
                                        "Hands frames to a thread of its own; bounded, drops the oldest delta "
                                        "frames first; upstream never waits",
                                        "onboard recorder");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
}

void frame_queue_init(FrameQueue* self) {
  self->state = new QueueState(default_frame_queue_bytes);
  self->sink = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sink, chain);
  gst_pad_set_event_function(self->sink, sink_event);
  gst_pad_set_query_function(self->sink, sink_query);
  GST_PAD_SET_PROXY_CAPS(self->sink);
  gst_element_add_pad(GST_ELEMENT(self), self->sink);
  self->src = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_activatemode_function(self->src, src_activate_mode);
  GST_PAD_SET_PROXY_CAPS(self->src);
  gst_element_add_pad(GST_ELEMENT(self), self->src);
}

}  // namespace

void register_frame_queue() {
  gst_element_register(nullptr, "framequeue", GST_RANK_NONE, frame_queue_get_type());
}

FrameQueueDrops frame_queue_drops(GstElement* element) {
  if (element == nullptr || !G_TYPE_CHECK_INSTANCE_TYPE(element, frame_queue_get_type())) return {};
  QueueState& s = *FRAME_QUEUE(element)->state;
  std::lock_guard lock(s.mutex);
  return drops_of(s.backlog);
}

std::optional<FrameQueueNotice> read_frame_queue_notice(GstMessage* message) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT) return std::nullopt;
  const GstStructure* s = gst_message_get_structure(message);
  if (s == nullptr) return std::nullopt;
  FrameQueueNotice notice;
  notice.drained = gst_structure_has_name(s, drained_name);
  if (!notice.drained && !gst_structure_has_name(s, overflow_name)) return std::nullopt;
  guint64 duration = 0;
  gst_structure_get_uint64(s, "frames", &notice.drops.frames);
  gst_structure_get_uint64(s, "bytes", &notice.drops.bytes);
  gst_structure_get_uint64(s, "max-bytes", &notice.max_bytes);
  if (gst_structure_get_uint64(s, "duration", &duration)) notice.seconds = static_cast<double>(duration) / GST_SECOND;
  return notice;
}

std::string describe(const FrameQueueNotice& notice, const std::string& queue_name) {
  constexpr double mib = 1 << 20;
  if (!notice.drained)
    return fmt::format("{} full ({:.1f} MiB): the disk is not keeping up; dropping frames, oldest delta frames first",
                       queue_name, static_cast<double>(notice.max_bytes) / mib);
  return fmt::format("{} drained: dropped {} frames ({:.1f} MiB) in {:.1f} s", queue_name, notice.drops.frames,
                     static_cast<double>(notice.drops.bytes) / mib, notice.seconds);
}

}  // namespace recorder::pipelines
