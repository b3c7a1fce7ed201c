#include "tests/support/media_probe.h"

#include <cstdint>
#include <fstream>

extern "C" {
#include <libavformat/avformat.h>
}

namespace test_support {

MediaSummary probe_media(const std::filesystem::path& file) {
  MediaSummary summary;
  av_log_set_level(AV_LOG_QUIET);
  AVFormatContext* context = nullptr;
  if (avformat_open_input(&context, file.c_str(), nullptr, nullptr) < 0) {
    summary.error = "cannot open";
    return summary;
  }
  summary.opened = true;
  if (avformat_find_stream_info(context, nullptr) < 0) summary.error = "no stream info";
  const int video = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const int audio = av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  summary.has_audio = audio >= 0;
  if (video >= 0) summary.video_codec = avcodec_get_name(context->streams[video]->codecpar->codec_id);

  AVPacket* packet = av_packet_alloc();
  std::int64_t first = AV_NOPTS_VALUE, end = AV_NOPTS_VALUE;
  std::int64_t shown_first = AV_NOPTS_VALUE, shown_end = AV_NOPTS_VALUE;
  int rc = 0;
  while ((rc = av_read_frame(context, packet)) >= 0) {
    if (packet->stream_index == video) {
      const bool key = packet->flags & AV_PKT_FLAG_KEY;
      if (summary.video_frames == 0) summary.starts_with_key_frame = key;
      ++summary.video_frames;
      if (key) ++summary.key_frames;
      const std::int64_t ts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
      if (first == AV_NOPTS_VALUE || ts < first) first = ts;
      if (end == AV_NOPTS_VALUE || ts + packet->duration > end) end = ts + packet->duration;
      if (!(packet->flags & AV_PKT_FLAG_DISCARD) && ts != AV_NOPTS_VALUE) {
        if (shown_first == AV_NOPTS_VALUE || ts < shown_first) shown_first = ts;
        if (shown_end == AV_NOPTS_VALUE || ts + packet->duration > shown_end) shown_end = ts + packet->duration;
      }
    } else if (packet->stream_index == audio) {
      ++summary.audio_frames;
    }
    av_packet_unref(packet);
  }
  if (rc != AVERROR_EOF && summary.error.empty()) summary.error = "read error " + std::to_string(rc);
  if (video >= 0 && first != AV_NOPTS_VALUE)
    summary.video_seconds = static_cast<double>(end - first) * av_q2d(context->streams[video]->time_base);
  if (video >= 0 && shown_first != AV_NOPTS_VALUE) {
    const double base = av_q2d(context->streams[video]->time_base);
    summary.displayed_start_seconds = static_cast<double>(shown_first) * base;
    summary.displayed_end_seconds = static_cast<double>(shown_end) * base;
  }
  av_packet_free(&packet);
  avformat_close_input(&context);
  return summary;
}

std::vector<std::string> top_level_boxes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const auto file_size = static_cast<std::uint64_t>(std::filesystem::file_size(file));
  std::vector<std::string> boxes;
  std::uint64_t offset = 0;
  while (offset + 8 <= file_size) {
    unsigned char header[16];
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(header), 8);
    std::uint64_t size = (std::uint64_t(header[0]) << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
    const std::string type(reinterpret_cast<char*>(header) + 4, 4);
    if (size == 1) {
      in.read(reinterpret_cast<char*>(header) + 8, 8);
      size = 0;
      for (int i = 8; i < 16; ++i) size = (size << 8) | header[i];
    } else if (size == 0) {
      size = file_size - offset;
    }
    if (size < 8) break;
    boxes.push_back(offset + size <= file_size ? type : type + "!");
    offset += size;
  }
  return boxes;
}

}  // namespace test_support
