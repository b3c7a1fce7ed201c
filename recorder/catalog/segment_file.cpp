#include "recorder/catalog/segment_file.h"

#include <fcntl.h>
#include <fstream>
#include <unistd.h>

extern "C" {
#include <libavformat/avformat.h>
}

namespace recorder::catalog {

std::optional<FileExtent> file_extent(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::error_code error;
  const auto size = std::filesystem::file_size(file, error);
  if (!in || error) return std::nullopt;
  FileExtent extent;
  extent.size = size;
  std::uint64_t offset = 0;
  while (offset + 8 <= size) {
    unsigned char header[16];
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in.read(reinterpret_cast<char*>(header), 8)) break;
    std::uint64_t box = (std::uint64_t(header[0]) << 24) | (std::uint64_t(header[1]) << 16) |
                        (std::uint64_t(header[2]) << 8) | header[3];
    std::uint64_t header_size = 8;
    if (box == 1) {
      if (!in.read(reinterpret_cast<char*>(header) + 8, 8)) break;
      box = 0;
      for (int i = 8; i < 16; ++i) box = (box << 8) | header[i];
      header_size = 16;
    } else if (box == 0) {
      box = size - offset;  // "to the end of the file": whole by definition
    }
    // Torn (the box claims more than was written) or damaged (smaller than its own header). Compared
    // without adding, so that a huge damaged size cannot wrap around and restart the walk.
    if (box < header_size || box > size - offset) break;
    offset += box;
    extent.complete_size = offset;
  }
  return extent;
}

void cut_to_complete_boxes(const std::filesystem::path& file, const FileExtent& extent) {
  if (extent.complete_size >= extent.size) return;
  const int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::Unavailable, "cannot open " + file.string() + " to cut its torn tail");
  const bool ok = ftruncate(fd, static_cast<off_t>(extent.complete_size)) == 0 && fdatasync(fd) == 0;
  close(fd);
  if (!ok) throw Error(ErrorKind::Unavailable, "cannot cut the torn tail of " + file.string());
}

std::optional<SegmentMeasure> measure_segment_file(const std::filesystem::path& file, std::string* why) {
  auto fail = [&](const std::string& reason) -> std::optional<SegmentMeasure> {
    if (why) *why = reason;
    return std::nullopt;
  };
  av_log_set_level(AV_LOG_QUIET);
  AVFormatContext* context = nullptr;
  if (avformat_open_input(&context, file.c_str(), nullptr, nullptr) < 0) return fail("not a readable MP4 file");
  const int video = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) {
    avformat_close_input(&context);
    return fail("no video stream");
  }
  SegmentMeasure measure;
  std::int64_t first = AV_NOPTS_VALUE, end = AV_NOPTS_VALUE;
  std::int64_t frames = 0;
  AVPacket* packet = av_packet_alloc();
  while (av_read_frame(context, packet) >= 0) {
    if (packet->stream_index == video) {
      ++frames;
      if (packet->flags & AV_PKT_FLAG_KEY) ++measure.key_frames;
      const std::int64_t ts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
      if (ts != AV_NOPTS_VALUE) {
        if (first == AV_NOPTS_VALUE || ts < first) first = ts;
        if (end == AV_NOPTS_VALUE || ts + packet->duration > end) end = ts + packet->duration;
      }
    }
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  const AVRational time_base = context->streams[video]->time_base;
  avformat_close_input(&context);
  if (frames == 0 || first == AV_NOPTS_VALUE) return fail("no complete video frame");
  measure.media_duration_us = av_rescale_q(end - first, time_base, AVRational{1, 1000000});
  std::error_code error;
  measure.bytes = static_cast<std::int64_t>(std::filesystem::file_size(file, error));
  return measure;
}

bool sync_file(const std::filesystem::path& file) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = fdatasync(fd) == 0;
  close(fd);
  return ok;
}

}  // namespace recorder::catalog
