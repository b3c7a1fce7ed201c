#include "pipelines/rtp_timeline.h"

#include <gtest/gtest.h>

using recorder::pipelines::RtpTimeline;
using recorder::pipelines::unfold_rtp_time;

namespace {

constexpr std::int64_t wrap = std::int64_t{1} << 32;

TEST(RtpTimeline, UnfoldsTheRtpClockAcrossItsWrapAndBack) {
  const std::int64_t first = unfold_rtp_time(-1, 0xFFFFF000u);
  EXPECT_EQ(first, wrap + 0xFFFFF000);
  const std::int64_t after_wrap = unfold_rtp_time(first, 0x00000E10u);  // 3600 ticks past zero
  EXPECT_EQ(after_wrap - first, 0x1000 + 0xE10);
  EXPECT_EQ(unfold_rtp_time(after_wrap, 0xFFFFF000u), first);  // back across zero: negative step, not +2^32
  EXPECT_GT(unfold_rtp_time(unfold_rtp_time(-1, 5), 0xFFFFFFF0u), 0);
}

// Times from the 90 kHz clock, wrap included, counted from the first packet's arrival; later arrival
// times do not move them (no skew correction: the camera's clock is the footage's clock).
TEST(RtpTimeline, StampsFromTheRtpClockAcrossItsWrap) {
  RtpTimeline timeline(90000);
  const std::uint32_t start = 0xFFFFFFFFu - 3600 * 2 + 1;  // wraps after two frames at 25 fps
  const GstClockTime first_arrival = 7 * GST_SECOND;
  for (std::uint32_t i = 0; i < 6; ++i) {
    const GstClockTime arrival = first_arrival + i * 55 * GST_MSECOND;  // arrivals jitter; stamps must not
    EXPECT_EQ(timeline.stamp(start + 3600u * i, arrival), first_arrival + i * 40 * GST_MSECOND) << "packet " << i;
  }
}

TEST(RtpTimeline, RestartsFromTheArrivalTimeWhenTheRtpClockStepsBack) {
  RtpTimeline timeline(8000);
  EXPECT_EQ(timeline.stamp(80000, 1 * GST_SECOND), 1 * GST_SECOND);
  EXPECT_EQ(timeline.stamp(88000, 2 * GST_SECOND), 2 * GST_SECOND);
  // The camera restarted its stream: the time line starts again where the stream is now, never backwards.
  EXPECT_EQ(timeline.stamp(100, 3 * GST_SECOND), 3 * GST_SECOND);
  EXPECT_EQ(timeline.stamp(8100, 9 * GST_SECOND), 4 * GST_SECOND);
}

}  // namespace
