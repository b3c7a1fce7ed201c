#pragma once
// Building blocks of integration tests: a scratch directory, a camsim fleet, a recorder run, and the
// segment files it left.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "recorder/core/clock.h"
#include "tests/support/process.h"

namespace test_support {

// A fresh directory under $TMPDIR (or /tmp), removed afterwards unless KEEP_TEST_DIRS is set.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CamsimOptions {
  int cameras = 1;
  int port = 0;  // 0: any free port
  std::string codec = "h264";
  std::string resolution = "320x240";
  int fps = 25;
  int bitrate_kbps = 400;
  double gop_seconds = 1.0;
  bool audio = false;
  std::string user;
  std::string password;
  int session_timeout_seconds = 0;  // 0: the server's default (60 s)
};

// A running camsim; its URLs once it said "ready".
class Camsim {
 public:
  Camsim(const std::string& name, const CamsimOptions& options, const std::filesystem::path& dir);
  const std::vector<std::string>& urls() const { return urls_; }
  int port() const { return port_; }
  Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  std::vector<std::string> urls_;
  int port_ = 0;
};

struct CameraEntry {
  std::string id;
  std::string url;
  std::string username;
  std::string password;
  std::string transport = "tcp";
};

// Writes <dir>/recorder.yaml for `cameras`, storage in <dir>/storage; returns the config file.
// `storage_extra`: more YAML lines under `storage:` (indented by two spaces), e.g. a retention block.
std::filesystem::path write_recorder_config(const std::filesystem::path& dir, const std::vector<CameraEntry>& cameras,
                                            int segment_seconds, const std::string& storage_extra = "");

// Runs recorderctl with `args`; returns the exit code and puts stdout+stderr in `output`.
int run_recorderctl(const std::filesystem::path& dir, const std::vector<std::string>& args, std::string* output);

// The recorder binary recording `cameras` into <dir>/storage (initialised first unless told not to).
class RecorderRun {
 public:
  RecorderRun(const std::filesystem::path& dir, const std::vector<CameraEntry>& cameras, int segment_seconds,
              bool initialise_storage = true, const std::string& storage_extra = "");
  Process& process() { return *process_; }
  const std::filesystem::path& storage() const { return storage_; }
  const std::filesystem::path& config() const { return config_; }
  std::string log() const { return process_->stderr_text(); }
  // Starts the recorder again on the same configuration (after it stopped or was killed).
  void restart();

 private:
  std::filesystem::path dir_;
  std::filesystem::path storage_;
  std::filesystem::path config_;
  int starts_ = 0;
  std::unique_ptr<Process> process_;
};

struct SegmentFile {
  std::filesystem::path path;
  recorder::WallTime start;
};
// The camera's segment files, oldest first.
std::vector<SegmentFile> segments_of(const std::filesystem::path& storage, const std::string& camera_id);

double seconds_between(recorder::WallTime from, recorder::WallTime to);

// Expects one camera's segments to follow each other without a gap (each next one starts where the last
// ended, within 0.5 s of arrival jitter) and to add up to the run from the first start to `stopped_at`
// (within 1 s).
void expect_contiguous(const std::vector<SegmentFile>& segments, recorder::WallTime stopped_at);

}  // namespace test_support
