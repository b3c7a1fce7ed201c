#include "tests/support/recording_run.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <stdexcept>

#include "recorder/catalog/segment_layout.h"
#include "tests/support/media_probe.h"

namespace test_support {

ScratchDir::ScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/recorder-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (std::getenv("KEEP_TEST_DIRS") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

Camsim::Camsim(const std::string& name, const CamsimOptions& o, const std::filesystem::path& dir) {
  std::vector<std::string> argv = {CAMSIM_PATH, "--cameras", std::to_string(o.cameras), "--port",
                                   std::to_string(o.port), "--codec", o.codec, "--resolution", o.resolution,
                                   "--fps", std::to_string(o.fps), "--bitrate", std::to_string(o.bitrate_kbps),
                                   "--gop-seconds", std::to_string(o.gop_seconds)};
  if (o.audio) argv.push_back("--audio");
  if (!o.user.empty()) argv.insert(argv.end(), {"--user", o.user, "--password", o.password});
  if (o.session_timeout_seconds > 0)
    argv.insert(argv.end(), {"--session-timeout", std::to_string(o.session_timeout_seconds)});
  process_ = std::make_unique<Process>(name, argv, dir);
  if (!process_->wait_for_stdout_line("ready", std::chrono::seconds(60)))
    throw std::runtime_error("camsim " + name + " did not start: " + process_->stderr_text());
  std::istringstream lines(process_->stdout_text());
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("rtsp://", 0) == 0) urls_.push_back(line);
  const auto colon = urls_.at(0).rfind(':');
  port_ = std::stoi(urls_[0].substr(colon + 1));
}

std::filesystem::path write_recorder_config(const std::filesystem::path& dir, const std::vector<CameraEntry>& cameras,
                                            int segment_seconds, const std::string& storage_extra) {
  const auto config = dir / "recorder.yaml";
  std::ofstream out(config);
  out << "storage:\n  path: " << (dir / "storage").string() << "\n  segment_seconds: " << segment_seconds << "\n"
      << storage_extra;
  out << "log_level: debug\ncameras:\n";
  for (const auto& c : cameras) {
    out << "  - id: " << c.id << "\n    url: " << c.url << "\n    transport: " << c.transport << "\n";
    if (!c.username.empty()) out << "    username: " << c.username << "\n";
    if (!c.password.empty()) {
      const auto file = dir / (c.id + ".password");
      std::ofstream(file) << c.password << "\n";
      out << "    password_file: " << file.string() << "\n";
    }
  }
  return config;
}

int run_recorderctl(const std::filesystem::path& dir, const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {RECORDERCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  Process tool("recorderctl", argv, dir);
  const auto status = tool.wait(std::chrono::seconds(60));
  *output = tool.stdout_text() + tool.stderr_text();
  return status.value_or(-1);
}

RecorderRun::RecorderRun(const std::filesystem::path& dir, const std::vector<CameraEntry>& cameras,
                         int segment_seconds, bool initialise_storage, const std::string& storage_extra)
    : dir_(dir), storage_(dir / "storage"), config_(write_recorder_config(dir, cameras, segment_seconds, storage_extra)) {
  if (initialise_storage) {
    std::string output;
    if (run_recorderctl(dir, {"storage", "init", "--config", config_.string()}, &output) != 0)
      throw std::runtime_error("recorderctl storage init failed: " + output);
  }
  restart();
}

void RecorderRun::restart() {
  // Each start logs to its own file, so that a test can read what this start said.
  const std::string name = starts_++ == 0 ? "recorder" : "recorder-" + std::to_string(starts_);
  process_ = std::make_unique<Process>(name, std::vector<std::string>{RECORDER_PATH, "--config", config_.string()},
                                       dir_);
}

std::vector<SegmentFile> segments_of(const std::filesystem::path& storage, const std::string& camera_id) {
  std::vector<SegmentFile> files;
  const auto root = storage / camera_id;
  if (!std::filesystem::exists(root)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const auto name = recorder::catalog::parse_segment_file_name(entry.path().filename().string());
    if (name && name->camera_id == camera_id) files.push_back({entry.path(), name->start});
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  return files;
}

double seconds_between(recorder::WallTime from, recorder::WallTime to) {
  return std::chrono::duration<double>(to - from).count();
}

void expect_contiguous(const std::vector<SegmentFile>& segments, recorder::WallTime stopped_at) {
  ASSERT_FALSE(segments.empty());
  double total = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const double seconds = probe_media(segments[i].path).video_seconds;
    if (i + 1 < segments.size()) {
      EXPECT_NEAR(seconds_between(segments[i].start, segments[i + 1].start), seconds, 0.5) << segments[i].path;
    }
    total += seconds;
  }
  EXPECT_NEAR(total, seconds_between(segments.front().start, stopped_at), 1.0);
}

}  // namespace test_support
