#pragma once
// What libav (the library ffmpeg is built on) can read from a recorded file: the test oracle for
// "playable".

#include <filesystem>
#include <string>
#include <vector>

namespace test_support {

struct MediaSummary {
  bool opened = false;
  std::string error;           // set when the file could not be opened or read to its end cleanly
  std::string video_codec;     // "h264", "hevc"
  bool has_audio = false;
  int video_frames = 0;
  int audio_frames = 0;
  int key_frames = 0;
  bool starts_with_key_frame = false;
  double video_seconds = 0;    // from the first video time stamp to the end of the last frame
  // What a player shows (edit lists applied: packets libav marks "discard" are pre-roll, not shown).
  double displayed_start_seconds = 0;  // presentation time of the first shown video frame
  double displayed_end_seconds = 0;    // end of the last shown video frame
};

MediaSummary probe_media(const std::filesystem::path& file);

// Top-level MP4 boxes of a file, in order ("ftyp", "moov", "moof", "mdat", ...); a cut box is "<type>!".
std::vector<std::string> top_level_boxes(const std::filesystem::path& file);

}  // namespace test_support
