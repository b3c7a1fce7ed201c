// The per-camera "recorded bytes/frames" counters behind /metrics: the recorder runs in this process so
// that the test can read its supervisors' counters and the files on disk at the same moment; the
// camera is a real camsim over RTSP.

#include <algorithm>
#include <csignal>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include "recorder/app/recorder_daemon.h"
#include "recorder/catalog/storage_identity.h"
#include "recorder/core/loop_timer.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;
namespace catalog = recorder::catalog;

namespace {

constexpr double fps = 25;  // camsim's default

struct Counts {
  std::uint64_t bytes = 0;
  std::uint64_t frames = 0;
};

Counts counts_of(const recorder::app::RecorderDaemon& daemon) {
  const auto cameras = daemon.camera_health();
  EXPECT_EQ(cameras.size(), 1u);
  return cameras.empty() ? Counts{} : Counts{cameras[0].recorded_bytes, cameras[0].recorded_frames};
}

std::uint64_t size_on_disk(const std::vector<SegmentFile>& files) {
  std::uint64_t total = 0;
  std::error_code gone;  // an empty abandoned segment may be removed while we look
  for (const auto& file : files) {
    const auto size = std::filesystem::file_size(file.path, gone);
    if (!gone) total += size;
  }
  return total;
}

// Every byte in the camera's files went through the counter before it was written, and the counter runs
// ahead of the files by at most what is being written: sizes before <= counter <= sizes after + slack.
void expect_bytes_match_files(const recorder::app::RecorderDaemon& daemon, const std::filesystem::path& storage,
                              const char* when) {
  const std::uint64_t before = size_on_disk(segments_of(storage, "door"));
  const Counts counts = counts_of(daemon);
  const std::uint64_t after = size_on_disk(segments_of(storage, "door"));
  EXPECT_GT(before, 0u) << when;
  EXPECT_GE(counts.bytes, before) << when;
  EXPECT_LE(counts.bytes, after + (1u << 20)) << when;
}

}  // namespace

TEST(RecordedCounters, CountWhatReachedTheFilesAndKeepCountingAcrossAReconnect) {
  gst_init(nullptr, nullptr);
  ScratchDir dir;
  auto camera = std::make_unique<Camsim>("cam", CamsimOptions{.gop_seconds = 1}, dir.path());
  const int port = camera->port();
  recorder::config::Config config;
  config.storage.path = dir.path() / "storage";
  config.storage.segment_seconds = 2;  // several completed files within the first seconds
  config.cameras.push_back({.id = "door", .url = camera->urls()[0]});
  catalog::initialise_storage(config.storage.path);

  recorder::SystemClock clock;
  Counts before_outage;
  recorder::WallTime came_back;
  {
    recorder::app::RecorderDaemon daemon(config, clock);
    recorder::run_after(10s, [&] {
      const auto files = segments_of(config.storage.path, "door");
      before_outage = counts_of(daemon);
      EXPECT_GE(files.size(), 3u);
      if (!files.empty()) {
        // Frames since the first segment's key frame, plus at most the GOP that came before it.
        const double seconds = seconds_between(files.front().start, clock.wall_now());
        EXPECT_GE(static_cast<double>(before_outage.frames), 0.85 * fps * seconds) << seconds << " s";
        EXPECT_LE(static_cast<double>(before_outage.frames), 1.15 * fps * seconds + fps) << seconds << " s";
      }
      expect_bytes_match_files(daemon, config.storage.path, "before the outage");
      camera->process().signal(SIGKILL);  // the camera loses power: its pipeline fails and is rebuilt
      camera->process().wait(5s);
      return false;
    });
    recorder::run_after(13s, [&] {
      camera = std::make_unique<Camsim>("cam-again", CamsimOptions{.port = port, .gop_seconds = 1}, dir.path());
      came_back = clock.wall_now();
      return false;
    });
    recorder::run_after(22s, [&] {
      const auto files = segments_of(config.storage.path, "door");
      const Counts now = counts_of(daemon);
      const auto resumed = std::find_if(files.begin(), files.end(), [&](const auto& f) { return f.start > came_back; });
      EXPECT_NE(resumed, files.end()) << "the camera did not record again after coming back";
      if (resumed != files.end()) {
        // The new pipeline's frames come on top of the old one's: a counter reset on rebuild fails here.
        const double seconds = seconds_between(resumed->start, clock.wall_now());
        EXPECT_GE(static_cast<double>(now.frames), before_outage.frames + 0.85 * fps * seconds) << seconds << " s";
        EXPECT_LE(static_cast<double>(now.frames), before_outage.frames + 1.15 * fps * seconds + 2 * fps) << seconds << " s";
      }
      // Includes the files from before the outage, which the new pipeline never wrote.
      expect_bytes_match_files(daemon, config.storage.path, "after the reconnect");
      daemon.stop();
      return false;
    });
    ASSERT_EQ(daemon.run(), 0);
  }
}
