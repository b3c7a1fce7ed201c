// Wall-clock steps (NTP/GPS corrections) while recording: the recorder runs in this process with a
// clock the test can step; the camera is a real camsim over RTSP.

#include <algorithm>
#include <atomic>
#include <functional>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include "recorder/app/recorder_daemon.h"
#include "recorder/catalog/storage_identity.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;
namespace catalog = recorder::catalog;

namespace {

// Real time, plus an offset the test changes to simulate a step of the wall clock.
class SteppableClock final : public recorder::Clock {
 public:
  recorder::WallTime wall_now() const override {
    return std::chrono::system_clock::now() + std::chrono::milliseconds(offset_ms_.load());
  }
  recorder::MonotonicTime monotonic_now() const override { return std::chrono::steady_clock::now(); }
  void step(std::chrono::milliseconds by) { offset_ms_ += by.count(); }

 private:
  std::atomic<std::int64_t> offset_ms_{0};
};

// Runs `action` on the daemon's main loop after `delay`.
void at(std::chrono::milliseconds delay, std::function<void()> action) {
  using Action = std::function<void()>;
  g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(delay.count()),
      [](gpointer data) -> gboolean {
        (*static_cast<Action*>(data))();
        return G_SOURCE_REMOVE;
      },
      new Action(std::move(action)), [](gpointer data) { delete static_cast<Action*>(data); });
}

}  // namespace

TEST(ClockStep, StepsForwardAndBackSplitSegmentsIntoSeparateRunsAndSpans) {
  gst_init(nullptr, nullptr);
  ScratchDir dir;
  Camsim camera("cam", {.gop_seconds = 1}, dir.path());
  recorder::config::Config config;
  config.storage.path = dir.path() / "storage";
  config.storage.segment_seconds = 60;  // any split in this test comes from a clock step
  config.cameras.push_back({.id = "door", .url = camera.urls()[0]});
  catalog::initialise_storage(config.storage.path);

  SteppableClock clock;
  {
    recorder::app::RecorderDaemon daemon(config, clock);
    at(7s, [&] { clock.step(30s); });
    at(14s, [&] { clock.step(-30s); });
    at(21s, [&] { daemon.stop(); });
    ASSERT_EQ(daemon.run(), 0);
  }

  catalog::Catalog catalog(config.storage.path, catalog::Database::Mode::ReadOnly);
  auto runs = catalog.runs("door", 0, INT64_MAX);  // ordered by wall-clock start
  ASSERT_EQ(runs.size(), 3u);
  // In recording order: before the steps, while 30 s ahead, after stepping back.
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_EQ(runs[0].end_reason, "clock step");
  EXPECT_EQ(runs[1].end_reason, "clock step");
  EXPECT_EQ(runs[2].end_reason, "stopped");

  // One segment per run, each as long as the time it really covered: nothing stretched by 30 s.
  const auto segments = catalog.segments("door", 0, INT64_MAX);
  ASSERT_EQ(segments.size(), 3u);
  double total = 0;
  for (const auto& segment : segments) {
    ASSERT_TRUE(segment.media_duration_us.has_value());
    EXPECT_LT(*segment.media_duration_us, 9'000'000) << segment.path;
    total += static_cast<double>(*segment.media_duration_us) / 1e6;
  }
  EXPECT_NEAR(total, 21.0, 2.0);

  // Queries stay ordered by wall time: the segment recorded last (after stepping back) comes before
  // the one recorded while the clock was 30 s ahead.
  EXPECT_LE(segments[0].start_us, segments[1].start_us);
  EXPECT_LE(segments[1].start_us, segments[2].start_us);
  EXPECT_EQ(segments[1].run_id, runs[2].id);
  EXPECT_EQ(segments[2].run_id, runs[1].id);

  // Spans never join footage across a step, even where the wall-clock times touch or overlap.
  const auto spans = catalog.spans("door", 0, INT64_MAX);
  ASSERT_EQ(spans.size(), 3u);
  for (std::size_t i = 0; i + 1 < spans.size(); ++i) EXPECT_NE(spans[i].run_id, spans[i + 1].run_id);
  const auto run_of = [&](std::size_t run) {
    for (const auto& span : spans)
      if (span.run_id == runs[run].id) return span;
    ADD_FAILURE() << "no span for run " << run;
    return catalog::Catalog::Span{};
  };
  const auto before = run_of(0), ahead = run_of(1), back = run_of(2);
  EXPECT_NEAR(static_cast<double>(ahead.start_us - before.end_us) / 1e6, 30.0, 1.5) << "forward step: a 30 s hole";
  EXPECT_NEAR(static_cast<double>(back.start_us - ahead.end_us) / 1e6, -30.0, 1.5) << "backward step: 30 s overlap";
}
