// Recording end to end: simulated cameras over real RTSP, the real recorder, files checked with libav.

#include <csignal>
#include <gtest/gtest.h>
#include <thread>

#include "tests/support/media_probe.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {

struct CameraCase {
  std::string id;
  std::string expected_codec;
  bool expect_audio;
};

// Every segment plays, starts on a key frame, and the segments of one camera cover the run without gaps.
void check_camera(const std::filesystem::path& storage, const CameraCase& camera, recorder::WallTime stopped_at) {
  SCOPED_TRACE("camera " + camera.id);
  const auto segments = segments_of(storage, camera.id);
  ASSERT_GE(segments.size(), 2u) << "expected the 30 s run to be cut into several segments";
  double total = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    SCOPED_TRACE(segments[i].path.filename().string());
    const MediaSummary media = probe_media(segments[i].path);
    ASSERT_TRUE(media.opened);
    EXPECT_EQ(media.error, "");
    EXPECT_EQ(media.video_codec, camera.expected_codec);
    EXPECT_TRUE(media.starts_with_key_frame);
    EXPECT_EQ(media.has_audio, camera.expect_audio);
    if (camera.expect_audio) {
      EXPECT_GT(media.audio_frames, 0);
    }
    // Fragmented for real: one moof per ~1 s fragment, not one moov holding everything at the end.
    const auto boxes = top_level_boxes(segments[i].path);
    EXPECT_GE(std::count(boxes.begin(), boxes.end(), "moof"), static_cast<long>(media.video_seconds) - 1);
    if (i + 1 < segments.size()) {
      // The next segment starts where this one ends (start times are measured at arrival: allow jitter).
      EXPECT_NEAR(seconds_between(segments[i].start, segments[i + 1].start), media.video_seconds, 0.5);
    }
    total += media.video_seconds;
  }
  EXPECT_NEAR(total, seconds_between(segments.front().start, stopped_at), 1.0);
}

}  // namespace

TEST(Recording, FourCamerasOfDifferentKindsAreRecordedPlayableAndWithoutGaps) {
  ScratchDir dir;
  Camsim plain("cam-h264", {.gop_seconds = 2}, dir.path());
  Camsim hevc("cam-h265", {.codec = "h265", .gop_seconds = 4}, dir.path());
  Camsim with_audio("cam-audio", {.audio = true}, dir.path());
  Camsim secured("cam-auth", {.user = "viewer", .password = "s3cret-digest"}, dir.path());

  RecorderRun recorder(dir.path(),
                       {{.id = "c1-h264", .url = plain.urls()[0]},
                        {.id = "c2-h265", .url = hevc.urls()[0], .transport = "udp"},
                        {.id = "c3-audio", .url = with_audio.urls()[0]},
                        {.id = "c4-auth", .url = secured.urls()[0], .username = "viewer", .password = "s3cret-digest"}},
                       10);
  std::this_thread::sleep_for(30s);
  ASSERT_TRUE(recorder.process().running()) << recorder.log();
  const auto stopped_at = std::chrono::system_clock::now();
  recorder.process().signal(SIGTERM);
  const auto exit_code = recorder.process().wait(5s);
  ASSERT_TRUE(exit_code.has_value()) << "recorder did not exit within 5 s of SIGTERM";
  EXPECT_EQ(*exit_code, 0) << recorder.log();

  check_camera(recorder.storage(), {"c1-h264", "h264", false}, stopped_at);
  check_camera(recorder.storage(), {"c2-h265", "hevc", false}, stopped_at);
  check_camera(recorder.storage(), {"c3-audio", "h264", true}, stopped_at);
  check_camera(recorder.storage(), {"c4-auth", "h264", false}, stopped_at);
  EXPECT_EQ(recorder.log().find("s3cret-digest"), std::string::npos) << "a camera password was logged";
}

TEST(Recording, WrongPasswordBacksOffWithAnAuthenticationErrorWhileOthersRecord) {
  ScratchDir dir;
  Camsim open_camera("cam-open", {}, dir.path());
  Camsim secured("cam-auth", {.user = "viewer", .password = "right-password"}, dir.path());
  RecorderRun recorder(dir.path(),
                       {{.id = "good", .url = open_camera.urls()[0]},
                        {.id = "locked", .url = secured.urls()[0], .username = "viewer", .password = "wrong-password"}},
                       5);
  std::this_thread::sleep_for(12s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0);

  const std::string log = recorder.log();
  EXPECT_NE(log.find("[camera locked] connecting -> backoff: authentication error"), std::string::npos);
  EXPECT_NE(log.find("authentication error"), std::string::npos) << log;
  EXPECT_EQ(log.find("[camera locked] recording\n"), std::string::npos);
  // The health line names the camera that is down and why.
  EXPECT_NE(log.find("health: 1/2 cameras recording; not recording: locked (backoff, never recorded: "
                     "authentication error"),
            std::string::npos)
      << log;
  EXPECT_TRUE(segments_of(recorder.storage(), "locked").empty());
  const auto good = segments_of(recorder.storage(), "good");
  ASSERT_FALSE(good.empty());
  EXPECT_GT(probe_media(good.front().path).video_seconds, 4.0);
  EXPECT_EQ(log.find("wrong-password"), std::string::npos) << "a camera password was logged";
  EXPECT_EQ(log.find("right-password"), std::string::npos);
}
