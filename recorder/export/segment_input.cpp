#include "recorder/export/segment_input.h"

#include <algorithm>
#include <fmt/format.h>

#include "recorder/core/error.h"

namespace recorder::exporting {
namespace {

[[noreturn]] void fail(const std::string& what, int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  throw Error(ErrorKind::DataLoss, fmt::format("export: {}: {}", what, text));
}

StreamFormat format_of(const AVCodecParameters& parameters) {
  StreamFormat format{parameters.codec_type, parameters.codec_id};
  if (parameters.codec_type == AVMEDIA_TYPE_VIDEO) {
    format.width = parameters.width;
    format.height = parameters.height;
  } else if (parameters.codec_type == AVMEDIA_TYPE_AUDIO) {
    format.sample_rate = parameters.sample_rate;
    format.channels = parameters.ch_layout.nb_channels;
  }
  if (parameters.extradata != nullptr)
    format.extradata.assign(parameters.extradata, parameters.extradata + parameters.extradata_size);
  return format;
}

// libav's probe size: how much a probe reads at most before it settles for what it has.
constexpr std::int64_t read_ahead_limit_bytes = 5'000'000;

}  // namespace

std::string StreamFormat::describe() const {
  const char* name = avcodec_get_name(codec);
  if (type == AVMEDIA_TYPE_VIDEO) return fmt::format("{} {}x{}", name, width, height);
  if (type == AVMEDIA_TYPE_AUDIO) return fmt::format("{} {} Hz {} ch", name, sample_rate, channels);
  return fmt::format("{} ({})", name, av_get_media_type_string(type) ? av_get_media_type_string(type) : "other");
}

SegmentInput::SegmentInput(const std::filesystem::path& file, bool probe) {
  AVFormatContext* context = nullptr;
  if (const int rc = avformat_open_input(&context, file.c_str(), nullptr, nullptr); rc < 0) fail("open " + file.string(), rc);
  context_.reset(context);
  for (unsigned i = 0; i < context->nb_streams; ++i) formats_.push_back(format_of(*context->streams[i]->codecpar));
  // Probing decodes frames (seven for H.264 here): done for every segment, it was a fifth of an export's time.
  if (probe) {
    if (const int rc = avformat_find_stream_info(context, nullptr); rc < 0) fail("read " + file.string(), rc);
  }
  zero_us_ = find_zero_us();
}

// libav sets a stream's start_time when its first packet is read; a probed file has them all already.
std::int64_t SegmentInput::find_zero_us() {
  auto all_started = [&] {
    for (unsigned i = 0; i < context_->nb_streams; ++i) {
      const AVStream* stream = context_->streams[i];
      const bool media = stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO || stream->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
      if (media && stream->start_time == AV_NOPTS_VALUE) return false;
    }
    return true;
  };
  std::int64_t bytes = 0;
  while (!all_started() && bytes < read_ahead_limit_bytes) {
    Packet packet(av_packet_alloc());
    if (!packet || av_read_frame(context_.get(), packet.get()) < 0) break;
    bytes += packet->size;
    read_ahead_.push_back(std::move(packet));
  }
  std::int64_t zero = AV_NOPTS_VALUE;
  for (unsigned i = 0; i < context_->nb_streams; ++i) {
    const AVStream* stream = context_->streams[i];
    if (stream->start_time == AV_NOPTS_VALUE) continue;
    const std::int64_t start = av_rescale_q(stream->start_time, stream->time_base, AV_TIME_BASE_Q);
    zero = zero == AV_NOPTS_VALUE ? start : std::min(zero, start);
  }
  return zero == AV_NOPTS_VALUE ? 0 : zero;
}

bool SegmentInput::read(AVPacket* packet) {
  if (read_ahead_.empty()) return av_read_frame(context_.get(), packet) >= 0;
  av_packet_move_ref(packet, read_ahead_.front().get());
  read_ahead_.pop_front();
  return true;
}

}  // namespace recorder::exporting
