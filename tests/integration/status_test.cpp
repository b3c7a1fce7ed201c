// recorderctl status against the real recorder: OK while its camera records, DEGRADED naming the camera
// that is down, "not running" once the recorder has stopped.

#include <csignal>
#include <gtest/gtest.h>
#include <thread>

#include "recorder/core/clock_sync.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {

// Polls `recorderctl status` until its output contains `wanted` (or `timeout` passes); the last output.
std::string status_when(const ScratchDir& dir, const RecorderRun& recorder, const std::string& wanted, int* exit_code,
                        std::chrono::seconds timeout = 20s) {
  std::string output;
  for (const auto deadline = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < deadline;) {
    *exit_code = run_recorderctl(dir.path(), {"status", "--config", recorder.config().string()}, &output);
    if (output.find(wanted) != std::string::npos) break;
    std::this_thread::sleep_for(500ms);
  }
  return output;
}

// This machine's clock may not be synchronised (a container without NTP): the recorder rightly says
// so, and that is then the one reason it is not OK.
bool host_clock_synchronised() { return recorder::KernelClockSync().synchronised().value_or(true); }

}  // namespace

TEST(Status, OkWhileRecordingThenNotRunningAfterStop) {
  ScratchDir dir;
  Camsim camera("cam", {}, dir.path());
  RecorderRun recorder(dir.path(), {{.id = "c01-door-1a", .url = camera.urls()[0]}}, 5);

  int code = -1;
  std::string output = status_when(dir, recorder, "cameras: 1/1 recording", &code);
  ASSERT_NE(output.find("cameras: 1/1 recording"), std::string::npos) << output << recorder.log();
  EXPECT_NE(output.find("recorder: running"), std::string::npos) << output;
  EXPECT_NE(output.find("c01-door-1a"), std::string::npos) << output;
  if (host_clock_synchronised()) {
    EXPECT_EQ(code, 0) << output;
    EXPECT_NE(output.find("health: OK"), std::string::npos) << output;
  } else {
    EXPECT_EQ(code, 1) << output;
    EXPECT_NE(output.find("health: DEGRADED\n  - clock not synchronised\ncameras:"), std::string::npos) << output;
  }

  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();
  std::this_thread::sleep_for(11s);  // the status file goes stale after 10 s
  code = run_recorderctl(dir.path(), {"status", "--config", recorder.config().string()}, &output);
  EXPECT_EQ(code, 3) << output;
  EXPECT_NE(output.find("recorder not running"), std::string::npos) << output;
}

TEST(Status, DegradedNamingTheCameraThatIsDown) {
  ScratchDir dir;
  Camsim camera("cam", {}, dir.path());
  // Port 9 (discard) on loopback: nothing answers RTSP there.
  RecorderRun recorder(dir.path(),
                       {{.id = "c01-door-1a", .url = camera.urls()[0]},
                        {.id = "c02-door-1b", .url = "rtsp://127.0.0.1:9/stream"}},
                       5);
  int code = -1;
  const std::string output = status_when(dir, recorder, "cameras: 1/2 recording", &code);
  ASSERT_NE(output.find("cameras: 1/2 recording"), std::string::npos) << output << recorder.log();
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("health: DEGRADED"), std::string::npos) << output;
  EXPECT_NE(output.find("  - camera c02-door-1b not recording\n"), std::string::npos) << output;
  EXPECT_EQ(output.find("camera c01-door-1a not recording"), std::string::npos) << output;
  // The camera's line says why it is down.
  EXPECT_NE(output.find("c02-door-1b"), std::string::npos) << output;
  EXPECT_NE(output.find("never recorded"), std::string::npos) << output;

  recorder.process().signal(SIGTERM);
  EXPECT_EQ(recorder.process().wait(5s), 0) << recorder.log();
}
