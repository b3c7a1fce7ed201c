// Crash safety: after kill -9 (as after a power cut, minus the page cache) every file left is playable
// and holds every fragment completed before the kill.

#include <csignal>
#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "tests/support/media_probe.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

TEST(CrashSafety, KillNineMidSegmentLeavesPlayableFilesWithAllCompletedFragments) {
  ScratchDir dir;
  Camsim cameras("cams", {.cameras = 2, .audio = true}, dir.path());
  RecorderRun recorder(dir.path(), {{.id = "a", .url = cameras.urls()[0]}, {.id = "b", .url = cameras.urls()[1]}},
                       60);
  std::this_thread::sleep_for(9500ms);  // well inside the first 60 s segment
  const auto killed_at = std::chrono::system_clock::now();
  recorder.process().signal(SIGKILL);
  recorder.process().wait(5s);

  for (const std::string camera : {"a", "b"}) {
    SCOPED_TRACE(camera);
    const auto segments = segments_of(recorder.storage(), camera);
    ASSERT_EQ(segments.size(), 1u);
    const MediaSummary media = probe_media(segments[0].path);
    ASSERT_TRUE(media.opened);
    EXPECT_TRUE(media.starts_with_key_frame);
    EXPECT_TRUE(media.has_audio);
    // Lost at most the fragment in progress (1 s) plus what sat in the jitter buffer (0.5 s).
    const double elapsed = seconds_between(segments[0].start, killed_at);
    EXPECT_GT(media.video_seconds, elapsed - 2.0) << "elapsed " << elapsed;
    // Every complete fragment on disk is readable: about 25 frames (1 s at 25 fps) per video fragment.
    // mp4mux writes one moof/mdat pair per track and second: half of them are video here.
    const auto boxes = top_level_boxes(segments[0].path);
    const long fragments = std::count(boxes.begin(), boxes.end(), "mdat") / 2;
    EXPECT_GE(fragments, static_cast<long>(elapsed - 2.0));
    EXPECT_GE(media.video_frames, 25 * (fragments - 1));
  }
}

// A file cut anywhere (a power cut in the middle of a write) reads back every fragment before the cut.
TEST(CrashSafety, FileCutAnywhereKeepsItsCompleteFragments) {
  ScratchDir dir;
  Camsim camera("cam", {}, dir.path());
  RecorderRun recorder(dir.path(), {{.id = "a", .url = camera.urls()[0]}}, 60);
  std::this_thread::sleep_for(7s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0);
  const auto segments = segments_of(recorder.storage(), "a");
  ASSERT_EQ(segments.size(), 1u);
  const auto original = segments[0].path;
  const auto size = std::filesystem::file_size(original);
  const int full_frames = probe_media(original).video_frames;
  ASSERT_GT(full_frames, 100);

  int previous_frames = 0;
  for (int step = 1; step <= 9; ++step) {
    const auto cut_at = size * step / 10;
    const auto copy = dir.path() / ("cut-" + std::to_string(step) + ".mp4");
    std::filesystem::copy_file(original, copy);
    std::filesystem::resize_file(copy, cut_at);
    const MediaSummary media = probe_media(copy);
    SCOPED_TRACE("cut at " + std::to_string(cut_at) + " of " + std::to_string(size));
    ASSERT_TRUE(media.opened);
    // About step/10 of the frames survive, less at most one 1 s fragment (25 frames).
    EXPECT_GE(media.video_frames, full_frames * step / 10 - 26);
    EXPECT_GE(media.video_frames, previous_frames);
    previous_frames = media.video_frames;
  }
}
