#include "encoded_loop.h"

#include <cmath>
#include <gst/app/gstappsink.h>
#include <stdexcept>

namespace camsim {
namespace {

// Runs a finite, non-live encoding pipeline ending in an appsink named "out" and keeps every unit.
void collect(const std::string& description, EncodedLoop& loop) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (pipeline == nullptr || error != nullptr) {
    const std::string why = error ? error->message : "unknown";
    if (error) g_error_free(error);
    if (pipeline) gst_object_unref(pipeline);
    throw std::runtime_error("cannot build encoder (" + why + "): " + description);
  }
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  while (GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) {
    if (loop.caps == nullptr) loop.caps = gst_caps_ref(gst_sample_get_caps(sample));
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    EncodedUnit unit;
    unit.buffer = gst_buffer_ref(buffer);
    unit.offset = GST_BUFFER_PTS(buffer);
    unit.duration = GST_BUFFER_DURATION(buffer);
    loop.units.push_back(unit);
    gst_sample_unref(sample);
  }
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* failure = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  std::string why;
  if (failure != nullptr) {
    gst_message_parse_error(failure, &error, nullptr);
    why = error->message;
    g_error_free(error);
    gst_message_unref(failure);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  if (!why.empty() || loop.units.empty()) throw std::runtime_error("encoding failed: " + (why.empty() ? "no output" : why));
  // Rebase: the loop starts at 0 whatever the encoder's first time stamp was.
  const GstClockTime first = loop.units.front().offset;
  for (auto& unit : loop.units) unit.offset -= first;
}

}  // namespace

EncodedLoop::~EncodedLoop() {
  for (auto& unit : units) gst_buffer_unref(unit.buffer);
  if (caps) gst_caps_unref(caps);
}

std::size_t EncodedLoop::total_bytes() const {
  std::size_t bytes = 0;
  for (const auto& unit : units) bytes += gst_buffer_get_size(unit.buffer);
  return bytes;
}

void encode_video_loop(const VideoSpec& spec, EncodedLoop& loop) {
  const int gop_frames = std::max(1, static_cast<int>(std::lround(spec.gop_seconds * spec.fps)));
  const int gops = std::max(1, static_cast<int>(std::ceil(spec.loop_seconds * spec.fps / gop_frames)));
  const int frames = gops * gop_frames;
  const bool h265 = spec.codec == "h265";
  // Constant bit rate with filler data, as many cameras send, so byte rates are what the spec says;
  // no B-frames and no scene-cut key frames, so every GOP is exactly gop_frames long.
  const std::string encoder =
      h265 ? "x265enc speed-preset=ultrafast tune=zerolatency bitrate=" + std::to_string(spec.bitrate_kbps) +
                 " key-int-max=" + std::to_string(gop_frames) + " option-string=\"min-keyint=" +
                 std::to_string(gop_frames) + ":scenecut=0:bframes=0:repeat-headers=1\" ! h265parse config-interval=-1"
                 " ! video/x-h265,stream-format=byte-stream,alignment=au"
           : "x264enc speed-preset=ultrafast tune=zerolatency bframes=0 bitrate=" + std::to_string(spec.bitrate_kbps) +
                 " key-int-max=" + std::to_string(gop_frames) + " option-string=\"min-keyint=" +
                 std::to_string(gop_frames) + ":scenecut=0:nal-hrd=cbr:filler\" vbv-buf-capacity=1000"
                 " ! h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au";
  const std::string description =
      "videotestsrc num-buffers=" + std::to_string(frames) + " pattern=smpte horizontal-speed=4 ! video/x-raw,width=" +
      std::to_string(spec.width) + ",height=" + std::to_string(spec.height) + ",framerate=" + std::to_string(spec.fps) +
      "/1,format=I420 ! " + encoder + " ! appsink name=out sync=false";
  collect(description, loop);
  loop.loop_duration = gst_util_uint64_scale(frames, GST_SECOND, spec.fps);
  loop.payloader = h265 ? "rtph265pay" : "rtph264pay";
}

void encode_audio_loop(const AudioSpec& spec, EncodedLoop& loop) {
  // AAC frames are 1024 samples; the loop is a whole number of them.
  const int frames = std::max(1, static_cast<int>(std::ceil(spec.loop_seconds * spec.sample_rate / 1024.0)));
  const std::string description =
      "audiotestsrc num-buffers=" + std::to_string(frames) + " samplesperbuffer=1024 wave=sine freq=440 ! "
      "audio/x-raw,rate=" + std::to_string(spec.sample_rate) + ",channels=1 ! avenc_aac bitrate=" +
      std::to_string(spec.bitrate_bps) + " ! aacparse ! audio/mpeg,stream-format=raw ! appsink name=out sync=false";
  collect(description, loop);
  // The encoder may hold back a frame or two; the loop is what came out.
  loop.loop_duration = loop.units.back().offset + loop.units.back().duration;
  loop.payloader = "rtpmp4gpay";
}

}  // namespace camsim
