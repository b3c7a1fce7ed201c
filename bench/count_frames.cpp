// count_frames: the video packets in MP4 files, for bench/record_vs_ffmpeg.sh. One process for all files,
// because starting ffprobe once per segment takes longer than the benchmark itself (50 cameras x 12 files).
//   count_frames FILE...   prints "frames F files N unreadable U" and, per file that does not start on a key
//                          frame, "not starting on a key frame: FILE" on stderr
#include <cstdio>

extern "C" {
#include <libavformat/avformat.h>
}

int main(int argc, char** argv) {
  av_log_set_level(AV_LOG_QUIET);
  long long frames = 0;
  int unreadable = 0;
  AVPacket* packet = av_packet_alloc();
  for (int i = 1; i < argc; ++i) {
    AVFormatContext* context = nullptr;
    if (avformat_open_input(&context, argv[i], nullptr, nullptr) < 0) {
      ++unreadable;
      continue;
    }
    // No avformat_find_stream_info: MP4 headers say which stream is video, and probing would decode.
    const int video = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    long long in_file = 0;
    while (video >= 0 && av_read_frame(context, packet) >= 0) {
      if (packet->stream_index == video) {
        if (in_file == 0 && !(packet->flags & AV_PKT_FLAG_KEY))
          std::fprintf(stderr, "not starting on a key frame: %s\n", argv[i]);
        ++in_file;
      }
      av_packet_unref(packet);
    }
    if (video < 0) ++unreadable;
    frames += in_file;
    avformat_close_input(&context);
  }
  av_packet_free(&packet);
  std::printf("frames %lld files %d unreadable %d\n", frames, argc - 1, unreadable);
  return 0;
}
