#pragma once
// `rtsptcpsrc`: the recorder's source for cameras that stream RTP inside their RTSP connection (TCP
// interleaved), in place of rtspsrc.
//
// Why: with 50 cameras, profiling showed about 88 % of the recorder's CPU in rtspsrc's per-packet path
// (several recv and poll calls per RTP packet, then rtpbin's session, demuxer and jitter-buffer elements
// for each of ~400 packets/s per camera). This element reads the connection in large chunks (a wake-up per
// ~16 KiB, not per packet), splits the interleaved frames (interleaved_framing.h), stamps each packet
// from its RTP clock (rtp_timeline.h) and pushes one buffer list per stream per read straight to the
// depayloaders: no rtpbin, no jitter buffer (over TCP nothing is lost or reordered), no extra thread.
//
// It keeps what recording needs of rtspsrc: Basic and Digest authentication, keep-alives, RTCP receiver
// reports, a time-out when the camera goes quiet, a clean end of stream on EOS and when the camera hangs
// up, and the same interface: the select-stream signal, pads named recv_rtp_src_<stream>_<ssrc>_<pt>,
// no-more-pads, and RESOURCE errors (NOT_AUTHORIZED for refused credentials). Cameras set to UDP keep
// rtspsrc and its jitter buffer, which UDP needs.
//
// Properties: location, user-id, user-pw (never logged), timeout (microseconds an answer may take; a
// connection silent for twice as long is given up).

namespace recorder::pipelines {

// Registers the element under the name "rtsptcpsrc" (once per process; safe to call again).
void register_rtsp_tcp_source();

}  // namespace recorder::pipelines
