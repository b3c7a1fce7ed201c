#pragma once
// `framequeue`: stands between a parser and the muxer so that a stalled disk never stalls the camera.
//
// When the disk stalls (write or fdatasync blocks), the muxer blocks, and without this element the
// parser, the depayloader and the RTSP source's thread would block behind it: the camera's TCP
// connection backs up until the camera drops data or the session. This element takes each frame in the
// upstream thread and returns at once; a thread of its own (a GstTask) pushes the frames on to the
// muxer. What waits is bounded by `max-bytes`; beyond it, frames are dropped, oldest delta frames first,
// so that what remains still decodes (frame_backlog.h), and counted. Events (caps, segment, EOS...) are
// kept in order with the frames and never dropped, so a stop still finalises the segment.
// Serialized queries are refused rather than passed on: passing one means waiting for everything queued
// ahead of it to reach a muxer that may be stuck, which is what this element is for avoiding (the
// recorder's parsers send none, and splitmuxsink drops the allocation queries anyway).
//
// On the bus it posts an element message "frame-queue-overflow" when it starts dropping and
// "frame-queue-drained" (what it dropped since, for how long) once it is back to half full: two
// messages per episode, never one per frame.

#include <cstdint>
#include <gst/gst.h>
#include <optional>
#include <string>

namespace recorder::pipelines {

// The default bound of a video stream's queue. A stalled disk loses no frame for 3 MiB of video (about
// 6 s of a 4 Mbit/s camera, 3 s at 8 Mbit/s), plus the GOP that splitmuxsink holds itself; on top of the
// 2.5 to 3.5 MiB a recording camera takes (bench/RESULTS.md), a full queue keeps a camera under 7 MiB,
// inside the 8 MiB per camera of issue 6 with room for the muxer's own fragment.
inline constexpr std::uint64_t default_frame_queue_bytes = std::uint64_t{3} << 20;

// Registers the element under the name "framequeue" (once per process; safe to call again).
void register_frame_queue();

struct FrameQueueDrops {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
};

// What the frame queue `element` has dropped since it was created. From any thread.
FrameQueueDrops frame_queue_drops(GstElement* element);

// A frame queue's bus message, read.
struct FrameQueueNotice {
  bool drained = false;      // false: it started dropping; true: it is back to half full
  FrameQueueDrops drops;     // drained: what this episode dropped
  double seconds = 0;        // drained: how long the episode lasted (pipeline clock)
  std::uint64_t max_bytes = 0;
};

// nullopt unless `message` comes from a frame queue.
std::optional<FrameQueueNotice> read_frame_queue_notice(GstMessage* message);

// One line for the log, e.g. "video-queue full (3.0 MiB): the disk is not keeping up; dropping frames...".
std::string describe(const FrameQueueNotice& notice, const std::string& queue_name);

}  // namespace recorder::pipelines
