// The recorder's command line: --check-config validates without recording, and says why not; and
// `recorderctl tls init`, which makes the API's key and certificate.

#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/recording_run.h"
#include "tests/support/tls_files.h"

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

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(CommandLine, TlsInitMakesAPrivateKeyAndACertificateForTheListenAddress) {
  ScratchDir dir;
  const auto config = dir.path() / "recorder.yaml";
  std::ofstream(config) << "storage:\n  path: " << (dir.path() / "storage").string()
                        << "\ncameras:\n  - {id: c1, url: \"rtsp://127.0.0.1:1/x\"}\n"
                           "api:\n  listen: 127.0.0.7:8443\n  tls:\n    cert: certs/api.tls.cert\n    key: keys/api.tls.key\n";
  const auto cert = dir.path() / "certs" / "api.tls.cert", key = dir.path() / "keys" / "api.tls.key";
  std::string output;
  ASSERT_EQ(run_recorderctl(dir.path(), {"tls", "init", "--config", config.string(), "--days", "30"}, &output), 0)
      << output;

  struct stat info {};
  ASSERT_EQ(stat(key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_TRUE(contains(read_file(key), "-----BEGIN PRIVATE KEY-----")) << "PEM expected";
  const std::string text = certificate_text(cert);
  for (const char* part : {"Subject: CN = onboard-recorder", "Issuer: CN = onboard-recorder", "IP Address:127.0.0.7",
                           "DNS:localhost", "CA:FALSE", "Digital Signature", "TLS Web Server Authentication",
                           "ASN1 OID: prime256v1"})
    EXPECT_TRUE(contains(text, part)) << "missing " << part << " in\n" << text;
  // The fingerprint printed is the certificate's: that is what laptops pin.
  const std::string fingerprint = certificate_fingerprint(cert);
  EXPECT_TRUE(contains(output, "SHA-256 fingerprint: " + fingerprint + "\n")) << output << fingerprint;

  // An existing pair is kept unless --force; with --force there is a new one.
  EXPECT_EQ(run_recorderctl(dir.path(), {"tls", "init", "--config", config.string()}, &output), 1) << output;
  EXPECT_TRUE(contains(output, key.string() + " exists: not overwriting it")) << output;
  EXPECT_EQ(certificate_fingerprint(cert), fingerprint);
  ASSERT_EQ(run_recorderctl(dir.path(), {"tls", "init", "--config", config.string(), "--force"}, &output), 0) << output;
  EXPECT_NE(certificate_fingerprint(cert), fingerprint);
  ASSERT_EQ(stat(key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);

  EXPECT_EQ(run_recorderctl(dir.path(), {"tls", "init", "--config", config.string(), "--days", "-3"}, &output), 2);
  EXPECT_TRUE(contains(output, "--days '-3' is not a number of days")) << output;
}

TEST(CommandLine, TlsInitSaysWhatIsMissingFromTheConfiguration) {
  ScratchDir dir;
  const auto config = dir.path() / "recorder.yaml";
  const std::string base = "storage:\n  path: " + (dir.path() / "storage").string() +
                           "\ncameras:\n  - {id: c1, url: \"rtsp://127.0.0.1:1/x\"}\n";
  std::ofstream(config) << base;
  std::string output;
  EXPECT_EQ(run_recorderctl(dir.path(), {"tls", "init", "--config", config.string()}, &output), 1);
  EXPECT_TRUE(contains(output, config.string() + " has no api: block")) << output;

  std::ofstream(config) << base << "api:\n  listen: 127.0.0.1:8080\n  insecure_http: true\n";
  EXPECT_EQ(run_recorderctl(dir.path(), {"tls", "init", "--config", config.string()}, &output), 1);
  EXPECT_TRUE(contains(output, config.string() + ": api has no tls: block")) << output;
}
