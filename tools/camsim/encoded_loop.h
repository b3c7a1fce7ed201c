#pragma once
// A loop of whole GOPs (or audio frames), encoded once at start-up and kept in memory, so that serving
// any number of simulated cameras costs no encoding at all.

#include <gst/gst.h>
#include <string>
#include <vector>

namespace camsim {

struct VideoSpec {
  std::string codec = "h264";  // h264 | h265
  int width = 1920;
  int height = 1080;
  int fps = 25;
  int bitrate_kbps = 4000;
  double gop_seconds = 2.0;     // key-frame interval; vendors' "smart codec" modes use 4-10 s
  double loop_seconds = 10.0;   // rounded up to whole GOPs
};

struct AudioSpec {
  int sample_rate = 16000;
  int bitrate_bps = 32000;
  double loop_seconds = 10.0;
};

// One encoded access unit (a frame, or an AAC frame) with its time relative to the loop's start.
struct EncodedUnit {
  GstBuffer* buffer = nullptr;  // owned reference
  GstClockTime offset = 0;
  GstClockTime duration = 0;
};

class EncodedLoop {
 public:
  EncodedLoop() = default;
  ~EncodedLoop();
  EncodedLoop(const EncodedLoop&) = delete;
  EncodedLoop& operator=(const EncodedLoop&) = delete;

  GstCaps* caps = nullptr;       // owned
  std::vector<EncodedUnit> units;
  GstClockTime loop_duration = 0;
  std::string payloader;         // RTP payloader element for these caps
  std::size_t total_bytes() const;
};

// Encode the loops; throw std::runtime_error with the reason when an encoder is missing or fails.
void encode_video_loop(const VideoSpec& spec, EncodedLoop& loop);
void encode_audio_loop(const AudioSpec& spec, EncodedLoop& loop);

}  // namespace camsim
