// The privilege split of docs/firewall.md ("Privileges"), end to end, in network namespaces this test
// creates:   camera (10.78.0.10) --veth-- cam0 recorder (10.78.0.1)
// As under systemd: the table is applied by `recorderctl firewall apply` holding CAP_NET_ADMIN only;
// the drop log is bound by nflog-opener, started for each connection to a Unix socket with
// CAP_NET_ADMIN only (systemd-socket-activate --accept, as recorder-nflog.socket does); the recorder
// runs with no capability at all. Needs root; skipped where namespaces cannot be created. Traffic never
// leaves these namespaces.

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "recorder/api/status_file.h"
#include "recorder/core/error.h"
#include "recorder/firewall/drop_log_handover.h"
#include "recorder/firewall/guard_report.h"
#include "recorder/firewall/nflog_socket.h"
#include "tests/support/network_namespaces.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string program(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"})
    if (access((std::string(dir) + "/" + name).c_str(), X_OK) == 0) return std::string(dir) + "/" + name;
  return "";
}

// Network namespaces named after this process, deleted with everything in them at the end.
class Namespaces {
 public:
  explicit Namespaces(const std::vector<std::string>& roles) {
    ok_ = true;
    for (const auto& role : roles) {
      names_.push_back("obr" + std::to_string(getpid()) + "-" + role);
      ok_ = ok_ && sh(ip_command() + " netns add " + names_.back()) && sh(ip_command() + " -n " + names_.back() + " link set lo up");
    }
  }
  ~Namespaces() {
    for (const auto& name : names_) sh(ip_command() + " netns del " + name);
  }
  const std::string& operator[](std::size_t i) const { return names_[i]; }
  bool ok() const { return ok_; }

 protected:
  bool ok_ = false;
  std::vector<std::string> names_;
};

// A camera namespace wired to the recorder's cam0, as on the train's camera segment.
class CameraLink : public Namespaces {
 public:
  CameraLink() : Namespaces({"rec", "cam"}) {
    const std::string ip = ip_command();
    const auto in = [&](std::size_t ns) { return ip + " -n " + names_[ns] + " "; };
    ok_ = ok_ && sh(ip + " link add cam0 netns " + recorder() + " type veth peer name eth0 netns " + camera()) &&
          sh(in(0) + "addr add 10.78.0.1/24 dev cam0") && sh(in(0) + "link set cam0 up") &&
          sh(in(1) + "addr add 10.78.0.10/24 dev eth0") && sh(in(1) + "link set eth0 up") &&
          sh(in(1) + "route add default via 10.78.0.1");
  }
  const std::string& recorder() const { return names_[0]; }
  const std::string& camera() const { return names_[1]; }
};

