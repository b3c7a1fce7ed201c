// The `framequeue` element between a test's source pad and a fakesink whose input the test can hold,
// like a muxer stuck behind a stalled disk. Frames carry their names ("K1" key, "D1.3" delta) as
// payload, so that what reached the sink reads as a list of names ("K2!" arrived marked DISCONT).

#include "pipelines/frame_queue.h"

#include <condition_variable>
#include <cstring>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// The fakesink's input: logs every buffer and event in arrival order; holds buffers while closed.
class HeldSink {
 public:
  explicit HeldSink(GstPad* pad) {
    gst_pad_add_probe(pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM), on_data,
                      this, nullptr);
  }
  void close() { set_open(false); }
  void open() { set_open(true); }
  // Waits until `count` entries have arrived (the last of them possibly still held); false on timeout.
  bool wait_for_entries(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return log_.size() >= count; });
  }
  bool wait_for_eos() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return !log_.empty() && log_.back() == "eos"; });
  }
  std::vector<std::string> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  void set_open(bool open) {
    std::lock_guard lock(mutex_);
    open_ = open;
    changed_.notify_all();
  }

  static GstPadProbeReturn on_data(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<HeldSink*>(data);
    std::unique_lock lock(self->mutex_);
    if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
      GstBuffer* buffer = gst_pad_probe_info_get_buffer(info);
      char name[16] = {};
      gst_buffer_extract(buffer, 0, name, sizeof name - 1);
      self->log_.push_back(std::string(name) + (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DISCONT) ? "!" : ""));
      self->changed_.notify_all();
      self->changed_.wait(lock, [&] { return self->open_; });
    } else {
      GstEvent* event = gst_pad_probe_info_get_event(info);
      const GstStructure* s = gst_event_get_structure(event);
      self->log_.push_back(GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_DOWNSTREAM && s ? gst_structure_get_name(s)
                                                                                     : GST_EVENT_TYPE_NAME(event));
      self->changed_.notify_all();
    }
    return GST_PAD_PROBE_OK;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  std::vector<std::string> log_;
};

// framequeue ! fakesink in a playing pipeline, fed from a pad of the test's own.
class FrameQueueRig {
 public:
  explicit FrameQueueRig(std::uint64_t max_bytes) {
    gst_init(nullptr, nullptr);
    recorder::pipelines::register_frame_queue();
    pipeline_ = gst_parse_launch("framequeue name=queue ! fakesink name=out sync=false async=false", nullptr);
    queue_ = gst_bin_get_by_name(GST_BIN(pipeline_), "queue");
    g_object_set(queue_, "max-bytes", guint64(max_bytes), nullptr);
    GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline_), "out");
    GstPad* out_pad = gst_element_get_static_pad(out, "sink");
    sink_ = std::make_unique<HeldSink>(out_pad);
    gst_object_unref(out_pad);
    gst_object_unref(out);
    source_ = gst_pad_new("source", GST_PAD_SRC);
    GstPad* queue_input = gst_element_get_static_pad(queue_, "sink");
    gst_pad_link(source_, queue_input);
    gst_object_unref(queue_input);
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    gst_pad_set_active(source_, TRUE);
    gst_pad_push_event(source_, gst_event_new_stream_start("frames"));
    send_caps("video/x-h264");
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(source_, gst_event_new_segment(&segment));
  }
  ~FrameQueueRig() {
    sink_->open();
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(source_);
    gst_object_unref(queue_);
    gst_object_unref(pipeline_);
  }

  HeldSink& sink() { return *sink_; }
  // Pushes a frame named `name` ("K..." for a key frame) of `size` bytes; returns what the queue answered.
  GstFlowReturn push(const std::string& name, std::size_t size) {
    GstBuffer* buffer = gst_buffer_new_allocate(nullptr, size, nullptr);
    gst_buffer_memset(buffer, 0, 0, size);
    gst_buffer_fill(buffer, 0, name.data(), name.size());
    GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) = pushed_++ * 40 * GST_MSECOND;
    if (name[0] != 'K') GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    const GstFlowReturn flow = gst_pad_push(source_, buffer);
    largest_level_ = std::max(largest_level_, property("current-bytes"));
    return flow;
  }
  // A group of pictures: key frame "K<gop>" and `deltas` delta frames "D<gop>.<n>".
  void push_gop(int gop, int deltas, std::size_t key_size, std::size_t delta_size) {
    EXPECT_EQ(push("K" + std::to_string(gop), key_size), GST_FLOW_OK);
    for (int n = 1; n <= deltas; ++n)
      EXPECT_EQ(push("D" + std::to_string(gop) + "." + std::to_string(n), delta_size), GST_FLOW_OK);
  }
  void send_marker(const char* name) {
    gst_pad_push_event(source_, gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_new_empty(name)));
  }
  void send_caps(const char* caps_text) {
    GstCaps* caps = gst_caps_from_string(caps_text);
    gst_pad_push_event(source_, gst_event_new_caps(caps));
    gst_caps_unref(caps);
  }
  void send_eos() { gst_pad_push_event(source_, gst_event_new_eos()); }
  std::uint64_t property(const char* name) const {
    guint64 value = 0;
    g_object_get(queue_, name, &value, nullptr);
    return value;
  }
  std::uint64_t largest_level() const { return largest_level_; }
  // The frame queue's bus messages so far, read.
  std::vector<recorder::pipelines::FrameQueueNotice> notices() {
    std::vector<recorder::pipelines::FrameQueueNotice> found;
    GstBus* bus = gst_element_get_bus(pipeline_);
    while (GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
      if (const auto notice = recorder::pipelines::read_frame_queue_notice(message)) found.push_back(*notice);
      gst_message_unref(message);
    }
    gst_object_unref(bus);
    return found;
  }

 private:
  GstElement* pipeline_ = nullptr;
  GstElement* queue_ = nullptr;
  GstPad* source_ = nullptr;
  std::unique_ptr<HeldSink> sink_;
  guint64 pushed_ = 0;
  std::uint64_t largest_level_ = 0;
};

