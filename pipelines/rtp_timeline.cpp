#include "pipelines/rtp_timeline.h"

namespace recorder::pipelines {

std::int64_t unfold_rtp_time(std::int64_t last, std::uint32_t rtp_time) {
  if (last < 0) return (std::int64_t{1} << 32) + rtp_time;
  // The step from the previous time stamp, taken as the shorter way round the 32-bit circle.
  const auto step = static_cast<std::int32_t>(rtp_time - static_cast<std::uint32_t>(last));
  return last + step;
}

GstClockTime RtpTimeline::stamp(std::uint32_t rtp_time, GstClockTime now) {
  const std::int64_t unfolded = unfold_rtp_time(last_rtp_, rtp_time);
  last_rtp_ = unfolded;
  if (base_rtp_ < 0 || unfolded < base_rtp_) {
    base_rtp_ = unfolded;
    base_position_ = now;
  }
  return base_position_ +
         gst_util_uint64_scale_int(static_cast<guint64>(unfolded - base_rtp_), GST_SECOND, clock_rate_);
}

}  // namespace recorder::pipelines
