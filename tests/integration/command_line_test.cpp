// The recorder's command line: --check-config validates without recording, and says why not.

#include <fstream>
#include <gtest/gtest.h>

#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {

int run_recorder(const ScratchDir& dir, const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {RECORDER_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  Process recorder("recorder-cli", argv, dir.path());
  const auto status = recorder.wait(10s);
  *output = recorder.stdout_text() + recorder.stderr_text();
  return status.value_or(-1);
}

}  // namespace

TEST(CommandLine, CheckConfigAcceptsAValidFileWithoutRecording) {
  ScratchDir dir;
  const auto config = dir.path() / "ok.yaml";
  std::ofstream(config) << "storage:\n  path: " << (dir.path() / "storage").string()
                        << "\ncameras:\n  - {id: c1, url: \"rtsp://127.0.0.1:1/x\"}\n";
  std::string output;
  EXPECT_EQ(run_recorder(dir, {"--config", config.string(), "--check-config"}, &output), 0) << output;
  EXPECT_NE(output.find("configuration OK: 1 camera(s)"), std::string::npos) << output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "storage")) << "--check-config must not touch storage";
}

TEST(CommandLine, CheckConfigRejectsABadFileNamingLineAndKey) {
  ScratchDir dir;
  const auto config = dir.path() / "bad.yaml";
  std::ofstream(config) << "storage:\n  path: /srv\ncameras:\n  - {id: c1, url: \"rtsp://127.0.0.1/x\", colour: red}\n";
  std::string output;
  EXPECT_EQ(run_recorder(dir, {"--config", config.string(), "--check-config"}, &output), 1);
  EXPECT_NE(output.find("bad.yaml:4: cameras[0].colour: unknown key"), std::string::npos) << output;
}

TEST(CommandLine, UsageErrorsExitWithTwo) {
  ScratchDir dir;
  std::string output;
  EXPECT_EQ(run_recorder(dir, {}, &output), 2);
  EXPECT_NE(output.find("--config FILE is required"), std::string::npos) << output;
  EXPECT_EQ(run_recorder(dir, {"--config", "x.yaml", "--frobnicate"}, &output), 2);
  EXPECT_NE(output.find("unknown argument '--frobnicate'"), std::string::npos) << output;
}
