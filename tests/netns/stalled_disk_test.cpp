// A recording disk that stalls, for real: an ext4 filesystem on a loop device, mounted as the recorder's
// storage and frozen (FIFREEZE, as `fsfreeze -f`) for 15 s: every write to it blocks in the kernel until
// it is thawed, as on a disk that hangs. (`dmsetup suspend` freezes the filesystem the same way; this
// machine's kernel has no device-mapper, so the test freezes it directly.) Two cameras record through
// the stall: one at 1 Mbit/s, whose 15 s fit in its frame queue, and one at 8 Mbit/s, whose do not.
// Needs root and loop devices (ctest label netns, the root-only tests); skipped otherwise. The
// filesystem is thawed and the devices released even when the test fails.

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <regex>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>

#include "tests/support/api_client.h"
#include "tests/support/api_rig.h"
#include "tests/support/http_client.h"
#include "tests/support/media_probe.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {

bool sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

std::string first_line_of(const std::string& command) {
  std::string line;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    if (fgets(buffer, sizeof buffer, pipe) != nullptr) line = buffer;
    pclose(pipe);
  }
  while (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

// An ext4 filesystem on a loop device over a sparse file, mounted at `mount_point` while this lives.
class StallableDisk {
 public:
  StallableDisk(const std::filesystem::path& image, const std::filesystem::path& mount_point, std::uintmax_t size)
      : mount_point_(mount_point) {
    std::ofstream(image).close();
    std::filesystem::resize_file(image, size);
    loop_ = first_line_of("losetup --find --show " + image.string() + " 2>/dev/null");
    std::filesystem::create_directories(mount_point);
    mounted_ = !loop_.empty() && sh("mkfs.ext4 -q -F " + loop_) &&
               mount(loop_.c_str(), mount_point.c_str(), "ext4", 0, nullptr) == 0;
    if (mounted_) root_ = open(mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  ~StallableDisk() {
    resume();
    if (root_ >= 0) close(root_);
    if (mounted_) umount2(mount_point_.c_str(), MNT_DETACH);
    if (!loop_.empty()) sh("losetup -d " + loop_);
  }
  bool ready() const { return root_ >= 0; }
  bool stall() {
    frozen_ = ioctl(root_, FIFREEZE, 0) == 0;
    return frozen_;
  }
  void resume() {
    if (frozen_) ioctl(root_, FITHAW, 0);
    frozen_ = false;
  }

 private:
  std::filesystem::path mount_point_;
  std::string loop_;
  bool mounted_ = false;
  int root_ = -1;
  bool frozen_ = false;
};

// Thaws the disk when the test leaves, first of all, so that no process stays stuck on it.
struct ResumeOnExit {
  StallableDisk& disk;
  ~ResumeOnExit() { disk.resume(); }
};

std::uint64_t rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // in kB
  return 0;
}

// The value of `metric{camera="<camera>"}` in a /metrics response; -1 if it is not there.
double metric(const std::string& text, const std::string& name, const std::string& camera) {
  const std::regex sample(name + "\\{camera=\"" + camera + "\"\\} ([0-9.e+]+)\n");
  std::smatch match;
  return std::regex_search(text, match, sample) ? std::stod(match[1]) : -1;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

}  // namespace

TEST(StalledDisk, CamerasKeepStreamingMemoryStaysBoundedOnlyWhatOverflowsIsDroppedAndRecordingGoesOn) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a loop device, mount and FIFREEZE";
  if (!sh("losetup --version") || !sh("mkfs.ext4 -V")) GTEST_SKIP() << "needs losetup and mkfs.ext4";
  ScratchDir dir;
  StallableDisk disk(dir.path() / "disk.img", dir.path() / "storage", 256u << 20);
  if (!disk.ready()) GTEST_SKIP() << "cannot mount an ext4 loop device here (no loop devices?)";

  Camsim slow("cam-slow", {.resolution = "640x360", .bitrate_kbps = 1000}, dir.path());
  Camsim fast("cam-fast", {.resolution = "1280x720", .bitrate_kbps = 8000}, dir.path());
  const auto config =
      write_recorder_config(dir.path(), {{.id = "slow", .url = slow.urls()[0]}, {.id = "fast", .url = fast.urls()[0]}}, 4);
  std::ofstream(config, std::ios::app) << "api:\n  listen: 127.0.0.1:0\n  insecure_http: true\n" << api_accounts(dir.path());
  std::string output;
  ASSERT_EQ(run_recorderctl(dir.path(), {"storage", "init", "--config", config.string()}, &output), 0) << output;
  Process recorder("recorder", {RECORDER_PATH, "--config", config.string()}, dir.path());
  const int port = api_port_from_log(recorder);
  ASSERT_NE(port, 0) << recorder.stderr_text();
  ResumeOnExit resume_on_exit{disk};

  std::this_thread::sleep_for(8s);
  ASSERT_TRUE(recorder.running()) << recorder.stderr_text();
  const std::uint64_t rss_before = rss_bytes(recorder.pid());
  ASSERT_TRUE(disk.stall());
  std::uint64_t rss_peak = rss_before;
  bool stayed_up = true;
  const auto sample_for = [&](std::chrono::milliseconds how_long) {
    for (auto until = std::chrono::steady_clock::now() + how_long; std::chrono::steady_clock::now() < until;) {
      rss_peak = std::max(rss_peak, rss_bytes(recorder.pid()));
      stayed_up = stayed_up && recorder.running();
      std::this_thread::sleep_for(200ms);
    }
  };
  sample_for(7s);  // the fast camera's queue is full after about 4 s
  const std::uint64_t rss_full = rss_peak;
  sample_for(8s);
  const std::uint64_t rss_stalled = rss_peak;
  disk.resume();
  const auto resumed = std::chrono::system_clock::now();
  sample_for(10s);  // the queues drain into the muxers
  EXPECT_TRUE(stayed_up) << recorder.stderr_text();
  const auto mib = [](std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
  std::cout << "recorder RSS (MiB): " << mib(rss_before) << " before the stall, " << mib(rss_full) << " after 7 s of it, "
            << mib(rss_stalled) << " after 15 s, " << mib(rss_peak) << " at most\n";

  // Memory levels off once the fast camera's queue is full: from then on only the slow camera's
  // 1 Mbit/s still piles up (1 MB in 8 s). A queue without bound would go on taking the fast
  // camera's 8 Mbit/s (8 MB in 8 s); the whole stall would cost 17 MiB instead of 7.
  EXPECT_LT(rss_stalled - rss_full, std::uint64_t{3} << 20);
  EXPECT_LT(rss_peak - rss_before, std::uint64_t{12} << 20);

  // Only the camera whose stall did not fit dropped frames, and said so twice, not once per frame.
  const std::string metrics =
      http_exchange("127.0.0.1", port, get_request("/metrics", basic_auth(viewer_user, password_of(viewer_user))));
  EXPECT_EQ(metric(metrics, "recorder_camera_dropped_frames_total", "slow"), 0.0) << metrics;
  EXPECT_EQ(metric(metrics, "recorder_camera_dropped_bytes_total", "slow"), 0.0) << metrics;
  EXPECT_GT(metric(metrics, "recorder_camera_dropped_frames_total", "fast"), 0) << metrics;
  EXPECT_GT(metric(metrics, "recorder_camera_dropped_bytes_total", "fast"), 3e6) << metrics;
  const std::string log = recorder.stderr_text();
  EXPECT_EQ(occurrences(log, "[camera fast] video-queue full"), 1u) << log;
  EXPECT_EQ(occurrences(log, "[camera fast] video-queue drained: dropped"), 1u) << log;
  EXPECT_EQ(log.find("[camera slow] video-queue full"), std::string::npos) << log;
  // The cameras' threads never waited for the disk: no stall watchdog, no reconnect.
  EXPECT_EQ(log.find("-> backoff"), std::string::npos) << log;

  recorder.signal(SIGTERM);
  ASSERT_EQ(recorder.wait(10s), 0) << recorder.stderr_text();
  const auto stopped = std::chrono::system_clock::now();
  for (const std::string camera : {"slow", "fast"}) {
    const auto segments = segments_of(dir.path() / "storage", camera);
    ASSERT_FALSE(segments.empty()) << camera;
    // Every segment, the ones that lived through the stall included, reads to its end and starts with a
    // key frame; and recording went on after the disk came back.
    for (const auto& segment : segments) {
      const MediaSummary media = probe_media(segment.path);
      EXPECT_TRUE(media.opened && media.error.empty()) << segment.path << ": " << media.error;
      EXPECT_TRUE(media.starts_with_key_frame) << segment.path;
      EXPECT_GT(media.video_frames, 0) << segment.path;
    }
    EXPECT_GT(seconds_between(resumed, segments.back().start), 0.0) << camera << ": nothing recorded after the stall";
  }
  // The slow camera lost nothing. The fast one kept its frames' time stamps: a segment that went through
  // the stall still reaches to the next one, but for its last GOP, of which only the key frame was kept
  // (the fragmented MP4 gives a last frame its nominal 40 ms, not the GOP's second).
  expect_contiguous(segments_of(dir.path() / "storage", "slow"), stopped);
  const auto fast_segments = segments_of(dir.path() / "storage", "fast");
  for (std::size_t i = 0; i + 1 < fast_segments.size(); ++i) {
    const double spacing = seconds_between(fast_segments[i].start, fast_segments[i + 1].start);
    const double seconds = probe_media(fast_segments[i].path).video_seconds;
    EXPECT_LE(seconds, spacing + 0.5) << fast_segments[i].path;
    EXPECT_GE(seconds, spacing - 1.5) << fast_segments[i].path;  // one GOP (1 s) short at most, and jitter
  }
}