// What arrived after the stream's opening events (stream-start, caps, segment).
std::vector<std::string> after_opening(std::vector<std::string> log) {
  const std::vector<std::string> opening = {"stream-start", "caps", "segment"};
  EXPECT_GE(log.size(), opening.size());
  EXPECT_EQ(std::vector<std::string>(log.begin(), log.begin() + 3), opening);
  return {log.begin() + 3, log.end()};
}

// The muxer is stuck on K0 while ten GOPs arrive (9 deltas of 1000 bytes, key frames of 5000) into a
// 60000-byte queue. Upstream never waits; the key frames all fit (45000), so only delta frames go,
// from the oldest GOPs and from the end of each: what is left is GOP 9 whole and the start of GOP 8.
TEST(FrameQueue, DropsTheOldestDeltaFramesFromTheEndOfTheirGopAndKeepsKeyFrames) {
  FrameQueueRig rig(60000);
  rig.sink().close();
  rig.push("K0", 5000);
  ASSERT_TRUE(rig.sink().wait_for_entries(4));  // K0 is held by the sink: the muxer is stuck
  auto pushing = std::async(std::launch::async, [&] {
    for (int n = 1; n <= 9; ++n) {
      rig.push("D0." + std::to_string(n), 1000);
      if (n == 5) rig.send_marker("marker-in-gop-0");
    }
    for (int gop = 1; gop <= 9; ++gop) {
      if (gop == 5) rig.send_caps("video/x-h264,width=640");
      rig.push_gop(gop, 9, 5000, 1000);
    }
    rig.send_eos();
  });
  const bool upstream_returned = pushing.wait_for(10s) == std::future_status::ready;
  EXPECT_EQ(rig.property("current-bytes"), 60000u);
  rig.sink().open();
  ASSERT_TRUE(upstream_returned) << "upstream waited for the stuck sink";
  ASSERT_TRUE(rig.sink().wait_for_eos());

  EXPECT_LE(rig.largest_level(), 60000u);
  const std::vector<std::string> expected = {
      "K0", "marker-in-gop-0", "K1!", "K2!", "K3!", "K4!", "caps", "K5!", "K6!", "K7!", "K8!",
      "D8.1", "D8.2", "D8.3", "D8.4", "D8.5", "D8.6", "K9!", "D9.1", "D9.2", "D9.3", "D9.4", "D9.5",
      "D9.6", "D9.7", "D9.8", "D9.9", "eos"};
  EXPECT_EQ(after_opening(rig.sink().log()), expected);
  // 99 frames queued behind K0, 24 delivered.
  EXPECT_EQ(rig.property("dropped-frames"), 75u);
  EXPECT_EQ(rig.property("dropped-bytes"), 75000u);
  const auto notices = rig.notices();
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_FALSE(notices[0].drained);
  EXPECT_EQ(notices[0].max_bytes, 60000u);
  EXPECT_TRUE(notices[1].drained);
  EXPECT_EQ(notices[1].drops.frames, 75u);
  EXPECT_EQ(notices[1].drops.bytes, 75000u);
}

