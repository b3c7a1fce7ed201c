#include "recorder/export/mp4_export.h"

#include <fmt/format.h>
#include <map>
#include <memory>

#include "recorder/core/clock.h"
#include "recorder/export/segment_input.h"

namespace recorder::exporting {
namespace {

constexpr AVRational microseconds{1, 1'000'000};

[[noreturn]] void fail(const std::string& what, int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  throw Error(ErrorKind::DataLoss, fmt::format("export: {}: {}", what, text));
}

// Writes packets of several segments into one output, on one wall-clock time line starting at `from`.
class Remuxer {
 public:
  Remuxer(const ExportPlan& plan, const std::filesystem::path& out) : plan_(plan), path_(out) {}
  ~Remuxer() {
    if (output_ != nullptr) {
      if (output_->pb != nullptr) avio_closep(&output_->pb);
      avformat_free_context(output_);
    }
  }

  void add_segment(const std::filesystem::path& file, const catalog::Segment& segment, bool first) {
    SegmentInput source(file, /*probe=*/output_ == nullptr);  // the first one sets the output's codec parameters
    if (output_ == nullptr) open_output(source);
    else require_same_formats(source, file, segment);
    AVFormatContext* input = source.context();
    const int video = video_index_;
    const std::int64_t zero_us = source.zero_us();
    AVPacket* packet = av_packet_alloc();
    std::vector<AVPacket*> preroll;  // from the last key frame at or before `from`, until `from` is reached
    bool started = !first;
    while (source.read(packet)) {
      const auto mapping = stream_map_.find(packet->stream_index);
      const std::int64_t ts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
      if (mapping == stream_map_.end() || ts == AV_NOPTS_VALUE) {
        av_packet_unref(packet);
        continue;
      }
      const AVRational in_base = input->streams[packet->stream_index]->time_base;
      const catalog::Micros wall = segment.start_us + av_rescale_q(ts, in_base, microseconds) - zero_us;
      if (packet->stream_index == video && wall >= plan_.to_us) break;
      if (!started) {
        const bool key = packet->stream_index == video && (packet->flags & AV_PKT_FLAG_KEY);
        if (key && wall <= plan_.from_us) {  // a later key frame before `from`: start there instead
          for (AVPacket* p : preroll) av_packet_free(&p);
          preroll.clear();
        }
        if (packet->stream_index == video && wall > plan_.from_us) {
          started = true;
          for (AVPacket* p : preroll) write(p, input, segment, zero_us, video);
          for (AVPacket* p : preroll) av_packet_free(&p);
          preroll.clear();
        } else {
          if (!preroll.empty() || key) preroll.push_back(av_packet_clone(packet));
          av_packet_unref(packet);
          continue;
        }
      }
      write(packet, input, segment, zero_us, video);
      av_packet_unref(packet);
    }
    for (AVPacket* p : preroll) {
      write(p, input, segment, zero_us, video);  // the range ended before a frame after `from`
      av_packet_free(&p);
    }
    av_packet_free(&packet);
  }

  ExportResult finish() {
    if (output_ == nullptr) throw Error(ErrorKind::NotFound, "export: no footage was readable");
    if (const int rc = av_write_trailer(output_); rc < 0) fail("finish " + path_.string(), rc);
    avio_closep(&output_->pb);
    result_.bytes = std::filesystem::file_size(path_);
    return result_;
  }

