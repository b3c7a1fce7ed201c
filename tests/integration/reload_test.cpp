// SIGHUP re-reads the configuration: cameras added start, removed stop, changed restart, unchanged
// ones never pause; a broken file is rejected and the running cameras go on.

#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <thread>

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
