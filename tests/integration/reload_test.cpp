// SIGHUP re-reads the configuration: cameras added start, removed stop, changed restart, unchanged
// ones never pause; a broken file is rejected and the running cameras go on.

#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <thread>

#include "recorder/catalog/catalog.h"
#include "tests/support/media_probe.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

std::size_t started_after(const std::vector<SegmentFile>& segments, recorder::WallTime at) {
  return std::count_if(segments.begin(), segments.end(), [&](const SegmentFile& s) { return s.start > at; });
}

}  // namespace

TEST(Reload, SighupAppliesCameraChangesAndLeavesUnchangedCamerasAlone) {
  ScratchDir dir;
  Camsim fleet("cam-fleet", {.cameras = 3}, dir.path());
  Camsim old_c("cam-old-c", {}, dir.path());
  Camsim new_c("cam-new-c", {}, dir.path());
  Camsim d_camera("cam-d", {}, dir.path());
  const auto& urls = fleet.urls();
  RecorderRun recorder(dir.path(), {{.id = "a", .url = urls[0]}, {.id = "b", .url = urls[1]}, {.id = "c", .url = old_c.urls()[0]}},
                       4);
  std::this_thread::sleep_for(8s);
  ASSERT_FALSE(segments_of(recorder.storage(), "a").empty()) << recorder.log();

  write_recorder_config(dir.path(),
                        {{.id = "b", .url = urls[1]}, {.id = "c", .url = new_c.urls()[0]}, {.id = "d", .url = d_camera.urls()[0]}},
                        4);
  const auto reloaded = std::chrono::system_clock::now();
  recorder.process().signal(SIGHUP);
  std::this_thread::sleep_for(2s);
  // c's old camera goes away: whatever c records from now on comes from its new URL.
  old_c.process().signal(SIGKILL);
  old_c.process().wait(5s);
  std::this_thread::sleep_for(8s);

  const auto log = recorder.log();
  EXPECT_NE(log.find("reload: +1 camera (d), -1 (a), 1 restarted (c), 1 unchanged"), std::string::npos) << log;
  EXPECT_NE(log.find("[camera a] stopped; last segment finalised"), std::string::npos) << log;
  EXPECT_NE(log.find("[camera c] stopped; last segment finalised"), std::string::npos) << log;
  EXPECT_GE(segments_of(recorder.storage(), "d").size(), 2u) << log;
  EXPECT_EQ(started_after(segments_of(recorder.storage(), "a"), reloaded), 0u) << log;
  EXPECT_GE(started_after(segments_of(recorder.storage(), "c"), reloaded + 2s), 1u) << log;
  // b: one supervisor throughout (a new one would log stopped -> connecting again), never out of recording.
  EXPECT_EQ(count_of(log, "[camera b] state stopped -> connecting"), 1u) << log;
  EXPECT_EQ(log.find("[camera b] state recording ->"), std::string::npos) << log;
  EXPECT_EQ(log.find("[camera b] stopped"), std::string::npos) << log;

  // A broken file: rejected with where the problem is, and nothing stops.
  {
    std::ofstream broken(recorder.config(), std::ios::app);
    broken << "  - id: e\n    transport: tcp\n";  // no url
  }
  const auto rejected = std::chrono::system_clock::now();
  recorder.process().signal(SIGHUP);
  std::this_thread::sleep_for(9s);
  const auto later_log = recorder.log();
  EXPECT_TRUE(std::regex_search(later_log, std::regex(R"(reload rejected[^\n]*recorder\.yaml:[0-9]+)"))) << later_log;
  for (const char* id : {"b", "c", "d"})
    EXPECT_GE(started_after(segments_of(recorder.storage(), id), rejected), 1u) << id << "\n" << later_log;
  EXPECT_TRUE(segments_of(recorder.storage(), "e").empty());

  const auto stopped_at = std::chrono::system_clock::now();
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();
  EXPECT_EQ(count_of(recorder.log(), "[camera b] state stopped -> connecting"), 1u);

  // b's segments follow each other without a gap across both reloads, as outage_test's steady camera.
  const auto b_segments = segments_of(recorder.storage(), "b");
  ASSERT_GE(b_segments.size(), 6u);
  expect_contiguous(b_segments, stopped_at);
}

// A camera removed by one reload and added back by the next, before its supervisor has finalised: the
// new supervisor waits for it, so the camera's folder never has two writers and its recording runs
// never overlap. The second SIGHUP follows the first as soon as the log shows it applied.
TEST(Reload, ACameraAddedBackWhileStillFinalisingStartsAfterTheOldOneStopped) {
  ScratchDir dir;
  Camsim fleet("cam-fleet", {.cameras = 2}, dir.path());
  const std::vector<CameraEntry> both = {{.id = "a", .url = fleet.urls()[0]}, {.id = "b", .url = fleet.urls()[1]}};
  RecorderRun recorder(dir.path(), both, 4);
  std::this_thread::sleep_for(6s);
  ASSERT_FALSE(segments_of(recorder.storage(), "b").empty()) << recorder.log();

  write_recorder_config(dir.path(), {both[0]}, 4);
  recorder.process().signal(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (recorder.log().find("reload: +0 cameras, -1 (b)") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
  ASSERT_NE(recorder.log().find("reload: +0 cameras, -1 (b)"), std::string::npos) << recorder.log();
  write_recorder_config(dir.path(), both, 4);
  recorder.process().signal(SIGHUP);
  std::this_thread::sleep_for(9s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(10s), 0) << recorder.log();

  const auto log = recorder.log();
  const auto stopped = log.find("[camera b] stopped; last segment finalised");
  const auto second_start = log.find("[camera b] state stopped -> connecting", log.find("[camera b] state stopped -> connecting") + 1);
  ASSERT_NE(stopped, std::string::npos) << log;
  ASSERT_NE(second_start, std::string::npos) << "b was not added back\n" << log;
  EXPECT_LT(stopped, second_start) << "the new supervisor started before the old one had finalised\n" << log;

  recorder::catalog::Catalog view(recorder.storage(), recorder::catalog::Database::Mode::ReadOnly);
  const auto runs = view.runs("b", 0, INT64_MAX);
  ASSERT_GE(runs.size(), 2u) << log;
  for (std::size_t i = 1; i < runs.size(); ++i) {
    ASSERT_TRUE(runs[i - 1].ended_us.has_value());
    EXPECT_GE(runs[i].started_us, *runs[i - 1].ended_us) << "runs " << i - 1 << " and " << i << " overlap";
  }
  EXPECT_GE(segments_of(recorder.storage(), "b").size(), 3u) << "b records again after coming back\n" << log;
}
