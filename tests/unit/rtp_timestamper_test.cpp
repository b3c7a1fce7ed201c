#include "pipelines/rtp_timestamper.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gtest/gtest.h>
#include <vector>

using recorder::pipelines::unfold_rtp_time;

namespace {

constexpr std::int64_t wrap = std::int64_t{1} << 32;

TEST(RtpTimestamper, UnfoldsTheRtpClockAcrossItsWrapAndBack) {
  const std::int64_t first = unfold_rtp_time(-1, 0xFFFFF000u);
  EXPECT_EQ(first, wrap + 0xFFFFF000);
  const std::int64_t after_wrap = unfold_rtp_time(first, 0x00000E10u);  // 3600 ticks past zero
  EXPECT_EQ(after_wrap - first, 0x1000 + 0xE10);
  EXPECT_EQ(unfold_rtp_time(after_wrap, 0xFFFFF000u), first);  // back across zero: negative step, not +2^32
  EXPECT_GT(unfold_rtp_time(unfold_rtp_time(-1, 5), 0xFFFFFFF0u), 0);
}

GstBuffer* rtp_packet(std::uint16_t sequence, std::uint32_t rtp_time) {
  std::vector<guint8> bytes(12 + 4, 0);
  bytes[0] = 0x80;
  bytes[1] = 96;
  bytes[2] = guint8(sequence >> 8);
  bytes[3] = guint8(sequence);
  for (int i = 0; i < 4; ++i) bytes[4 + i] = guint8(rtp_time >> (24 - 8 * i));
  return gst_buffer_new_memdup(bytes.data(), bytes.size());
}

// Times from the 90 kHz clock, wrap included, relative to the first packet; no decoding time stamps.
TEST(RtpTimestamper, StampsPacketsFromTheirRtpClockInTheSourceThread) {
  gst_init(nullptr, nullptr);
  recorder::pipelines::register_rtp_timestamper();
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(
      "appsrc name=in format=time caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96 "
      "! rtptimestamper ! appsink name=out sync=false",
      &error);
  ASSERT_NE(pipeline, nullptr) << (error ? error->message : "");
  GstElement* in = gst_bin_get_by_name(GST_BIN(pipeline), "in");
  GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);

  const std::uint32_t start = 0xFFFFFFFFu - 3600 * 2 + 1;  // wraps after two frames at 25 fps
  std::vector<GstClockTime> pts;
  for (std::uint16_t i = 0; i < 6; ++i) {
    gst_app_src_push_buffer(GST_APP_SRC(in), rtp_packet(i, start + 3600u * i));
    GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(out));
    ASSERT_NE(sample, nullptr);
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    pts.push_back(GST_BUFFER_PTS(buffer));
    EXPECT_FALSE(GST_BUFFER_DTS_IS_VALID(buffer));
    gst_sample_unref(sample);
  }
  for (std::size_t i = 1; i < pts.size(); ++i) EXPECT_EQ(pts[i] - pts[0], i * 40 * GST_MSECOND) << "packet " << i;

  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(in);
  gst_object_unref(out);
  gst_object_unref(pipeline);
}

}  // namespace
