// Crash recovery and storage identity, against the real recorder binary.

#include <csignal>
#include <gtest/gtest.h>
#include <random>
#include <thread>

#include "recorder/catalog/catalog.h"
#include "tests/support/media_probe.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;
namespace catalog = recorder::catalog;

TEST(StorageIdentity, RecorderRefusesStorageWithoutIdentityAndSaysWhy) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "storage");  // an empty mount point: the disk is missing
  RecorderRun recorder(dir.path(), {{.id = "a", .url = "rtsp://127.0.0.1:9/none"}}, 5, /*initialise_storage=*/false);
  const auto exit_code = recorder.process().wait(10s);
  ASSERT_TRUE(exit_code.has_value()) << "the recorder kept running on an uninitialised storage";
  EXPECT_EQ(*exit_code, 1);
  EXPECT_NE(recorder.log().find("has no onboard-recorder.id: refusing to record there"), std::string::npos)
      << recorder.log();
  EXPECT_NE(recorder.log().find("If the recording disk is not mounted, mount it"), std::string::npos);
  // Nothing was written: no camera directory, no catalog.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "storage"));
}

TEST(StorageIdentity, SecondRecorderOnTheSameStorageIsRefused) {
  ScratchDir dir;
  Camsim camera("cam", {}, dir.path());
  RecorderRun first(dir.path(), {{.id = "a", .url = camera.urls()[0]}}, 5);
  std::this_thread::sleep_for(2s);
  Process second("second-recorder", {RECORDER_PATH, "--config", first.config().string()}, dir.path());
  ASSERT_EQ(second.wait(10s), 1);
  EXPECT_NE(second.stderr_text().find("another recorder is using"), std::string::npos) << second.stderr_text();
  EXPECT_TRUE(first.process().running());
}

// kill -9 at random points, 20 times: after every restart the catalog is consistent, no complete
// segment is missing, and each camera lost at most what was in flight (the open fragment).
TEST(CrashRecovery, TwentyRandomKillsLeaveAConsistentCatalogAndLoseOnlyTheOpenFragment) {
  ScratchDir dir;
  Camsim cameras("cams", {.cameras = 3, .audio = true}, dir.path());
  RecorderRun recorder(dir.path(),
                       {{.id = "a", .url = cameras.urls()[0]}, {.id = "b", .url = cameras.urls()[1]},
                        {.id = "c", .url = cameras.urls()[2]}},
                       3);
  std::mt19937 random(20261130);
  std::uniform_int_distribution<int> run_ms(2500, 7000);
  std::vector<recorder::WallTime> kills;
  for (int run = 0; run < 20; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms(random)));
    ASSERT_TRUE(recorder.process().running()) << recorder.log();
    kills.push_back(std::chrono::system_clock::now());
    recorder.process().signal(SIGKILL);
    recorder.process().wait(5s);
    recorder.restart();  // recovers at start
    std::this_thread::sleep_for(500ms);
    std::string report;
    EXPECT_EQ(run_recorderctl(dir.path(), {"check", "--config", recorder.config().string()}, &report), 0) << report;
    EXPECT_NE(report.find("consistent:"), std::string::npos) << report;
  }
  std::this_thread::sleep_for(3s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();
  std::string report;
  ASSERT_EQ(run_recorderctl(dir.path(), {"check", "--config", recorder.config().string()}, &report), 0) << report;
  EXPECT_NE(report.find("consistent:"), std::string::npos) << report;

  catalog::Catalog catalog(recorder.storage(), catalog::Database::Mode::ReadOnly);
  for (const std::string camera : {"a", "b", "c"}) {
    SCOPED_TRACE("camera " + camera);
    const auto rows = catalog.segments(camera, 0, INT64_MAX);
    ASSERT_GT(rows.size(), 20u);
    for (const auto& row : rows) {
      EXPECT_TRUE(row.state == catalog::SegmentState::Complete || row.state == catalog::SegmentState::Recovered)
          << row.path << " " << catalog::to_string(row.state);
      ASSERT_TRUE(std::filesystem::exists(catalog.absolute(row.path))) << row.path;
    }
    // Before each kill, the footage reaches to within 2 s of it: the open fragment (1 s) plus the frames
    // queued for the muxer plus scheduling (the RTSP/TCP source has no jitter buffer to hold frames).
    for (const auto kill : kills) {
      const auto at = catalog::to_micros(kill);
      catalog::Micros covered_until = 0;
      for (const auto& row : rows)
        if (row.start_us < at) covered_until = std::max(covered_until, row.end_us.value_or(row.start_us));
      EXPECT_GT(covered_until, at - 2'000'000) << "footage before the kill at " << at << " ends "
                                               << (at - covered_until) / 1000 << " ms early";
    }
  }
}
