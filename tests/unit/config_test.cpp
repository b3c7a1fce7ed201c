// Configuration: every validation error names the file, the line and the key, and says what is wrong.

#include "tests/support/config_error.h"
#include "recorder/config/config.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace recorder::config;

namespace {

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("config-test-" + std::to_string(getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  // Loads `yaml` from a file and returns the error message (empty when it loaded).
  std::string error_of(const std::string& yaml) { return test_support::config_error_of(write("recorder.yaml", yaml)); }

  std::filesystem::path dir_;
};

const std::string good_camera = "  - id: c01\n    url: rtsp://192.0.2.10/stream1\n";

std::string with_cameras(const std::string& cameras) {
  return "storage:\n  path: /srv/footage\ncameras:\n" + cameras;
}

}  // namespace

TEST_F(ConfigFiles, ValidConfigGivesTypedValuesAndDefaults) {
  write("c02.pw", "hunter2\n");
  const auto file = write("recorder.yaml", with_cameras(good_camera +
                                                        "  - id: c02_cab\n    url: rtsp://192.0.2.11:8554/h264\n"
                                                        "    transport: udp\n    username: admin\n"
                                                        "    password_file: c02.pw\n    car: 3\n    position: cab\n"));
  const Config config = load_config(file);
  EXPECT_EQ(config.storage.path, "/srv/footage");
  EXPECT_EQ(config.storage.segment_seconds, 60);
  ASSERT_EQ(config.cameras.size(), 2u);
  EXPECT_EQ(config.cameras[0].transport, Transport::Tcp);
  EXPECT_TRUE(config.cameras[0].password.empty());
  EXPECT_EQ(config.cameras[1].transport, Transport::Udp);
  EXPECT_EQ(config.cameras[1].password.reveal(), "hunter2");  // relative to the config file, newline trimmed
  EXPECT_EQ(config.cameras[1].car, 3);
  EXPECT_EQ(config.cameras[1].position, "cab");
  EXPECT_EQ(config.storage.retention.max_age_days, 28);   // defaults
  EXPECT_EQ(config.storage.retention.max_protected_percent, 25);
  EXPECT_FALSE(config.cameras[0].max_bytes.has_value());
  EXPECT_FALSE(config.cameras[0].stall_buffer.has_value());
}

TEST_F(ConfigFiles, RetentionAndQuotasAreRead) {
  const auto file = write("recorder.yaml",
                          "storage:\n  path: /srv\n  retention:\n    max_age_days: 14\n    min_free_percent: 8\n"
                          "    min_free_bytes: 20G\n    max_protected_percent: 30\n    check_seconds: 5\n"
                          "cameras:\n" + good_camera + "    max_bytes: 512M\n    stall_buffer: 6M\n");
  const Config config = load_config(file);
  EXPECT_EQ(config.storage.retention.max_age_days, 14);
  EXPECT_EQ(config.storage.retention.min_free_percent, 8);
  EXPECT_EQ(config.storage.retention.min_free_bytes, 20ULL << 30);
  EXPECT_EQ(config.storage.retention.max_protected_percent, 30);
  EXPECT_EQ(config.storage.retention.check_seconds, 5);
  EXPECT_EQ(config.cameras[0].max_bytes, 512ULL << 20);
  EXPECT_EQ(config.cameras[0].stall_buffer, 6ULL << 20);
  // The floor is the larger of the two: 8 % of 100 GiB is 8 GiB, less than 20 GiB.
  EXPECT_EQ(free_space_floor(config.storage.retention, 100ULL << 30), 20ULL << 30);
  EXPECT_EQ(free_space_floor(config.storage.retention, 1000ULL << 30), (1000ULL << 30) / 100 * 8);
}

struct BadConfig {
  const char* name;
  std::string yaml;
  std::vector<std::string> message_parts;  // each must appear in the error
};

void PrintTo(const BadConfig& config, std::ostream* out) { *out << config.name; }

class BadConfigs : public ConfigFiles, public ::testing::WithParamInterface<BadConfig> {};

TEST_P(BadConfigs, AreRejectedWithAMessageNamingTheProblem) {
  const std::string message = error_of(GetParam().yaml);
  ASSERT_FALSE(message.empty()) << "accepted a bad configuration";
  EXPECT_NE(message.find("recorder.yaml:"), std::string::npos) << message;
  for (const auto& part : GetParam().message_parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Validation, BadConfigs,
    ::testing::Values(
        BadConfig{"MissingStorage", "cameras:\n" + good_camera, {"missing required key 'storage'"}},
        BadConfig{"MissingStoragePath", "storage:\n  segment_seconds: 60\ncameras:\n" + good_camera,
                  {":2:", "storage", "missing required key 'path'"}},
        BadConfig{"MissingCameraUrl", with_cameras("  - id: c01\n"), {":4:", "cameras[0]", "'url'"}},
        BadConfig{"MissingCameraId", with_cameras("  - url: rtsp://192.0.2.10/\n"), {"cameras[0]", "'id'"}},
        BadConfig{"NoCameras", "storage:\n  path: /srv\ncameras: []\n", {"cameras", "at least one camera"}},
        BadConfig{"CamerasNotAList", "storage:\n  path: /srv\ncameras:\n  id: c01\n", {"cameras", "must be a list"}},
        BadConfig{"SegmentSecondsNotANumber", "storage:\n  path: /srv\n  segment_seconds: often\ncameras:\n" + good_camera,
                  {":3:", "storage.segment_seconds", "whole number", "'often'"}},
        BadConfig{"SegmentSecondsOutOfRange", "storage:\n  path: /srv\n  segment_seconds: 0\ncameras:\n" + good_camera,
                  {"storage.segment_seconds", "between 2 and 3600"}},
        BadConfig{"StoragePathRelative", "storage:\n  path: footage\ncameras:\n" + good_camera,
                  {"storage.path", "absolute"}},
        BadConfig{"StorageNotAMapping", "storage: /srv\ncameras:\n" + good_camera, {"storage", "mapping"}},
        BadConfig{"UrlIsAList", with_cameras("  - id: c01\n    url: [a, b]\n"), {"cameras[0].url", "single value"}},
        BadConfig{"DuplicateId", with_cameras(good_camera + good_camera), {":6:", "cameras[1].id", "duplicate camera id 'c01'"}},
        BadConfig{"BadIdCharacters", with_cameras("  - id: c01/../etc\n    url: rtsp://192.0.2.10/\n"),
                  {"cameras[0].id", "not a valid camera id"}},
        BadConfig{"UnknownTopLevelKey", with_cameras(good_camera) + "retention: forever\n",
                  {":6:", "retention", "unknown key"}},
        BadConfig{"UnknownCameraKey", with_cameras(good_camera + "    pasword: x\n"),
                  {":6:", "cameras[0].pasword", "unknown key", "password"}},
        BadConfig{"UrlNotRtsp", with_cameras("  - id: c01\n    url: http://192.0.2.10/video\n"),
                  {"cameras[0].url", "rtsp://"}},
        BadConfig{"UrlMalformed", with_cameras("  - id: c01\n    url: \"rtsp://[::1/x\"\n"),
                  {"cameras[0].url", "not a valid URL"}},
        BadConfig{"UrlWithPassword", with_cameras("  - id: c01\n    url: rtsp://admin:pw@192.0.2.10/\n"),
                  {"cameras[0].url", "must not contain a password"}},
        BadConfig{"BadTransport", with_cameras(good_camera + "    transport: http\n"),
                  {"cameras[0].transport", "'tcp' or 'udp'"}},
        BadConfig{"UnreadablePasswordFile",
                  with_cameras(good_camera + "    username: admin\n    password_file: /nonexistent/pw\n"),
                  {"cameras[0].password_file", "cannot read password file '/nonexistent/pw'"}},
        BadConfig{"PasswordAndPasswordFile",
                  with_cameras(good_camera + "    username: a\n    password: x\n    password_file: /x\n"),
                  {"cameras[0].password_file", "not both"}},
        BadConfig{"PasswordWithoutUser", with_cameras(good_camera + "    password: x\n"),
                  {"cameras[0].password", "'username'"}},
        BadConfig{"RetentionUnknownKey", "storage:\n  path: /srv\n  retention:\n    max_age: 28\ncameras:\n" + good_camera,
                  {":4:", "storage.retention.max_age", "unknown key", "max_age_days"}},
        BadConfig{"RetentionBadSize",
                  "storage:\n  path: /srv\n  retention:\n    min_free_bytes: 20 gigs\ncameras:\n" + good_camera,
                  {"storage.retention.min_free_bytes", "500M, 20G or 2T", "'20 gigs'"}},
        BadConfig{"RetentionPercentOutOfRange",
                  "storage:\n  path: /srv\n  retention:\n    max_protected_percent: 120\ncameras:\n" + good_camera,
                  {"storage.retention.max_protected_percent", "between 0 and 100"}},
        BadConfig{"CameraQuotaBadUnit", with_cameras(good_camera + "    max_bytes: 5X\n"),
                  {"cameras[0].max_bytes", "'5X'"}},
        BadConfig{"CameraStallBufferTooLarge", with_cameras(good_camera + "    stall_buffer: 1G\n"),
                  {"cameras[0].stall_buffer", "between 256K and 64M"}},
        BadConfig{"BadLogLevel", with_cameras(good_camera) + "log_level: loud\n", {"log_level", "'loud'"}},
        BadConfig{"NotYaml", "storage: [unclosed\n", {"not valid YAML"}},
        BadConfig{"EmptyFile", "", {"(top level)", "mapping"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ConfigFiles, MissingFileIsReported) {
  try {
    load_config(dir_ / "absent.yaml");
    FAIL() << "loaded a missing file";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.yaml: cannot open"), std::string::npos) << e.what();
  }
}

// The privileged firewall units load the configuration without the cameras' secrets: they cannot read
// the recorder user's password files, and must not need to (only addresses matter to the firewall).
TEST_F(ConfigFiles, SkippingSecretsNeverOpensPasswordFilesButStillChecksTheKeys) {
  const auto file = write("recorder.yaml", with_cameras(good_camera + "    username: admin\n"
                                                        "    password_file: /nonexistent/pw\n"));
  const Config config = load_config(file, CameraSecrets::Skip);
  ASSERT_EQ(config.cameras.size(), 1u);
  EXPECT_TRUE(config.cameras[0].password.empty());
  EXPECT_EQ(config.cameras[0].url, "rtsp://192.0.2.10/stream1");
  EXPECT_THROW(load_config(file), ConfigError);  // the recorder itself does read it

  const auto without_user = write("no-user.yaml", with_cameras(good_camera + "    password_file: /nonexistent/pw\n"));
  EXPECT_THROW(load_config(without_user, CameraSecrets::Skip), ConfigError);
}

TEST_F(ConfigFiles, ErrorsNeverContainThePassword) {
  const std::string message = error_of(with_cameras(good_camera + "    password: hunter2-secret\n"));
  ASSERT_FALSE(message.empty());
  EXPECT_EQ(message.find("hunter2-secret"), std::string::npos) << message;
}

// The shipped example configurations stay valid.
TEST_F(ConfigFiles, ExampleTrainConfigHasFiftyValidCameras) {
  const auto copy = dir_ / "icng-train.yaml";
  std::filesystem::copy_file(std::filesystem::path(SOURCE_DIR) / "config/icng-train.yaml", copy);
  std::filesystem::create_directories(dir_ / "camera-passwords");
  const Config probe_ids = [&] {
    // Password files are per camera: create one for each id the file names.
    std::ifstream in(copy);
    for (std::string line; std::getline(in, line);) {
      const auto at = line.find("password_file: camera-passwords/");
      if (at != std::string::npos) std::ofstream(dir_ / line.substr(at + 15)) << "pw\n";
    }
    return load_config(copy);
  }();
  EXPECT_EQ(probe_ids.cameras.size(), 50u);
  for (const auto& camera : probe_ids.cameras) {
    EXPECT_TRUE(camera.car.has_value()) << camera.id;
    EXPECT_FALSE(camera.position.empty()) << camera.id;
    EXPECT_EQ(camera.password.reveal(), "pw") << camera.id;
  }
}

TEST_F(ConfigFiles, DemoConfigLoads) {
  const Config demo = load_config(std::filesystem::path(SOURCE_DIR) / "config/demo.yaml");
  EXPECT_EQ(demo.cameras.size(), 8u);
}
