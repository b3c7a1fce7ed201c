#pragma once
// One segment file opened for remuxing into an export: its packets, its time zero, and the format of each
// stream as the file's MP4 header describes it. Only the first segment of an export is probed (decoding a
// few frames to learn every codec parameter the output needs); later ones are read as their header says,
// and must have the same stream formats, since an MP4 track holds one format.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <libavformat/avformat.h>
}

namespace recorder::exporting {

// What the output's one sample description says of a stream: segments that differ in it cannot share a track.
struct StreamFormat {
  AVMediaType type = AVMEDIA_TYPE_UNKNOWN;
  AVCodecID codec = AV_CODEC_ID_NONE;
  int width = 0, height = 0;            // video
  int sample_rate = 0, channels = 0;    // audio
  std::vector<std::uint8_t> extradata;  // e.g. avcC: the H.264 parameter sets
  bool operator==(const StreamFormat&) const = default;
  std::string describe() const;  // "h264 1920x1080", "aac 48000 Hz 2 ch"
};

class SegmentInput {
 public:
  // Throws recorder::Error (DataLoss) when the file cannot be opened or probed.
  SegmentInput(const std::filesystem::path& file, bool probe);

  AVFormatContext* context() const { return context_.get(); }
  // Per stream index, from the MP4 header, before any probing: comparable between segments.
  const std::vector<StreamFormat>& formats() const { return formats_; }
  // Time stamp (microseconds) of the segment's start, which the catalog's start_us is the wall-clock time of:
  // the earliest first time stamp of its streams, as avformat_find_stream_info's start_time would say.
  std::int64_t zero_us() const { return zero_us_; }
  // The next packet into `packet` (unreferenced by the caller); false at the end of the file.
  bool read(AVPacket* packet);

 private:
  struct ContextDeleter {
    void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
  };
  struct PacketDeleter {
    void operator()(AVPacket* packet) const { av_packet_free(&packet); }
  };
  using Packet = std::unique_ptr<AVPacket, PacketDeleter>;

  std::int64_t find_zero_us();

  std::unique_ptr<AVFormatContext, ContextDeleter> context_;
  std::vector<StreamFormat> formats_;
  std::deque<Packet> read_ahead_;  // packets read to find the time zero, not yet handed out
  std::int64_t zero_us_ = 0;
};

}  // namespace recorder::exporting
