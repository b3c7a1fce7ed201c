#pragma once
// `rtptimestamper`: what rtpbin uses instead of its jitter buffer for a camera streamed over RTSP/TCP.
//
// Over TCP, RTP packets arrive complete and in order, so a jitter buffer has nothing to reorder or wait
// for; yet rtpjitterbuffer queues every packet and hands it to a thread of its own, and that hand-off
// (a futex wake and a task switch per packet, about 400 packets/s per camera) was the largest single cost
// of recording. This element does the one thing the recorder needs from the jitter buffer, in the
// source's own streaming thread: it stamps each packet with a presentation time taken from its RTP time
// stamp, as rtpjitterbuffer mode=none does (the arrival time of the first packet, plus the RTP clock's
// progress since then, 32-bit wrap-around unfolded; no decoding time stamp). An RTP clock that steps
// back (a camera restarting its stream) starts again from the arrival time.
// It has the properties and signals rtpbin sets and connects on a jitter buffer (latency, request-pt-map,
// handle-sync, on-npt-stop, sink_rtcp pads) so that it can stand in for one; RTCP reaching it is dropped.

#include <cstdint>
#include <gst/gst.h>

namespace recorder::pipelines {

// Registers the element under the name "rtptimestamper" (once per process; safe to call again).
void register_rtp_timestamper();

// The RTP time stamp (32-bit, wrapping) carried on, as a 64-bit count that does not wrap.
// `last` is the previous result, or -1 for the first packet, which counts from 2^32 so that a step
// back across zero stays positive.
std::int64_t unfold_rtp_time(std::int64_t last, std::uint32_t rtp_time);

}  // namespace recorder::pipelines