 private:
  void open_output(const SegmentInput& source) {
    const AVFormatContext& first = *source.context();
    video_index_ = av_find_best_stream(source.context(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (const int rc = avformat_alloc_output_context2(&output_, nullptr, "mp4", path_.c_str()); rc < 0)
      fail("create " + path_.string(), rc);
    for (unsigned i = 0; i < first.nb_streams; ++i) {
      const AVCodecParameters* in = first.streams[i]->codecpar;
      if (in->codec_type != AVMEDIA_TYPE_VIDEO && in->codec_type != AVMEDIA_TYPE_AUDIO) continue;
      AVStream* stream = avformat_new_stream(output_, nullptr);
      avcodec_parameters_copy(stream->codecpar, in);
      stream->codecpar->codec_tag = 0;
      stream->time_base = first.streams[i]->time_base;
      stream_map_[static_cast<int>(i)] = stream->index;
      track_formats_[static_cast<int>(i)] = source.formats()[i];
      last_dts_[stream->index] = AV_NOPTS_VALUE;
    }
    if (const int rc = avio_open(&output_->pb, path_.c_str(), AVIO_FLAG_WRITE); rc < 0) fail("open " + path_.string(), rc);
    // Time stamps before `from` (the pre-roll from the key frame) become an edit list, not a shifted clip.
    output_->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    AVDictionary* options = nullptr;
    av_dict_set(&options, "use_editlist", "1", 0);
    const int rc = avformat_write_header(output_, &options);
    av_dict_free(&options);
    if (rc < 0) fail("write header of " + path_.string(), rc);
  }

  // The output has one format per track, from the first segment. A camera restarted with other settings
  // (resolution, codec) would make the rest of the track undecodable: refuse, and say where and what changed.
  void require_same_formats(const SegmentInput& source, const std::filesystem::path& file, const catalog::Segment& segment) const {
    for (const auto& [index, before] : track_formats_) {
      if (static_cast<std::size_t>(index) >= source.formats().size()) continue;  // no such stream: no packets for it
      const StreamFormat& after = source.formats()[static_cast<std::size_t>(index)];
      if (after == before) continue;
      const std::string now = after.describe() == before.describe() ? after.describe() + " with other parameter sets" : after.describe();
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("export: the footage changes format at {} ({}): {} before, {} from there on; one clip holds "
                              "one format, so export the time before and after that separately",
                              format_rfc3339(catalog::from_micros(segment.start_us)), file.string(), before.describe(), now));
    }
  }

  void write(AVPacket* packet, AVFormatContext* input, const catalog::Segment& segment, std::int64_t zero_us, int video) {
    const int out_index = stream_map_.at(packet->stream_index);
    AVStream* out = output_->streams[out_index];
    const AVRational in_base = input->streams[packet->stream_index]->time_base;
    // Wall-clock offset of this segment from `from`, in the input's time base, then into the output's.
    const std::int64_t shift = av_rescale_q(segment.start_us - plan_.from_us - zero_us, microseconds, in_base);
    const std::int64_t pts = packet->pts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : packet->pts + shift;
    std::int64_t dts = packet->dts == AV_NOPTS_VALUE ? pts : packet->dts + shift;
    AVPacket* copy = av_packet_clone(packet);
    copy->stream_index = out_index;
    copy->pts = pts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : av_rescale_q(pts, in_base, out->time_base);
    copy->dts = av_rescale_q(dts, in_base, out->time_base);
    copy->duration = av_rescale_q(packet->duration, in_base, out->time_base);
    // Segment start times are arrival times: where two segments overlap by a few ms, keep time moving on.
    auto& last = last_dts_[out_index];
    if (last != AV_NOPTS_VALUE && copy->dts <= last) {
      copy->dts = last + 1;
      if (copy->pts != AV_NOPTS_VALUE && copy->pts < copy->dts) copy->pts = copy->dts;
    }
    last = copy->dts;
    if (packet->stream_index == video) {
      const catalog::Micros start = plan_.from_us + av_rescale_q(copy->pts, out->time_base, microseconds);
      const catalog::Micros end = start + av_rescale_q(copy->duration, out->time_base, microseconds);
      if (result_.video_frames == 0 || start < result_.first_frame_us) result_.first_frame_us = std::max(start, plan_.from_us);
      result_.end_us = std::max(result_.end_us, end);
      ++result_.video_frames;
    }
    if (const int rc = av_interleaved_write_frame(output_, copy); rc < 0) {
      av_packet_free(&copy);
      fail("write " + path_.string(), rc);
    }
    av_packet_free(&copy);
  }

  const ExportPlan& plan_;
  std::filesystem::path path_;
  AVFormatContext* output_ = nullptr;
  std::map<int, int> stream_map_;  // input stream index -> output stream index (from the first segment)
  std::map<int, StreamFormat> track_formats_;  // input stream index -> its format in the first segment's header
  int video_index_ = -1;                       // input stream index of the video, the same in every segment
  std::map<int, std::int64_t> last_dts_;
  ExportResult result_;
};

}  // namespace

ExportResult export_mp4(const ExportPlan& plan, const std::filesystem::path& storage, const std::filesystem::path& out,
                        const std::function<void(double)>& progress) {
  av_log_set_level(AV_LOG_ERROR);
  try {
    Remuxer remuxer(plan, out);
    for (std::size_t i = 0; i < plan.segments.size(); ++i) {
      remuxer.add_segment(storage / plan.segments[i].path, plan.segments[i], i == 0);
      if (progress) progress(static_cast<double>(i + 1) / static_cast<double>(plan.segments.size()));
    }
    return remuxer.finish();
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(out, ignored);  // never leave half a clip that looks like an export
    throw;
  }
}

}  // namespace recorder::exporting