// argv that runs `command` with no capability but `keep` (e.g. "net_admin"; empty: none at all), as
// the units' CapabilityBoundingSet= does.
std::vector<std::string> with_only(const std::string& keep, std::vector<std::string> command) {
  std::vector<std::string> argv = {program("setpriv"), "--bounding-set=-all" + (keep.empty() ? "" : ",+" + keep),
                                   "--inh-caps=-all", "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

// recorder-nflog.socket with Accept=yes: one nflog-opener with CAP_NET_ADMIN only per connection.
std::vector<std::string> helper_socket(const fs::path& socket, const fs::path& config) {
  return with_only("net_admin", {program("systemd-socket-activate"), "--accept", "--listen=" + socket.string(),
                                 NFLOG_OPENER_PATH, "--config", config.string()});
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  for (const auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(100ms))
    if (condition()) return true;
  return condition();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Appends a network: block for the camera link to `config`; the helper's socket and the guard's
// result file live in `dir`.
void add_network(const fs::path& config, const fs::path& dir) {
  std::ofstream(config, std::ios::app) << "network:\n  camera_interfaces: [cam0]\n  camera_subnets: [10.78.0.0/24]\n"
                                          "  recorder_addresses: [10.78.0.1]\n  log_group: 7\n  verify_seconds: 3\n"
                                          "  drop_log_socket: " << (dir / "nflog.sock").string() << "\n"
                                       << "  guard_result_file: " << (dir / "guard-result.json").string() << "\n";
}

// `recorderctl firewall ARGS --config CONFIG` in namespace `ns`, with CAP_NET_ADMIN only, as the
// firewall units run it; its exit code, with its output in `output`.
int firewall_unit(const std::string& ns, const fs::path& dir, const fs::path& config, std::vector<std::string> args,
                  std::string* output) {
  std::vector<std::string> argv = {RECORDERCTL_PATH, "firewall"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--config", config.string()});
  Process unit("firewall-unit", in_namespace(ns, with_only("net_admin", argv)), dir);
  const auto status = unit.wait(30s);
  *output = unit.stdout_text() + unit.stderr_text();
  return status.value_or(-1);
}

class PrivilegeSplit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces";
    if (program("setpriv").empty()) GTEST_SKIP() << "setpriv (util-linux) is missing: cannot drop capabilities";
    if (program("systemd-socket-activate").empty())
      GTEST_SKIP() << "systemd-socket-activate is missing: cannot stand in for the socket unit";
  }
  ScratchDir scratch_;
  const fs::path dir = scratch_.path();
};

}  // namespace

TEST_F(PrivilegeSplit, ARecorderWithoutCapabilitiesAttributesDropsThroughTheHelper) {
  CameraLink net;
  if (!net.ok()) GTEST_SKIP() << "cannot create network namespaces and veth pairs here";
  const auto config = write_recorder_config(dir,
                                            {{.id = "door-a", .url = "rtsp://10.78.0.10:8554/cam/1"},
                                             {.id = "saloon-b", .url = "rtsp://10.78.0.11:8554/cam/1"}},
                                            5);
  add_network(config, dir);
  std::string output;
  ASSERT_EQ(run_recorderctl(dir, {"storage", "init", "--config", config.string()}, &output), 0) << output;

  // recorder-firewall.service: the table, applied with CAP_NET_ADMIN only.
  const std::vector<std::string> listing = {"--listing", (dir / "applied.nft").string()};
  ASSERT_EQ(firewall_unit(net.recorder(), dir, config, {"apply", listing[0], listing[1]}, &output), 0) << output;
  Process helper("nflog-socket", in_namespace(net.recorder(), helper_socket(dir / "nflog.sock", config)), dir);
  ASSERT_TRUE(eventually([&] { return fs::exists(dir / "nflog.sock"); }, 5s)) << helper.stderr_text();

  Process recorder("recorder", in_namespace(net.recorder(), with_only("", {RECORDER_PATH, "--config", config.string()})), dir);
  ASSERT_TRUE(eventually([&] { return contains(recorder.stderr_text(), "drop log received from the helper"); }, 10s))
      << recorder.stderr_text() << helper.stderr_text();
  EXPECT_TRUE(contains(recorder.stderr_text(), "runs without CAP_NET_ADMIN")) << "the recorder kept its capabilities";

  // The camera phones home (DNS to the internet) a few times; the kernel drops it, the recorder says who.
  ASSERT_TRUE(sh(ip_command() + " netns exec " + net.camera() +
                 " bash -c 'for i in 1 2 3 4 5; do echo probe >/dev/udp/198.51.100.2/53; sleep 0.2; done'"));
  EXPECT_TRUE(eventually([&] { return contains(recorder.stderr_text(), "blocked: camera door-a tried udp to 198.51.100.2:53"); }, 10s))
      << recorder.stderr_text();
  std::optional<recorder::api::StatusFile> status;
  const auto read_status = [&] { return (status = recorder::api::read_status_file(dir / "storage")).has_value(); };
  ASSERT_TRUE(eventually([&] { return read_status() && !status->status.blocked_packets.empty(); }, 5s) || status)
      << "no status file";
  EXPECT_EQ(status->status.drop_monitor_problem, "");
  for (const auto& reason : status->status.health_reasons) EXPECT_NE(reason, "blocked camera traffic not attributed");

  // The firewall's health comes from the units' result file: applied at "boot", then a drift repaired.
  EXPECT_TRUE(status->status.firewall_guarded);
  EXPECT_EQ(status->status.firewall_applied, true) << status->summary;
  ASSERT_TRUE(sh(ip_command() + " netns exec " + net.recorder() + " nft delete table inet onboard_recorder"));
  ASSERT_EQ(firewall_unit(net.recorder(), dir, config, {"guard", listing[0], listing[1]}, &output), 0) << output;
  EXPECT_TRUE(eventually([&] { return read_status() && status->status.firewall_drift_repairs == 1; }, 5s)) << status->summary;
  EXPECT_EQ(status->status.firewall_applied, true) << status->summary;
  EXPECT_TRUE(contains(recorder.stderr_text(), "firewall drift repaired by the guard (1 repair(s) since boot)"));
  // The guard stops (verify_seconds 3: silent after 9 s): the recorder says since when, DEGRADED.
  EXPECT_TRUE(eventually([&] { return read_status() && !status->status.firewall_applied; }, 15s)) << status->summary;
  EXPECT_EQ(status->status.health, "DEGRADED");
  EXPECT_TRUE(contains(status->summary, "firewall guard silent since ")) << status->summary;

  recorder.signal(SIGTERM);
  ASSERT_EQ(recorder.wait(10s), 0) << recorder.stderr_text();
  ASSERT_EQ(run_recorderctl(dir, {"firewall", "attempts", "--config", config.string()}, &output), 0) << output;
  EXPECT_TRUE(contains(output, "door-a udp 198.51.100.2:53 packets ")) << output;
  EXPECT_FALSE(contains(output, "saloon-b")) << "attributed to the wrong camera:\n" << output;
}

TEST_F(PrivilegeSplit, TheHelperHandsTheGroupToOneReaderAtATimeAndSaysWhyNot) {
  Namespaces net({"rec"});
  if (!net.ok()) GTEST_SKIP() << "cannot create network namespaces here";
  const auto config = write_recorder_config(dir, {{.id = "door-a", .url = "rtsp://10.78.0.10:8554/cam/1"}}, 5);
  add_network(config, dir);
  const auto socket = dir / "nflog.sock";
  Process helper("nflog-socket", in_namespace(net[0], helper_socket(socket, config)), dir);
  ASSERT_TRUE(eventually([&] { return fs::exists(socket); }, 5s)) << helper.stderr_text();

  auto first = recorder::firewall::fetch_drop_log(socket, 7, 5s);
  EXPECT_TRUE(recorder::firewall::is_nflog_socket(first.get()));
  try {
    recorder::firewall::fetch_drop_log(socket, 7, 5s);
    FAIL() << "a second reader got the group";
  } catch (const recorder::Error& e) {
    EXPECT_TRUE(contains(e.what(), "the drop-log helper refused: nflog group 7 already has a reader")) << e.what();
  }
  // Closing the socket releases the group: a restarted recorder gets it again.
  first.reset();
  try {
    recorder::firewall::fetch_drop_log(socket, 8, 5s);  // a recorder whose configuration says another group
    FAIL() << "accepted a group the configuration does not name";
  } catch (const recorder::Error& e) {
    EXPECT_TRUE(contains(e.what(), "bound nflog group 7, the configuration says 8")) << e.what();
  }
  // ... and the socket it refused was closed, releasing the group again.
  EXPECT_TRUE(recorder::firewall::fetch_drop_log(socket, 7, 5s)) << helper.stderr_text();
}

TEST_F(PrivilegeSplit, TheGuardWritesWhatItFoundForTheRecorder) {
  Namespaces net({"rec"});
  if (!net.ok()) GTEST_SKIP() << "cannot create network namespaces here";
  // A camera password file as on a train: the recorder user's, mode 0600. The units (root without
  // CAP_DAC_OVERRIDE) cannot read it, and must not need to.
  const auto config = write_recorder_config(
      dir, {{.id = "door-a", .url = "rtsp://10.78.0.10:8554/cam/1", .username = "admin", .password = "door-a-secret"}}, 5);
  ASSERT_EQ(chown((dir / "door-a.password").c_str(), 65534, 65534), 0);
  ASSERT_EQ(chmod((dir / "door-a.password").c_str(), 0600), 0);
  add_network(config, dir);
  const auto result_file = dir / "guard-result.json";
  const std::vector<std::string> listing = {"--listing", (dir / "applied.nft").string()};
  std::string output;

  ASSERT_EQ(firewall_unit(net[0], dir, config, {"apply", listing[0], listing[1]}, &output), 0) << output;
  auto result = recorder::firewall::read_guard_report(result_file);
  ASSERT_TRUE(result) << output;
  EXPECT_EQ(result->outcome, recorder::firewall::GuardOutcome::Applied);
  EXPECT_EQ(result->table_sha256.size(), 64u);
  EXPECT_EQ(fs::status(result_file).permissions() & fs::perms::others_read, fs::perms::others_read)
      << "the recorder's user could not read it";
  EXPECT_FALSE(contains(output, "door-a-secret"));

  ASSERT_EQ(firewall_unit(net[0], dir, config, {"guard", listing[0], listing[1]}, &output), 0) << output;
  result = recorder::firewall::read_guard_report(result_file);
  EXPECT_EQ(result->outcome, recorder::firewall::GuardOutcome::Verified);
  EXPECT_EQ(result->drift_repairs, 0);
  const auto verified_at = result->at;

  ASSERT_TRUE(sh(ip_command() + " netns exec " + net[0] + " nft delete table inet onboard_recorder"));
  ASSERT_EQ(firewall_unit(net[0], dir, config, {"guard", listing[0], listing[1]}, &output), 0) << output;
  result = recorder::firewall::read_guard_report(result_file);
  EXPECT_EQ(result->outcome, recorder::firewall::GuardOutcome::Repaired);
  EXPECT_EQ(result->detail, "the table was removed from outside");
  EXPECT_EQ(result->drift_repairs, 1);
  EXPECT_GE(result->at, verified_at);
  EXPECT_TRUE(sh(ip_command() + " netns exec " + net[0] + " nft list table inet onboard_recorder")) << "not restored";

  // A camera added to the configuration (and reloaded into the recorder): the next guard run applies the
  // table for it, without counting a drift, and the run after that finds it as applied.
  const auto grown = write_recorder_config(dir, {{.id = "door-a", .url = "rtsp://10.78.0.10:8554/cam/1", .username = "admin",
                                                  .password = "door-a-secret"},
                                                 {.id = "saloon-b", .url = "rtsp://10.78.0.11:8554/cam/1"}},
                                           5);
  ASSERT_EQ(grown, config);
  ASSERT_EQ(chown((dir / "door-a.password").c_str(), 65534, 65534), 0);
  ASSERT_EQ(chmod((dir / "door-a.password").c_str(), 0600), 0);
  add_network(config, dir);
  ASSERT_EQ(firewall_unit(net[0], dir, config, {"guard", listing[0], listing[1]}, &output), 0) << output;
  result = recorder::firewall::read_guard_report(result_file);
  EXPECT_EQ(result->outcome, recorder::firewall::GuardOutcome::Applied) << output;
  EXPECT_EQ(result->detail, "the configuration changed");
  EXPECT_EQ(result->drift_repairs, 1);
  EXPECT_TRUE(sh(ip_command() + " netns exec " + net[0] + " nft list table inet onboard_recorder | grep -q 10.78.0.11"))
      << "the table does not list the added camera";
  ASSERT_EQ(firewall_unit(net[0], dir, config, {"guard", listing[0], listing[1]}, &output), 0) << output;
  EXPECT_EQ(recorder::firewall::read_guard_report(result_file)->outcome, recorder::firewall::GuardOutcome::Verified)
      << output;

  // A guard that cannot do its job says why, in the file, and fails.
  EXPECT_NE(firewall_unit(net[0], dir, config, {"guard", "--listing", "/nonexistent/applied.nft"}, &output), 0);
  result = recorder::firewall::read_guard_report(result_file);
  EXPECT_EQ(result->outcome, recorder::firewall::GuardOutcome::Failed);
  EXPECT_TRUE(contains(result->detail, "cannot write /nonexistent/applied.nft")) << result->detail;
  EXPECT_EQ(result->drift_repairs, 1);
}
