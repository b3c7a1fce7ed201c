// The command line: the recorder's --check-config validates without recording, and says why not;
// recorderctl audit verify finds a tampered audit log and names the row.

#include <fstream>
#include <gtest/gtest.h>

#include "recorder/catalog/catalog.h"
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

int run_recorderctl(const ScratchDir& dir, const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {RECORDERCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  Process recorderctl("recorderctl", argv, dir.path());
  const auto status = recorderctl.wait(10s);
  *output = recorderctl.stdout_text() + recorderctl.stderr_text();
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

TEST(CommandLine, AuditVerifyPassesAnIntactLogAndNamesATamperedRow) {
  using recorder::catalog::Catalog;
  using recorder::catalog::Database;
  ScratchDir dir;
  const auto storage = dir.path() / "storage";
  std::filesystem::create_directories(storage);
  constexpr std::int64_t base = 1'796'032'800'000'000;  // 2026-11-30T10:00:00Z
  {
    Catalog catalog(storage, Database::Mode::ReadWrite);
    catalog.append_audit(base, "alice", "10.20.0.5", "login", "");
    catalog.append_audit(base + 60'000'000, "alice", "10.20.0.5", "export", R"({"camera":"c01"})");
    catalog.append_audit(base + 120'000'000, "-", "10.20.0.9", "login-failed", "bad password");
  }
  std::string output;
  EXPECT_EQ(run_recorderctl(dir, {"audit", "verify", "--storage", storage.string()}, &output), 0) << output;
  EXPECT_NE(output.find("audit log intact: 3 rows, head "), std::string::npos) << output;

  EXPECT_EQ(run_recorderctl(dir, {"audit", "show", "--storage", storage.string(), "--from", "2026-11-30T10:01:00Z"},
                            &output),
            0)
      << output;
  EXPECT_NE(output.find("2  2026-11-30T10:01:00.000Z  alice  10.20.0.5  export  {\"camera\":\"c01\"}"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find("login  "), std::string::npos) << "row 1 is before --from: " << output;

  {
    Catalog catalog(storage, Database::Mode::ReadWrite);
    catalog.database().execute(R"(UPDATE audit_log SET detail = '{"camera":"c02"}' WHERE id = 2)");
  }
  const auto config = dir.path() / "recorder.yaml";
  std::ofstream(config) << "storage:\n  path: " << storage.string()
                        << "\ncameras:\n  - {id: c1, url: \"rtsp://127.0.0.1:1/x\"}\n";
  EXPECT_EQ(run_recorderctl(dir, {"audit", "verify", "--config", config.string()}, &output), 1) << output;
  EXPECT_NE(output.find("row 2: hash does not match its contents"), std::string::npos) << output;
}