// Audio, or video trimmed to its key frames: the oldest key frames go first.
TEST(FrameQueue, DropsTheOldestKeyFramesOnceOnlyKeyFramesAreLeft) {
  FrameQueueRig rig(12000);
  rig.sink().close();
  rig.push("K0", 5000);
  ASSERT_TRUE(rig.sink().wait_for_entries(4));
  for (int n = 1; n <= 9; ++n) EXPECT_EQ(rig.push("K" + std::to_string(n), 5000), GST_FLOW_OK);
  rig.send_eos();
  EXPECT_LE(rig.largest_level(), 12000u);
  rig.sink().open();
  ASSERT_TRUE(rig.sink().wait_for_eos());
  EXPECT_EQ(after_opening(rig.sink().log()), (std::vector<std::string>{"K0", "K8!", "K9", "eos"}));
  EXPECT_EQ(rig.property("dropped-frames"), 7u);
  EXPECT_EQ(rig.property("dropped-bytes"), 35000u);
}

// Dropping the newest frames of the GOP still arriving makes its later delta frames undecodable: they
// are dropped too, even once there is room again, until the next key frame.
TEST(FrameQueue, AfterCuttingTheGopInProgressDropsItsLaterDeltaFramesUntilTheNextKeyFrame) {
  FrameQueueRig rig(8000);
  rig.sink().close();
  rig.push("K0", 5000);
  ASSERT_TRUE(rig.sink().wait_for_entries(4));
  rig.push("K1", 5000);
  for (const char* name : {"D1.1", "D1.2", "D1.3", "D1.4", "D1.5"}) rig.push(name, 1000);  // D1.4 does not fit
  rig.sink().open();
  ASSERT_TRUE(rig.sink().wait_for_entries(3 + 5));  // K0 K1 D1.1 D1.2 D1.3
  EXPECT_EQ(rig.property("current-bytes"), 0u);
  rig.push("D1.6", 1000);  // room enough, but it refers to D1.4 and D1.5
  rig.push("K2", 5000);
  rig.push("D2.1", 1000);
  rig.send_eos();
  ASSERT_TRUE(rig.sink().wait_for_eos());
  EXPECT_EQ(after_opening(rig.sink().log()),
            (std::vector<std::string>{"K0", "K1", "D1.1", "D1.2", "D1.3", "K2!", "D2.1", "eos"}));
  EXPECT_EQ(rig.property("dropped-frames"), 3u);
  EXPECT_EQ(rig.property("dropped-bytes"), 3000u);
}

// A sink that keeps up loses nothing, though far more than the bound goes through.
TEST(FrameQueue, DropsNothingWhileTheSinkKeepsUp) {
  FrameQueueRig rig(64 * 1000);
  for (int gop = 0; gop < 12; ++gop) {
    rig.push_gop(gop, 24, 4000, 1000);  // 28 kB per GOP, 336 kB in all
    std::this_thread::sleep_for(20ms);   // about real time at 25 frames per GOP
  }
  rig.send_eos();
  ASSERT_TRUE(rig.sink().wait_for_eos());
  const auto log = after_opening(rig.sink().log());
  ASSERT_EQ(log.size(), 12u * 25 + 1);
  EXPECT_EQ(log[25], "K1");
  EXPECT_EQ(log[299], "D11.24");
  EXPECT_EQ(rig.property("dropped-frames"), 0u);
  EXPECT_TRUE(rig.notices().empty());
}

}  // namespace
