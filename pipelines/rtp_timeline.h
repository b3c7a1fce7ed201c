#pragma once
// Presentation times for in-order RTP packets, taken from their RTP time stamps. Over RTSP/TCP packets
// arrive whole and in order, so there is nothing for a jitter buffer to reorder or wait for: each packet
// is stamped with the arrival time of the stream's first packet plus the RTP clock's progress since then
// (32-bit wrap-around unfolded), as rtpjitterbuffer mode=none does, without its per-packet hand-off to a
// thread of its own. An RTP clock that steps back (a camera restarting its stream) starts again from the
// arrival time. No decoding time stamps: the parser derives them.

#include <cstdint>
#include <gst/gst.h>

namespace recorder::pipelines {

// The RTP time stamp (32-bit, wrapping) carried on, as a 64-bit count that does not wrap.
// `last` is the previous result, or -1 for the first packet, which counts from 2^32 so that a step
// back across zero stays positive.
std::int64_t unfold_rtp_time(std::int64_t last, std::uint32_t rtp_time);

class RtpTimeline {
 public:
  explicit RtpTimeline(int clock_rate) : clock_rate_(clock_rate) {}
  // The presentation time of a packet with this RTP time stamp; `now` is the running time at arrival,
  // used only when the time line (re)starts.
  GstClockTime stamp(std::uint32_t rtp_time, GstClockTime now);

 private:
  int clock_rate_;
  std::int64_t base_rtp_ = -1;  // unfolded RTP time of the packet that set base_position_; -1: none yet
  std::int64_t last_rtp_ = -1;  // unfolded RTP time of the previous packet
  GstClockTime base_position_ = 0;
};

}  // namespace recorder::pipelines
