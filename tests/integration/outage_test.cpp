// A camera that disappears and comes back: it resumes quickly, and the other camera never pauses.

#include <csignal>
#include <gtest/gtest.h>
#include <thread>

#include "tests/support/media_probe.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

TEST(Outage, CameraBackWithinThreeSecondsAndOthersNeverPause) {
  ScratchDir dir;
  Camsim steady("cam-steady", {}, dir.path());
  auto flaky = std::make_unique<Camsim>("cam-flaky", CamsimOptions{}, dir.path());
  const int flaky_port = flaky->port();
  const std::string flaky_url = flaky->urls()[0];

  RecorderRun recorder(dir.path(), {{.id = "steady", .url = steady.urls()[0]}, {.id = "flaky", .url = flaky_url}}, 5);
  std::this_thread::sleep_for(8s);
  ASSERT_FALSE(segments_of(recorder.storage(), "flaky").empty()) << recorder.log();

  flaky->process().signal(SIGKILL);  // the camera loses power
  flaky->process().wait(5s);
  const auto went_away = std::chrono::system_clock::now();
  std::this_thread::sleep_for(10s);
  const auto segments_before = segments_of(recorder.storage(), "flaky").size();
  flaky = std::make_unique<Camsim>("cam-flaky-again", CamsimOptions{.port = flaky_port}, dir.path());
  const auto came_back = std::chrono::system_clock::now();
  std::this_thread::sleep_for(8s);
  const auto stopped_at = std::chrono::system_clock::now();
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();

  // The flaky camera: a new segment that starts within 3 s of the camera answering again.
  const auto flaky_segments = segments_of(recorder.storage(), "flaky");
  ASSERT_GT(flaky_segments.size(), segments_before) << recorder.log();
  const auto resumed = std::find_if(flaky_segments.begin(), flaky_segments.end(),
                                    [&](const SegmentFile& s) { return s.start > went_away; });
  ASSERT_NE(resumed, flaky_segments.end());
  EXPECT_LT(seconds_between(came_back, resumed->start), 3.0) << recorder.log();
  EXPECT_GT(probe_media(resumed->path).video_seconds, 4.0);

  // The steady camera: contiguous segments over the whole run, through the other camera's outage.
  const auto steady_segments = segments_of(recorder.storage(), "steady");
  ASSERT_GE(steady_segments.size(), 4u);
  expect_contiguous(steady_segments, stopped_at);
}

// A camera that keeps its connection open but stops sending (a hung encoder): the stall watchdog
// rebuilds its pipeline after 5 s, and recording resumes when data flows again.
TEST(Outage, StalledCameraIsRebuiltByTheWatchdogAndResumes) {
  ScratchDir dir;
  Camsim steady("cam-steady", {}, dir.path());
  Camsim frozen("cam-frozen", {}, dir.path());
  RecorderRun recorder(dir.path(), {{.id = "steady", .url = steady.urls()[0]}, {.id = "frozen", .url = frozen.urls()[0]}},
                       5);
  std::this_thread::sleep_for(6s);
  frozen.process().signal(SIGSTOP);  // the socket stays open; nothing more arrives
  std::this_thread::sleep_for(9s);
  EXPECT_NE(recorder.log().find("[camera frozen] recording -> backoff: camera unreachable: stalled"), std::string::npos)
      << recorder.log();
  frozen.process().signal(SIGCONT);
  const auto thawed = std::chrono::system_clock::now();
  std::this_thread::sleep_for(8s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();

  const auto segments = segments_of(recorder.storage(), "frozen");
  const auto resumed = std::find_if(segments.begin(), segments.end(),
                                    [&](const SegmentFile& s) { return s.start > thawed; });
  ASSERT_NE(resumed, segments.end()) << recorder.log();
  EXPECT_LT(seconds_between(thawed, resumed->start), 4.0);
  EXPECT_EQ(recorder.log().find("[camera steady] recording ->"), std::string::npos) << "the steady camera paused";
}
