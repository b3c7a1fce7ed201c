// The command lines: the recorder's --check-config validates without recording, and says why not;
// recorderctl audit verify finds a tampered audit log and names the row; recorderctl users manages the
// API's users file with passwords on standard input; recorderctl tls init makes the API's key and
// certificate.

#include <fstream>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "recorder/catalog/catalog.h"
#include "recorder/api/users.h"
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

// Runs recorderctl with `input` on its standard input; stdout and stderr go to `output`.
int run_recorderctl_with_input(const ScratchDir& dir, const std::vector<std::string>& args, const std::string& input,
                               std::string* output) {
  const auto input_file = dir.path() / "stdin.txt";
  std::ofstream(input_file, std::ios::trunc) << input;
  std::vector<std::string> argv = {RECORDERCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  Process tool("recorderctl-users", argv, dir.path(), input_file);
  const auto status = tool.wait(60s);
  *output = tool.stdout_text() + tool.stderr_text();
  return status.value_or(-1);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A configuration with an api: block whose users file is users.yaml beside it.
std::filesystem::path write_config_with_users_file(const ScratchDir& dir) {
  const auto config = dir.path() / "recorder.yaml";
  std::ofstream(config) << "storage:\n  path: " << (dir.path() / "storage").string()
                        << "\ncameras:\n  - {id: c1, url: \"rtsp://127.0.0.1:1/x\"}\n"
                        << "api:\n  listen: 127.0.0.1:0\n  insecure_http: true\n  users_file: users.yaml\n";
  return config;
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
  EXPECT_EQ(run_recorderctl(dir.path(), {"audit", "verify", "--storage", storage.string()}, &output), 0) << output;
  EXPECT_NE(output.find("audit log intact: 3 rows, head "), std::string::npos) << output;

  EXPECT_EQ(run_recorderctl(dir.path(), {"audit", "show", "--storage", storage.string(), "--from", "2026-11-30T10:01:00Z"},
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
  EXPECT_EQ(run_recorderctl(dir.path(), {"audit", "verify", "--config", config.string()}, &output), 1) << output;
  EXPECT_NE(output.find("row 2: hash does not match its contents"), std::string::npos) << output;
}

TEST(CommandLine, UsersAddListPasswdRoleRemoveWithPasswordsOnStandardInput) {
  ScratchDir dir;
  const auto config = write_config_with_users_file(dir);
  const auto users_file = dir.path() / "users.yaml";  // relative to the configuration's folder
  const std::string first_password = "correct horse battery", second_password = "another long passphrase";
  std::string all_output, output;
  const auto users = [&](std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "users");
    args.insert(args.end(), {"--config", config.string()});
    const int status = run_recorderctl_with_input(dir, args, input, &output);
    all_output += output;
    return status;
  };

  ASSERT_EQ(users({"add", "alice", "--role", "exporter"}, first_password + "\n"), 0) << output;
  EXPECT_TRUE(contains(output, "added alice (exporter)")) << output;
  struct stat info {};
  ASSERT_EQ(stat(users_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto alice = recorder::api::UserStore::load(users_file).find("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->role, recorder::api::Role::Exporter);
  EXPECT_TRUE(recorder::api::verify_password(alice->password_hash, first_password)) << "the newline is not part of it";

  EXPECT_EQ(users({"list"}), 0) << output;
  EXPECT_EQ(output, "alice exporter\n");

  EXPECT_EQ(users({"add", "bob", "--role", "viewer"}, "tiny-pw\n"), 1) << output;
  EXPECT_TRUE(contains(output, "password too short: it needs at least 10 characters")) << output;
  EXPECT_EQ(users({"add", "alice", "--role", "viewer"}, second_password + "\n"), 1) << output;
  EXPECT_TRUE(contains(output, "user 'alice' exists already")) << output;
  EXPECT_EQ(users({"add", "carol", "--role", "viewer"}), 1) << output;
  EXPECT_TRUE(contains(output, "no password on standard input")) << output;
  EXPECT_EQ(users({"list"}), 0) << output;
  EXPECT_EQ(output, "alice exporter\n") << "failed adds change nothing";

  ASSERT_EQ(users({"passwd", "alice"}, second_password + "\n"), 0) << output;
  alice = recorder::api::UserStore::load(users_file).find("alice");
  EXPECT_TRUE(recorder::api::verify_password(alice->password_hash, second_password));
  EXPECT_FALSE(recorder::api::verify_password(alice->password_hash, first_password));

  ASSERT_EQ(users({"role", "alice", "--role", "admin"}), 0) << output;
  EXPECT_EQ(users({"list"}), 0) << output;
  EXPECT_EQ(output, "alice admin\n");

  ASSERT_EQ(users({"remove", "alice"}), 0) << output;
  EXPECT_EQ(users({"list"}), 0) << output;
  EXPECT_TRUE(contains(output, "no users in")) << output;
  EXPECT_EQ(users({"remove", "alice"}), 1) << output;
  EXPECT_TRUE(contains(output, "no user 'alice'")) << output;

  EXPECT_EQ(users({"add", "dave", "--role", "root"}, second_password + "\n"), 2) << output;
  EXPECT_TRUE(contains(output, "--role must be viewer, exporter or admin")) << output;
  EXPECT_EQ(users({"add", "dave"}, second_password + "\n"), 2) << output;

  for (const std::string& secret : {first_password, second_password, std::string("tiny-pw"), std::string("$argon2")})
    EXPECT_FALSE(contains(all_output, secret)) << "printed: " << secret << "\n" << all_output;

  const auto no_api = dir.path() / "no-api.yaml";
  std::ofstream(no_api) << "storage:\n  path: /srv\ncameras:\n  - {id: c1, url: \"rtsp://127.0.0.1:1/x\"}\n";
  EXPECT_EQ(run_recorderctl_with_input(dir, {"users", "list", "--config", no_api.string()}, "", &output), 1);
  EXPECT_TRUE(contains(output, "has no api: block, so there is no users file")) << output;
}

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

// Six `recorderctl users add` at once: every user ends up in the file (they take turns on its lock
// instead of each loading it and saving over the others' additions).
TEST(CommandLine, UsersAddedAtTheSameTimeAreAllKept) {
  ScratchDir dir;
  const auto config = write_config_with_users_file(dir);
  std::vector<std::unique_ptr<Process>> runs;
  for (int i = 0; i < 6; ++i) {
    const std::string name = "user" + std::to_string(i);
    const auto input = dir.path() / (name + ".stdin");
    std::ofstream(input) << "a long enough passphrase " << i << "\n";
    runs.push_back(std::make_unique<Process>(
        "recorderctl-" + name,
        std::vector<std::string>{RECORDERCTL_PATH, "users", "add", name, "--role", "viewer", "--config", config.string()},
        dir.path(), input));
  }
  for (auto& run : runs) EXPECT_EQ(run->wait(60s), 0) << run->stdout_text() << run->stderr_text();
  const auto store = recorder::api::UserStore::load(dir.path() / "users.yaml");
  for (int i = 0; i < 6; ++i) {
    const auto user = store.find("user" + std::to_string(i));
    ASSERT_TRUE(user) << "user" << i << " was lost";
    EXPECT_TRUE(recorder::api::verify_password(user->password_hash, "a long enough passphrase " + std::to_string(i)));
  }
}

// While another run holds the users file's lock, a change waits for it and then lands; it neither
// saves over the holder's work nor gives up at once.
TEST(CommandLine, AUsersChangeWaitsForTheLockHeldByAnotherRun) {
  ScratchDir dir;
  const auto config = write_config_with_users_file(dir);
  const auto input = dir.path() / "password.stdin";
  std::ofstream(input) << "a long enough passphrase\n";
  const int held = open((dir.path() / "users.yaml.lock").c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(held, 0);
  ASSERT_EQ(flock(held, LOCK_EX), 0);
  Process run("recorderctl-waiting",
              {RECORDERCTL_PATH, "users", "add", "erin", "--role", "viewer", "--config", config.string()}, dir.path(), input);
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(run.running()) << "did not wait for the lock: " << run.stdout_text() << run.stderr_text();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "users.yaml")) << "changed the file under another run's lock";
  close(held);
  EXPECT_EQ(run.wait(30s), 0) << run.stdout_text() << run.stderr_text();
  EXPECT_TRUE(recorder::api::UserStore::load(dir.path() / "users.yaml").find("erin"));
}
