// Camera segment isolation: the network: block of the configuration, the firewall plan, the nft ruleset
// rendered from it (golden files plus properties of hand-built plans), the attribution of dropped packets,
// and whether the kernel accepts the rendered rulesets (in a private network namespace only).
//
// Golden files: tests/data/firewall/<config>.nft. After an intended change to the renderer, regenerate
// them with UPDATE_GOLDEN=1 tests/unit_tests --gtest_filter='FirewallGolden.*' and read the diff.

#include "tests/support/config_error.h"
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "recorder/config/config.h"
#include "recorder/config/network_config.h"
#include "recorder/core/error.h"
#include "recorder/firewall/blocked_attempt.h"
#include "recorder/firewall/firewall_plan.h"
#include "recorder/firewall/nft_table.h"
#include "recorder/firewall/ruleset_renderer.h"

using namespace recorder::config;
using namespace recorder::firewall;

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------------------
// Helpers

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The rule lines of chain `name` (between "chain NAME {" and its closing brace), without indentation and
// without the base chain's "type ... hook ..." declaration.
std::vector<std::string> chain_rules(const std::string& script, const std::string& name) {
  std::vector<std::string> rules;
  bool inside = false;
  for (const auto& line : lines_of(script)) {
    const auto start = line.find_first_not_of('\t');
    const std::string body = start == std::string::npos ? "" : line.substr(start);
    if (!inside) {
      inside = body == "chain " + name + " {";
      continue;
    }
    if (body == "}") break;
    if (!body.empty() && body.rfind("type ", 0) != 0) rules.push_back(body);
  }
  return rules;
}

// Index of the first rule containing `needle`, or -1.
int rule_index(const std::vector<std::string>& rules, const std::string& needle) {
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (contains(rules[i], needle)) return static_cast<int>(i);
  return -1;
}

std::string joined(const std::vector<std::string>& rules) {
  std::string text;
  for (const auto& r : rules) text += r + "\n";
  return text;
}

// A resolver for configurations that only use addresses: any lookup is a test failure.
std::vector<std::string> no_lookups(const std::string& host) {
  ADD_FAILURE() << "unexpected host name lookup of '" << host << "'";
  return {};
}

// A temporary directory per test, removed afterwards.
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("firewall-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  // config/icng-train.yaml copied here, with a password file for every camera it names.
  fs::path train_config() {
    const auto copy = dir_ / "icng-train.yaml";
    fs::copy_file(fs::path(SOURCE_DIR) / "config/icng-train.yaml", copy, fs::copy_options::overwrite_existing);
    fs::create_directories(dir_ / "camera-passwords");
    std::ifstream in(copy);
    for (std::string line; std::getline(in, line);) {
      const auto at = line.find("password_file: camera-passwords/");
      if (at != std::string::npos) std::ofstream(dir_ / line.substr(at + 15)) << "pw\n";
    }
    return copy;
  }

  static fs::path demo_config() { return fs::path(SOURCE_DIR) / "config/demo.yaml"; }

  fs::path dir_;
};

std::string render_config(const fs::path& file) { return render_ruleset(plan_firewall(load_config(file), no_lookups)); }

fs::path golden_path(const std::string& name) { return fs::path(SOURCE_DIR) / "tests/data/firewall" / (name + ".nft"); }

// Compares `actual` with the golden file byte for byte, or rewrites it when UPDATE_GOLDEN=1.
void check_golden(const std::string& name, const std::string& actual) {
  const fs::path path = golden_path(name);
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    std::cout << "note: UPDATE_GOLDEN=1: rewrote " << path.string() << " (" << actual.size()
              << " bytes); read the diff before committing it\n";
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path.string() << "; generate it with UPDATE_GOLDEN=1";
  std::ostringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "the rendered ruleset differs from " << path.string()
                                    << "; if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff";
}

// Properties every rendered ruleset of a configuration must have: each camera is attributed by its own
// rule (its address, its log prefix, the log group, its own counter) and its counter is declared.
void expect_every_camera_attributed(const std::string& script, const FirewallPlan& plan) {
  const auto from_cameras = chain_rules(script, "from_cameras");
  const std::string group = std::to_string(plan.network.log_group);
  std::set<std::string> counters;
  for (std::size_t i = 0; i < plan.cameras.size(); ++i) {
    const auto& camera = plan.cameras[i];
    const std::string family = camera.address.find(':') == std::string::npos ? "ip" : "ip6";
    const std::string rule = family + " saddr " + camera.address + " log prefix \"obr " + camera.id + ": \" group " +
                             group + " counter name " + camera_counter_name(i) + " drop";
    EXPECT_EQ(std::count(from_cameras.begin(), from_cameras.end(), rule), 1) << "rule for camera " << camera.id << ": " << rule;
    EXPECT_EQ(count_of(script, "counter " + camera_counter_name(i) + " { comment \"" + camera.id + "\" }"), 1u)
        << "counter declaration of camera " << camera.id;
    EXPECT_TRUE(counters.insert(camera_counter_name(i)).second) << "counter name reused: " << camera_counter_name(i);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Hand-built plans

NetworkConfig v4_network() {
  NetworkConfig net;
  net.camera_interfaces = {"cam0", "cam1.64"};
  net.camera_subnets = {"192.0.2.0/24"};
  net.recorder_addresses = {"192.0.2.1"};
  return net;
}

FirewallPlan v4_plan() {
  FirewallPlan plan;
  plan.network = v4_network();
  plan.cameras = {{"c1-door-1a", "192.0.2.10", 554}, {"c1-cab", "192.0.2.11", 8554}, {"c2-door-1a", "192.0.2.12", 554}};
  return plan;
}

// Cameras of both families, recorder addresses of both families.
FirewallPlan dual_plan() {
  FirewallPlan plan;
  plan.network = v4_network();
  plan.network.camera_subnets = {"192.0.2.0/24", "2001:db8::/64"};
  plan.network.recorder_addresses = {"192.0.2.1", "2001:db8::1"};
  plan.cameras = {{"v4cam", "192.0.2.10", 554}, {"v6cam-a", "2001:db8::20", 554}, {"v6cam-b", "2001:db8::21", 10554}};
  return plan;
}

}  // namespace

// =========================================================================================================
// Golden files: the rulesets of the shipped configurations.

class FirewallGolden : public TempDir {};

TEST_F(FirewallGolden, DemoConfigRendersTheGoldenRuleset) {
  const std::string script = render_config(demo_config());
  check_golden("demo", script);
}

TEST_F(FirewallGolden, TrainConfigRendersTheGoldenRuleset) {
  const std::string script = render_config(train_config());
  check_golden("icng-train", script);
}

TEST_F(FirewallGolden, TrainRulesetAttributesAllFiftyCameras) {
  const Config config = load_config(train_config());
  const FirewallPlan plan = plan_firewall(config, no_lookups);
  ASSERT_EQ(plan.cameras.size(), 50u);
  const std::string script = render_ruleset(plan);
  expect_every_camera_attributed(script, plan);
  // Every camera's RTSP port, from its URL: the train's URLs all use 554, written (":554/") or by default.
  for (std::size_t i = 0; i < config.cameras.size(); ++i) {
    EXPECT_EQ(plan.cameras[i].id, config.cameras[i].id);
    EXPECT_EQ(plan.cameras[i].rtsp_port, 554) << config.cameras[i].url;
  }
  const auto out = chain_rules(script, "recorder_to_cameras");
  EXPECT_NE(rule_index(out, "ip daddr @cameras_v4 tcp dport { 554 } accept"), -1) << joined(out);
  // serve_ntp: true, serve_dhcp: false; an IPv4-only segment.
  const auto in = chain_rules(script, "from_cameras");
  EXPECT_NE(rule_index(in, "ip daddr @recorder_v4 udp dport 123 accept"), -1) << joined(in);
  EXPECT_FALSE(contains(script, "dport 67"));
  EXPECT_FALSE(contains(script, "ip6 "));
  EXPECT_TRUE(contains(script, "iifname != { \"cam0.64\" } accept"));
  EXPECT_EQ(count_of(script, " group 5 "), 50u + 3u);  // 50 cameras, unknown, inbound, recorder-out
}

TEST_F(FirewallGolden, DemoRulesetAttributesAllEightCameras) {
  const FirewallPlan plan = plan_firewall(load_config(demo_config()), no_lookups);
  ASSERT_EQ(plan.cameras.size(), 8u);
  const std::string script = render_ruleset(plan);
  expect_every_camera_attributed(script, plan);
  EXPECT_FALSE(contains(script, "dport 123"));  // serve_ntp: false
  EXPECT_TRUE(contains(script, "tcp dport { 8554 } accept"));
}

// =========================================================================================================
// Renderer properties on hand-built plans.

TEST(RulesetRenderer, Ipv4OnlyPlanHasNoIpv6SetsOrRules) {
  const std::string script = render_ruleset(v4_plan());
  EXPECT_TRUE(contains(script, "set cameras_v4 { type ipv4_addr; elements = { 192.0.2.10, 192.0.2.11, 192.0.2.12 } }"))
      << script;
  EXPECT_TRUE(contains(script, "set recorder_v4 { type ipv4_addr; elements = { 192.0.2.1 } }")) << script;
  EXPECT_FALSE(contains(script, "ipv6_addr")) << script;
  EXPECT_FALSE(contains(script, "cameras_v6")) << script;
  EXPECT_FALSE(contains(script, "recorder_v6")) << script;
  EXPECT_FALSE(contains(script, "ip6 ")) << script;
}

TEST(RulesetRenderer, Ipv6CamerasGetIp6RulesAndTheirOwnSet) {
  const FirewallPlan plan = dual_plan();
  const std::string script = render_ruleset(plan);
  EXPECT_TRUE(contains(script, "set cameras_v6 { type ipv6_addr; elements = { 2001:db8::20, 2001:db8::21 } }")) << script;
  EXPECT_TRUE(contains(script, "set cameras_v4 { type ipv4_addr; elements = { 192.0.2.10 } }")) << script;
  EXPECT_TRUE(contains(script, "set recorder_v6 { type ipv6_addr; elements = { 2001:db8::1 } }")) << script;
  const auto in = chain_rules(script, "from_cameras");
  EXPECT_NE(rule_index(in, "ip6 saddr 2001:db8::20 log prefix \"obr v6cam-a: \""), -1) << joined(in);
  EXPECT_NE(rule_index(in, "ip6 saddr 2001:db8::21 log prefix \"obr v6cam-b: \""), -1) << joined(in);
  EXPECT_NE(rule_index(in, "ip saddr 192.0.2.10 log prefix \"obr v4cam: \""), -1) << joined(in);
  EXPECT_EQ(rule_index(in, "ip saddr 2001:db8"), -1) << "an IPv6 address in an ip (IPv4) match\n" << joined(in);
  const auto out = chain_rules(script, "recorder_to_cameras");
  EXPECT_NE(rule_index(out, "ip6 daddr @cameras_v6 tcp dport"), -1) << joined(out);
  EXPECT_NE(rule_index(out, "ip daddr @cameras_v4 tcp dport"), -1) << joined(out);
  expect_every_camera_attributed(script, plan);
}

TEST(RulesetRenderer, Ipv6OnlyPlanHasNoIpv4Sets) {
  FirewallPlan plan;
  plan.network.camera_interfaces = {"cam0"};
  plan.network.camera_subnets = {"2001:db8::/64"};
  plan.network.recorder_addresses = {"2001:db8::1"};
  plan.cameras = {{"v6cam", "2001:db8::20", 554}};
  const std::string script = render_ruleset(plan);
  EXPECT_FALSE(contains(script, "ipv4_addr")) << script;
  EXPECT_FALSE(contains(script, "@cameras_v4")) << script;
  EXPECT_FALSE(contains(script, "@recorder_v4")) << script;
  EXPECT_TRUE(contains(script, "ip6 saddr 2001:db8::20 ")) << script;
}

TEST(RulesetRenderer, NtpIsAcceptedOnlyWhenServedForEachRecorderFamily) {
  FirewallPlan plan = dual_plan();
  plan.network.serve_ntp = false;
  EXPECT_FALSE(contains(render_ruleset(plan), "dport 123"));

  plan.network.serve_ntp = true;
  const std::string script = render_ruleset(plan);
  const auto in = chain_rules(script, "from_cameras");
  const int v4 = rule_index(in, "ip daddr @recorder_v4 udp dport 123 accept");
  const int v6 = rule_index(in, "ip6 daddr @recorder_v6 udp dport 123 accept");
  EXPECT_NE(v4, -1) << joined(in);
  EXPECT_NE(v6, -1) << joined(in);
  EXPECT_EQ(count_of(script, "dport 123"), 2u) << script;
  // The accepts must come before the cameras' drop rules, or NTP requests would be dropped.
  const int first_drop = rule_index(in, " saddr ");
  ASSERT_NE(first_drop, -1);
  EXPECT_LT(v4, first_drop);
  EXPECT_LT(v6, first_drop);

  // An IPv4-only recorder gets only the IPv4 rule.
  plan = v4_plan();
  plan.network.serve_ntp = true;
  const std::string v4_only = render_ruleset(plan);
  EXPECT_EQ(count_of(v4_only, "dport 123"), 1u) << v4_only;
  EXPECT_TRUE(contains(v4_only, "ip daddr @recorder_v4 udp dport 123 accept")) << v4_only;
}

TEST(RulesetRenderer, DhcpIsAcceptedOnlyWhenServed) {
  FirewallPlan plan = v4_plan();
  plan.network.serve_dhcp = false;
  const std::string without = render_ruleset(plan);
  EXPECT_FALSE(contains(without, "dport 67")) << without;
  EXPECT_FALSE(contains(without, "sport 67")) << without;
  EXPECT_FALSE(contains(without, "255.255.255.255")) << without;

  plan.network.serve_dhcp = true;
  const std::string script = render_ruleset(plan);
  const auto in = chain_rules(script, "from_cameras");
  const int broadcast = rule_index(in, "ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept");
  const int unicast = rule_index(in, "ip daddr @recorder_v4 udp dport 67 accept");
  EXPECT_NE(broadcast, -1) << joined(in);
  EXPECT_NE(unicast, -1) << joined(in);
  const int first_drop = rule_index(in, " saddr ");
  ASSERT_NE(first_drop, -1);
  EXPECT_LT(broadcast, first_drop);
  EXPECT_LT(unicast, first_drop);
  // The recorder's answers leave through the output chain, before its final drop.
  const auto out = chain_rules(script, "recorder_to_cameras");
  const int answers = rule_index(out, "udp sport 67 udp dport 68 accept");
  EXPECT_NE(answers, -1) << joined(out);
  EXPECT_LT(answers, rule_index(out, "counter name recorder_out_blocked drop"));
}

TEST(RulesetRenderer, EveryCameraRuleUsesItsOwnDeclaredCounter) {
  const FirewallPlan plan = v4_plan();
  const std::string script = render_ruleset(plan);
  const auto in = chain_rules(script, "from_cameras");
  for (std::size_t i = 0; i < plan.cameras.size(); ++i) {
    const int rule = rule_index(in, "saddr " + plan.cameras[i].address + " ");
    ASSERT_NE(rule, -1) << plan.cameras[i].id;
    EXPECT_TRUE(contains(in[static_cast<std::size_t>(rule)], " counter name " + camera_counter_name(i) + " drop"))
        << in[static_cast<std::size_t>(rule)];
    EXPECT_TRUE(contains(script, "\tcounter " + camera_counter_name(i) + " { comment \"" + plan.cameras[i].id + "\" }"))
        << script;
  }
  EXPECT_NE(camera_counter_name(0), camera_counter_name(1));
  EXPECT_NE(camera_counter_name(1), camera_counter_name(10));
  // Every "counter name X" used by a rule is declared.
  for (const auto& line : lines_of(script)) {
    const auto at = line.find("counter name ");
    if (at == std::string::npos) continue;
    std::istringstream words(line.substr(at + 13));
    std::string name;
    words >> name;
    EXPECT_TRUE(contains(script, "\tcounter " + name + " {")) << "undeclared counter " << name;
  }
  expect_every_camera_attributed(script, plan);
}

TEST(RulesetRenderer, ScriptReplacesOnlyItsOwnTable) {
  const std::string script = render_ruleset(v4_plan());
  // Comment lines may come first; the first commands create the table (so that deleting it cannot fail)
  // and delete it, then define it anew.
  std::string commands;
  for (const auto& line : lines_of(script))
    if (line.empty() || line[0] != '#') commands += line + "\n";
  EXPECT_EQ(commands.rfind("table inet onboard_recorder\ndelete table inet onboard_recorder\ntable inet onboard_recorder {\n", 0),
            0u)
      << script;
  EXPECT_FALSE(contains(script, "flush ruleset"));
  EXPECT_EQ(count_of(script, "delete "), 1u) << "only the own table is deleted";
  // No other table is named anywhere.
  for (const auto& line : lines_of(script)) {
    if (line.rfind("table ", 0) == 0 || line.rfind("delete table ", 0) == 0) {
      EXPECT_TRUE(contains(line, "table inet onboard_recorder")) << line;
    }
  }
  EXPECT_EQ(std::string(table_family) + " " + table_name, "inet onboard_recorder");
  EXPECT_EQ(script.back(), '\n');
}

TEST(RulesetRenderer, RtspPortsOfAllCamerasAppearOnceInTheOutputChain) {
  FirewallPlan plan = v4_plan();  // ports 554, 8554, 554
  plan.cameras.push_back({"c3-cab", "192.0.2.13", 322});
  const std::string script = render_ruleset(plan);
  const auto out = chain_rules(script, "recorder_to_cameras");
  const int rule = rule_index(out, "ip daddr @cameras_v4 tcp dport {");
  ASSERT_NE(rule, -1) << joined(out);
  const std::string& line = out[static_cast<std::size_t>(rule)];
  const auto open = line.find("dport {") + 7;
  const auto close = line.find('}', open);
  ASSERT_NE(close, std::string::npos) << line;
  std::map<std::string, int> seen;
  std::istringstream items(line.substr(open, close - open));
  for (std::string item; std::getline(items, item, ',');) {
    const auto first = item.find_first_not_of(' ');
    const auto last = item.find_last_not_of(' ');
    ASSERT_NE(first, std::string::npos) << line;
    ++seen[item.substr(first, last - first + 1)];
  }
  EXPECT_EQ(seen, (std::map<std::string, int>{{"322", 1}, {"554", 1}, {"8554", 1}})) << line;
  EXPECT_TRUE(contains(line, "accept")) << line;
}

TEST(RulesetRenderer, InterfacesAreQuotedInTheInterfaceSets) {
  const std::string script = render_ruleset(v4_plan());
  EXPECT_EQ(rule_index(chain_rules(script, "from_cameras"), "iifname != { \"cam0\", \"cam1.64\" } accept"), 0) << script;
  EXPECT_EQ(rule_index(chain_rules(script, "recorder_to_cameras"), "oifname != { \"cam0\", \"cam1.64\" } accept"), 0)
      << script;
  EXPECT_NE(rule_index(chain_rules(script, "to_cameras"), "oifname { \"cam0\", \"cam1.64\" } log prefix \"obr inbound: \""),
            -1)
      << script;
  EXPECT_FALSE(contains(script, "{ cam0")) << "an unquoted interface name";
}

TEST(RulesetRenderer, LogGroupIsUsedByEveryLogStatementAndEachChainEndsInADrop) {
  FirewallPlan plan = v4_plan();
  plan.network.log_group = 42;
  const std::string script = render_ruleset(plan);
  EXPECT_EQ(count_of(script, "log prefix \"obr "), plan.cameras.size() + 3) << script;
  EXPECT_EQ(count_of(script, " group 42 "), plan.cameras.size() + 3) << script;
  EXPECT_FALSE(contains(script, " group 5 ")) << script;
  for (const char* chain : {"from_cameras", "to_cameras", "recorder_to_cameras"}) {
    const auto rules = chain_rules(script, chain);
    ASSERT_FALSE(rules.empty()) << chain;
    EXPECT_TRUE(contains(rules.back(), " drop")) << chain << ": " << rules.back();
    EXPECT_TRUE(contains(rules.back(), "log prefix \"obr ")) << chain << ": " << rules.back();
  }
}

// =========================================================================================================
// network: in the configuration.

namespace {

const std::string good_cameras = "cameras:\n  - id: c01\n    url: rtsp://192.0.2.10/stream1\n";

// A configuration whose network block has `network_body` (lines 4 onwards, indented by two spaces).
std::string with_network(const std::string& network_body, const std::string& cameras = good_cameras) {
  return "storage:\n  path: /srv/footage\nnetwork:\n" + network_body + cameras;
}

const std::string interfaces_line = "  camera_interfaces: [cam0]\n";
const std::string subnets_line = "  camera_subnets: [192.0.2.0/24]\n";
const std::string recorder_line = "  recorder_addresses: [192.0.2.1]\n";
const std::string good_network = interfaces_line + subnets_line + recorder_line;

class NetworkConfigFiles : public TempDir {
 protected:
  // The error message of loading `yaml`, or "" when it loaded.
  std::string error_of(const std::string& yaml) { return test_support::config_error_of(write("recorder.yaml", yaml)); }
  Config load(const std::string& yaml) { return load_config(write("recorder.yaml", yaml)); }
};

}  // namespace

TEST_F(NetworkConfigFiles, ValidBlockGivesValuesAndDefaults) {
  const Config config = load(with_network(good_network));
  ASSERT_TRUE(config.network.has_value());
  EXPECT_EQ(config.network->camera_interfaces, std::vector<std::string>{"cam0"});
  EXPECT_EQ(config.network->camera_subnets, std::vector<std::string>{"192.0.2.0/24"});
  EXPECT_EQ(config.network->recorder_addresses, std::vector<std::string>{"192.0.2.1"});
  EXPECT_FALSE(config.network->serve_ntp);
  EXPECT_FALSE(config.network->serve_dhcp);
  EXPECT_EQ(config.network->log_group, 5);
  EXPECT_EQ(config.network->verify_seconds, 30);
  // Where recorder-nflog.socket listens and recorder-firewall-guard.service writes (systemd/).
  EXPECT_EQ(config.network->drop_log_socket, "/run/onboard-recorder/nflog.sock");
  EXPECT_EQ(config.network->guard_result_file, "/run/onboard-recorder-firewall/guard-result.json");

  const Config set = load(with_network(good_network + "  serve_ntp: true\n  serve_dhcp: true\n  log_group: 7\n"
                                                      "  verify_seconds: 5\n"));
  EXPECT_TRUE(set.network->serve_ntp);
  EXPECT_TRUE(set.network->serve_dhcp);
  EXPECT_EQ(set.network->log_group, 7);
  EXPECT_EQ(set.network->verify_seconds, 5);
}

TEST_F(NetworkConfigFiles, NoNetworkBlockMeansNoFirewall) {
  const Config config = load("storage:\n  path: /srv/footage\n" + good_cameras);
  EXPECT_FALSE(config.network.has_value());
  EXPECT_THROW(plan_firewall(config, no_lookups), recorder::Error);
}

TEST_F(NetworkConfigFiles, MissingCameraInterfacesIsRejected) {
  const std::string message = error_of(with_network(subnets_line + recorder_line));
  EXPECT_NE(message.find("recorder.yaml:4:"), std::string::npos) << message;  // the network mapping starts there
  EXPECT_NE(message.find("network: missing required key 'camera_interfaces'"), std::string::npos) << message;
}

TEST_F(NetworkConfigFiles, EmptyInterfaceListIsRejected) {
  const std::string message = error_of(with_network("  camera_interfaces: []\n" + subnets_line + recorder_line));
  EXPECT_NE(message.find("recorder.yaml:4:"), std::string::npos) << message;
  EXPECT_NE(message.find("network.camera_interfaces"), std::string::npos) << message;
  EXPECT_NE(message.find("must not be empty"), std::string::npos) << message;
}

TEST_F(NetworkConfigFiles, InterfacesThatAreNotAListAreRejected) {
  const std::string message = error_of(with_network("  camera_interfaces: cam0\n" + subnets_line + recorder_line));
  EXPECT_NE(message.find("network.camera_interfaces"), std::string::npos) << message;
  EXPECT_NE(message.find("must be a list"), std::string::npos) << message;
}

TEST_F(NetworkConfigFiles, BadInterfaceNamesAreRejected) {
  for (const std::string name : {"cam 0", "abcdefghijklmnop", "cam\\\"0", "cam0;drop"}) {
    const std::string message =
        error_of(with_network("  camera_interfaces: [\"" + name + "\"]\n" + subnets_line + recorder_line));
    EXPECT_NE(message.find("recorder.yaml:4:"), std::string::npos) << name << ": " << message;
    EXPECT_NE(message.find("network.camera_interfaces"), std::string::npos) << name << ": " << message;
    EXPECT_NE(message.find("is not an interface name"), std::string::npos) << name << ": " << message;
  }
  // 15 characters is the kernel's limit and still fine; VLAN-style names are too.
  EXPECT_EQ(error_of(with_network("  camera_interfaces: [abcdefghijklmno, cam0.64]\n" + subnets_line + recorder_line)),
            "");
}

TEST_F(NetworkConfigFiles, BadPrefixesAreRejected) {
  for (const std::string prefix : {"192.0.2.0/33", "not-a-net", "2001:db8::/129", "192.0.2.0"}) {
    const std::string message =
        error_of(with_network(interfaces_line + "  camera_subnets: [\"" + prefix + "\"]\n" + recorder_line));
    EXPECT_NE(message.find("recorder.yaml:5:"), std::string::npos) << prefix << ": " << message;
    EXPECT_NE(message.find("network.camera_subnets"), std::string::npos) << prefix << ": " << message;
    EXPECT_NE(message.find("'" + prefix + "' is not an IPv4 or IPv6 prefix"), std::string::npos) << prefix << ": " << message;
  }
}

TEST_F(NetworkConfigFiles, BadRecorderAddressIsRejected) {
  for (const std::string address : {"192.0.2.300", "recorder.local", "192.0.2.0/24"}) {
    const std::string message =
        error_of(with_network(interfaces_line + subnets_line + "  recorder_addresses: [\"" + address + "\"]\n"));
    EXPECT_NE(message.find("recorder.yaml:6:"), std::string::npos) << address << ": " << message;
    EXPECT_NE(message.find("network.recorder_addresses"), std::string::npos) << address << ": " << message;
    EXPECT_NE(message.find("'" + address + "' is not an IPv4 or IPv6 address"), std::string::npos) << address << ": " << message;
  }
}

TEST_F(NetworkConfigFiles, UnknownKeyIsRejected) {
  const std::string message = error_of(with_network(good_network + "  serve_nntp: true\n"));
  EXPECT_NE(message.find("recorder.yaml:7:"), std::string::npos) << message;
  EXPECT_NE(message.find("network.serve_nntp"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key"), std::string::npos) << message;
}

TEST_F(NetworkConfigFiles, HelperPathsMustBeAbsolute) {
  const Config set = load(with_network(good_network + "  drop_log_socket: /run/x/nflog.sock\n"
                                                      "  guard_result_file: /run/y/guard.json\n"));
  EXPECT_EQ(set.network->drop_log_socket, "/run/x/nflog.sock");
  EXPECT_EQ(set.network->guard_result_file, "/run/y/guard.json");
  for (const std::string key : {"drop_log_socket", "guard_result_file"}) {
    const std::string message = error_of(with_network(good_network + "  " + key + ": run/relative\n"));
    EXPECT_NE(message.find("network." + key), std::string::npos) << message;
    EXPECT_NE(message.find("must be an absolute path"), std::string::npos) << message;
  }
}

TEST_F(NetworkConfigFiles, LogGroupOutOfRangeIsRejected) {
  for (const std::string group : {"65536", "-1"}) {
    const std::string message = error_of(with_network(good_network + "  log_group: " + group + "\n"));
    EXPECT_NE(message.find("recorder.yaml:7:"), std::string::npos) << group << ": " << message;
    EXPECT_NE(message.find("network.log_group"), std::string::npos) << group << ": " << message;
    EXPECT_NE(message.find("between 0 and 65535"), std::string::npos) << group << ": " << message;
  }
  EXPECT_EQ(error_of(with_network(good_network + "  log_group: 65535\n")), "");
}

TEST_F(NetworkConfigFiles, CameraOutsideTheSubnetsIsRejected) {
  const std::string message = error_of(with_network(
      good_network, good_cameras + "  - id: c02\n    url: rtsp://198.51.100.10/stream1\n"));
  // Lines: 7 cameras:, 8 - id: c01, 9 url, 10 - id: c02, 11 url.
  EXPECT_NE(message.find("recorder.yaml:11:"), std::string::npos) << message;
  EXPECT_NE(message.find("cameras[1].url"), std::string::npos) << message;
  EXPECT_NE(message.find("198.51.100.10"), std::string::npos) << message;
  EXPECT_NE(message.find("outside network.camera_subnets"), std::string::npos) << message;
}

TEST_F(NetworkConfigFiles, Ipv6CameraInsideAnIpv6SubnetIsAccepted) {
  const Config config = load(with_network(
      "  camera_interfaces: [cam0]\n  camera_subnets: [\"2001:db8::/64\"]\n  recorder_addresses: [\"2001:db8::1\"]\n",
      "cameras:\n  - id: c01\n    url: \"rtsp://[2001:db8::20]/x\"\n"));
  ASSERT_TRUE(config.network.has_value());
  EXPECT_EQ(config.network->camera_subnets, std::vector<std::string>{"2001:db8::/64"});
  const FirewallPlan plan = plan_firewall(config, no_lookups);
  ASSERT_EQ(plan.cameras.size(), 1u);
  EXPECT_EQ(plan.cameras[0].address, "2001:db8::20");
  EXPECT_EQ(plan.cameras[0].rtsp_port, 554);
}

TEST_F(NetworkConfigFiles, Ipv6CameraOutsideTheSubnetsIsRejected) {
  // An IPv6 camera against IPv4-only subnets, and against another IPv6 prefix.
  for (const std::string subnets : {"[192.0.2.0/24]", "[\"2001:db8:1::/64\"]"}) {
    const std::string message = error_of(with_network(
        interfaces_line + "  camera_subnets: " + subnets + "\n" + recorder_line,
        "cameras:\n  - id: c01\n    url: \"rtsp://[2001:db8::20]/x\"\n"));
    EXPECT_NE(message.find("cameras[0].url"), std::string::npos) << subnets << ": " << message;
    EXPECT_NE(message.find("outside network.camera_subnets"), std::string::npos) << subnets << ": " << message;
  }
}

TEST_F(NetworkConfigFiles, PrefixWithHostBitsIsNormalised) {
  const Config config = load(with_network(
      interfaces_line + "  camera_subnets: [192.0.2.7/24, \"2001:db8::7/64\"]\n" + recorder_line));
  EXPECT_EQ(config.network->camera_subnets, (std::vector<std::string>{"192.0.2.0/24", "2001:db8::/64"}));
}

TEST_F(NetworkConfigFiles, CameraUrlPortOutOfRangeIsRejected) {
  for (const std::string port : {"0", "99999", "65536"}) {
    const std::string message =
        error_of(with_network(good_network, "cameras:\n  - id: c01\n    url: rtsp://192.0.2.10:" + port + "/x\n"));
    EXPECT_NE(message.find("recorder.yaml:9:"), std::string::npos) << port << ": " << message;
    EXPECT_NE(message.find("cameras[0].url"), std::string::npos) << port << ": " << message;
  }
}

TEST_F(NetworkConfigFiles, CameraWithAHostNameIsLeftToThePlan) {
  // Names are resolved when the firewall is built, not when the configuration is read.
  const Config config = load(with_network(good_network, "cameras:\n  - id: c01\n    url: rtsp://door-cam.local/x\n"));
  EXPECT_EQ(config.cameras.at(0).url, "rtsp://door-cam.local/x");
}

TEST(NetworkUrl, HostAndPortOfCameraUrls) {
  EXPECT_EQ(url_host("rtsp://192.0.2.10/x"), "192.0.2.10");
  EXPECT_EQ(url_host("rtsp://[2001:db8::20]:8554/x"), "2001:db8::20");
  EXPECT_EQ(url_host("rtsp://admin@cam.local:554/x"), "cam.local");
  EXPECT_EQ(url_port("rtsp://192.0.2.10/x"), 554);
  EXPECT_EQ(url_port("rtsp://192.0.2.10:8554/x"), 8554);
  EXPECT_EQ(url_port("rtsp://192.0.2.10:554/x"), 554);
  EXPECT_EQ(url_port("rtsp://[2001:db8::20]:10554/x"), 10554);
  EXPECT_EQ(url_port("rtsp://[2001:db8::20]/x"), 554);
}

TEST(NetworkUrl, AddressInPrefix) {
  EXPECT_TRUE(address_in_prefix("192.0.2.10", "192.0.2.0/24"));
  EXPECT_FALSE(address_in_prefix("192.0.3.10", "192.0.2.0/24"));
  EXPECT_TRUE(address_in_prefix("2001:db8::20", "2001:db8::/64"));
  EXPECT_FALSE(address_in_prefix("2001:db8:1::20", "2001:db8::/64"));
  EXPECT_FALSE(address_in_prefix("192.0.2.10", "2001:db8::/64"));  // families never mix
  EXPECT_FALSE(address_in_prefix("2001:db8::20", "192.0.2.0/24"));
  EXPECT_FALSE(address_in_prefix("cam.local", "192.0.2.0/24"));
}

// =========================================================================================================
// plan_firewall with a fake resolver.

namespace {

Config config_with_cameras(const std::vector<std::pair<std::string, std::string>>& id_and_url) {
  Config config;
  config.storage.path = "/srv/footage";
  NetworkConfig net = v4_network();
  net.camera_subnets = {"192.0.2.0/24", "2001:db8::/64"};
  config.network = net;
  for (const auto& [id, url] : id_and_url) {
    CameraConfig camera;
    camera.id = id;
    camera.url = url;
    config.cameras.push_back(camera);
  }
  return config;
}

// Answers from a table and remembers what it was asked.
struct FakeResolver {
  std::map<std::string, std::vector<std::string>> answers;
  std::vector<std::string> asked;
  Resolver resolver() {
    return [this](const std::string& host) {
      asked.push_back(host);
      const auto found = answers.find(host);
      return found == answers.end() ? std::vector<std::string>{} : found->second;
    };
  }
};

// The message of the recorder::Error `plan_firewall` throws, or "" when it does not.
std::string plan_error(const Config& config, const Resolver& resolve) {
  try {
    plan_firewall(config, resolve);
  } catch (const recorder::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(FirewallPlanner, HostNameResolvesThroughTheResolverToOneEntryPerAddress) {
  FakeResolver fake;
  fake.answers["door-cam.train"] = {"192.0.2.30", "2001:db8::30"};
  const Config config = config_with_cameras({{"c01", "rtsp://192.0.2.10/x"},
                                             {"c02", "rtsp://door-cam.train:8554/x"},
                                             {"c03", "rtsp://[2001:db8::40]/x"}});
  const FirewallPlan plan = plan_firewall(config, fake.resolver());
  EXPECT_EQ(fake.asked, std::vector<std::string>{"door-cam.train"}) << "addresses must not be looked up";
  ASSERT_EQ(plan.cameras.size(), 4u);
  EXPECT_EQ(plan.cameras[0].id, "c01");
  EXPECT_EQ(plan.cameras[0].address, "192.0.2.10");
  EXPECT_EQ(plan.cameras[0].rtsp_port, 554);
  EXPECT_EQ(plan.cameras[1].id, "c02");
  EXPECT_EQ(plan.cameras[1].address, "192.0.2.30");
  EXPECT_EQ(plan.cameras[1].rtsp_port, 8554);
  EXPECT_EQ(plan.cameras[2].id, "c02");
  EXPECT_EQ(plan.cameras[2].address, "2001:db8::30");
  EXPECT_EQ(plan.cameras[2].rtsp_port, 8554);
  EXPECT_EQ(plan.cameras[3].id, "c03");
  EXPECT_EQ(plan.cameras[3].address, "2001:db8::40");
  EXPECT_EQ(plan.network.camera_interfaces, config.network->camera_interfaces);

  // Both addresses of the name are attributed to the camera in the ruleset.
  const std::string script = render_ruleset(plan);
  EXPECT_TRUE(contains(script, "ip saddr 192.0.2.30 log prefix \"obr c02: \"")) << script;
  EXPECT_TRUE(contains(script, "ip6 saddr 2001:db8::30 log prefix \"obr c02: \"")) << script;
}

TEST(FirewallPlanner, NameResolvingToNothingIsAnErrorNamingTheCamera) {
  FakeResolver fake;
  const Config config = config_with_cameras({{"c01", "rtsp://192.0.2.10/x"}, {"c02-cab", "rtsp://gone.train/x"}});
  const std::string message = plan_error(config, fake.resolver());
  ASSERT_FALSE(message.empty()) << "an unresolvable camera was accepted";
  EXPECT_NE(message.find("c02-cab"), std::string::npos) << message;
  EXPECT_NE(message.find("gone.train"), std::string::npos) << message;
}

TEST(FirewallPlanner, NameResolvingOutsideTheSubnetsIsAnError) {
  FakeResolver fake;
  fake.answers["rogue.train"] = {"192.0.2.31", "198.51.100.7"};  // one inside, one outside
  const Config config = config_with_cameras({{"c03-door", "rtsp://rogue.train/x"}});
  const std::string message = plan_error(config, fake.resolver());
  ASSERT_FALSE(message.empty()) << "a camera outside the segment was accepted";
  EXPECT_NE(message.find("c03-door"), std::string::npos) << message;
  EXPECT_NE(message.find("198.51.100.7"), std::string::npos) << message;
  EXPECT_NE(message.find("outside network.camera_subnets"), std::string::npos) << message;
}

TEST(FirewallPlanner, RtspPortIsTheUrlPortOrTheDefault) {
  const Config config = config_with_cameras(
      {{"a", "rtsp://192.0.2.10/x"}, {"b", "rtsp://192.0.2.11:8554/x"}, {"c", "rtsps://192.0.2.12:10322/x"}});
  const FirewallPlan plan = plan_firewall(config, no_lookups);
  ASSERT_EQ(plan.cameras.size(), 3u);
  EXPECT_EQ(plan.cameras[0].rtsp_port, 554);
  EXPECT_EQ(plan.cameras[1].rtsp_port, 8554);
  EXPECT_EQ(plan.cameras[2].rtsp_port, 10322);
  EXPECT_TRUE(contains(render_ruleset(plan), "tcp dport { 554, 8554, 10322 } accept"));
}

// The ruleset must let the recorder reach the port its RTSP client (GStreamer rtspsrc) actually connects to.
TEST(FirewallPlanner, RtspsWithoutAPortAllowsThePortTheRecorderConnectsTo) {
  const Config config = config_with_cameras({{"tls", "rtsps://192.0.2.12/x"}});
  const FirewallPlan plan = plan_firewall(config, no_lookups);
  ASSERT_EQ(plan.cameras.size(), 1u);
  EXPECT_EQ(plan.cameras[0].rtsp_port, 554);
}

TEST(NetworkUrl, EmptyPortMeansTheDefault) {
  EXPECT_EQ(url_port("rtsp://192.0.2.10:/x"), 554);
  EXPECT_EQ(url_port("rtsp://[2001:db8::20]:/x"), 554);
}

// =========================================================================================================
// Dropped packets: the camera from the log prefix, the destination from the headers.

namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::size_t at, int value) {
  b[at] = static_cast<std::uint8_t>(value >> 8);
  b[at + 1] = static_cast<std::uint8_t>(value & 0xff);
}

// An IPv4 header (with `options` bytes of options, a multiple of 4) followed by `payload`.
Bytes ipv4(int protocol, std::array<std::uint8_t, 4> destination, const Bytes& payload, std::size_t options = 0) {
  const std::size_t header = 20 + options;
  Bytes b(header, 0);
  b[0] = static_cast<std::uint8_t>(0x40 | (header / 4));
  put16(b, 2, static_cast<int>(header + payload.size()));
  b[8] = 64;
  b[9] = static_cast<std::uint8_t>(protocol);
  const std::array<std::uint8_t, 4> source = {192, 0, 2, 10};
  std::copy(source.begin(), source.end(), b.begin() + 12);
  std::copy(destination.begin(), destination.end(), b.begin() + 16);
  for (std::size_t i = 20; i < header; ++i) b[i] = 1;  // NOP options
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// An IPv6 header whose next header is `next`, followed by `payload`.
Bytes ipv6(int next, std::array<std::uint8_t, 16> destination, const Bytes& payload) {
  Bytes b(40, 0);
  b[0] = 0x60;
  put16(b, 4, static_cast<int>(payload.size()));
  b[6] = static_cast<std::uint8_t>(next);
  b[7] = 255;
  b[8] = 0xfe;  // source fe80::10
  b[9] = 0x80;
  b[23] = 0x10;
  std::copy(destination.begin(), destination.end(), b.begin() + 24);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes udp(int source_port, int destination_port) {
  Bytes b(8, 0);
  put16(b, 0, source_port);
  put16(b, 2, destination_port);
  put16(b, 4, 8);
  return b;
}

Bytes tcp(int source_port, int destination_port) {
  Bytes b(20, 0);
  put16(b, 0, source_port);
  put16(b, 2, destination_port);
  b[12] = 0x50;
  b[13] = 0x02;  // SYN
  return b;
}

constexpr std::array<std::uint8_t, 16> ff02_1 = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr std::array<std::uint8_t, 16> ff02_1_2 = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2};

std::optional<BlockedPacket> parse(const std::string& prefix, const Bytes& packet) {
  return parse_blocked_packet(prefix, packet.data(), packet.size());
}

}  // namespace

TEST(BlockedPacket, Ipv4UdpToDns) {
  const auto packet = parse("obr c1-door-1a: ", ipv4(17, {198, 51, 100, 2}, udp(40000, 53)));
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->camera_id, "c1-door-1a");
  EXPECT_EQ(packet->protocol, "udp");
  EXPECT_EQ(packet->destination, "198.51.100.2");
  EXPECT_EQ(packet->destination_port, 53);
}

TEST(BlockedPacket, Ipv4TcpToHttps) {
  const auto packet = parse("obr c2-saloon-r: ", ipv4(6, {203, 0, 113, 9}, tcp(51000, 443)));
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->camera_id, "c2-saloon-r");
  EXPECT_EQ(packet->protocol, "tcp");
  EXPECT_EQ(packet->destination, "203.0.113.9");
  EXPECT_EQ(packet->destination_port, 443);
}

TEST(BlockedPacket, Ipv4WithOptionsStillFindsThePort) {
  // IHL 6: 4 bytes of options. Reading the UDP header at byte 20 would give port 0x0101 = 257.
  const Bytes raw = ipv4(17, {198, 51, 100, 2}, udp(40000, 5353), 4);
  ASSERT_EQ(raw[0], 0x46);
  const auto packet = parse("obr c1-cab: ", raw);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->protocol, "udp");
  EXPECT_EQ(packet->destination, "198.51.100.2");
  EXPECT_EQ(packet->destination_port, 5353);
}

TEST(BlockedPacket, Ipv4IcmpGivesTheType) {
  const auto packet = parse("obr c1-cab: ", ipv4(1, {192, 0, 2, 1}, Bytes{8, 0, 0, 0, 0, 1, 0, 1}));
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->protocol, "icmp");
  EXPECT_EQ(packet->destination_port, 8);
}

TEST(BlockedPacket, Ipv6RouterAdvertisement) {
  const auto packet = parse("obr c3-door-2b: ", ipv6(58, ff02_1, Bytes{134, 0, 0, 0, 64, 0, 0, 0}));
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->camera_id, "c3-door-2b");
  EXPECT_EQ(packet->protocol, "icmpv6");
  EXPECT_EQ(packet->destination, "ff02::1");
  EXPECT_EQ(packet->destination_port, 134);
}

TEST(BlockedPacket, Ipv6HopByHopBeforeUdpIsSkipped) {
  // Hop-by-hop header: next header UDP, length 0 (8 bytes), PadN option filling it.
  Bytes payload = {17, 0, 1, 4, 0, 0, 0, 0};
  const Bytes dhcp = udp(546, 547);
  payload.insert(payload.end(), dhcp.begin(), dhcp.end());
  const auto packet = parse("obr c4-door-1a: ", ipv6(0, ff02_1_2, payload));
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->protocol, "udp");
  EXPECT_EQ(packet->destination, "ff02::1:2");
  EXPECT_EQ(packet->destination_port, 547);
}

TEST(BlockedPacket, Ipv6LongerHopByHopAndDestinationOptionsAreSkipped) {
  // Hop-by-hop of 16 bytes (length 1), then destination options of 8 bytes, then UDP to 5353.
  Bytes payload = {60, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // hop-by-hop, PadN of 12
                   17, 0, 1, 4, 0, 0, 0, 0};                          // destination options, PadN of 4
  const Bytes mdns = udp(5353, 5353);
  payload.insert(payload.end(), mdns.begin(), mdns.end());
  const auto packet = parse("obr c4-door-1a: ", ipv6(0, ff02_1, payload));
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->protocol, "udp");
  EXPECT_EQ(packet->destination_port, 5353);
}

TEST(BlockedPacket, RulesetPrefixesOtherThanCamerasAreRead) {
  for (const std::string who : {"unknown", "recorder-out", "inbound"}) {
    const auto packet = parse("obr " + who + ": ", ipv4(17, {198, 51, 100, 2}, udp(40000, 53)));
    ASSERT_TRUE(packet.has_value()) << who;
    EXPECT_EQ(packet->camera_id, who);
  }
}

TEST(BlockedPacket, PrefixThatIsNotOursIsIgnored) {
  const Bytes raw = ipv4(17, {198, 51, 100, 2}, udp(40000, 53));
  for (const std::string prefix : {"", "obr", "obrc1: ", "OBR c1: ", "nft c1: ", "ob", " obr c1: "})
    EXPECT_FALSE(parse(prefix, raw).has_value()) << "'" << prefix << "'";
}

TEST(BlockedPacket, TruncatedPacketsGiveNothingAndDoNotCrash) {
  const Bytes v4 = ipv4(17, {198, 51, 100, 2}, udp(40000, 53));
  const Bytes v6 = ipv6(17, ff02_1, udp(546, 547));
  const std::string prefix = "obr c1: ";
  // Every IPv4 packet shorter than its 20-byte header, every IPv6 one shorter than 40.
  for (std::size_t size = 0; size < 20; ++size) {
    const Bytes cut(v4.begin(), v4.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_FALSE(parse_blocked_packet(prefix, cut.data(), cut.size()).has_value()) << "IPv4 of " << size << " bytes";
  }
  for (std::size_t size = 0; size < 40; ++size) {
    const Bytes cut(v6.begin(), v6.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_FALSE(parse_blocked_packet(prefix, cut.data(), cut.size()).has_value()) << "IPv6 of " << size << " bytes";
  }
  EXPECT_FALSE(parse_blocked_packet(prefix, nullptr, 0).has_value());

  // A header length beyond the packet.
  Bytes long_header = v4;
  long_header[0] = 0x4f;  // IHL 15: 60 bytes, the packet has 28
  EXPECT_FALSE(parse(prefix, long_header).has_value());
  Bytes short_header = v4;
  short_header[0] = 0x44;  // IHL 4: shorter than the minimum
  EXPECT_FALSE(parse(prefix, short_header).has_value());
  // Neither version 4 nor 6.
  Bytes v5 = v4;
  v5[0] = 0x55;
  EXPECT_FALSE(parse(prefix, v5).has_value());

  // The IP header is complete but the transport header is cut: no port rather than garbage.
  const Bytes cut_udp(v4.begin(), v4.begin() + 22);
  const auto partial = parse(prefix, cut_udp);
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->protocol, "udp");
  EXPECT_EQ(partial->destination, "198.51.100.2");
  EXPECT_FALSE(partial->destination_port.has_value());

  // An IPv6 extension header claiming more than the packet holds.
  Bytes huge = ipv6(0, ff02_1, Bytes{17, 255, 1, 4, 0, 0, 0, 0});
  const auto overrun = parse(prefix, huge);
  ASSERT_TRUE(overrun.has_value());
  EXPECT_FALSE(overrun->destination_port.has_value());
  // An extension header cut in the middle.
  Bytes half = ipv6(0, ff02_1, Bytes{17, 0, 1});
  const auto cut_extension = parse(prefix, half);
  ASSERT_TRUE(cut_extension.has_value());
  EXPECT_FALSE(cut_extension->destination_port.has_value());
}

// =========================================================================================================
// The kernel accepts the rendered rulesets: applied and listed in a private network namespace only.

class FirewallKernel : public TempDir {};

TEST_F(FirewallKernel, RenderedRulesetsAreAcceptedByTheKernel) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root (CAP_NET_ADMIN and a private network namespace) to have nftables check the "
                    "rendered rulesets; run the unit tests as root to cover this";
  const std::map<std::string, fs::path> configs = {{"demo", demo_config()}, {"icng-train", train_config()}};
  for (const auto& [name, file] : configs) {
    SCOPED_TRACE(name);
    const FirewallPlan plan = plan_firewall(load_config(file), no_lookups);
    const std::string script = render_ruleset(plan);
    std::string listed;
    ASSERT_NO_THROW(listed = list_as_applied(script)) << script;
    EXPECT_TRUE(contains(listed, "table inet onboard_recorder")) << listed;
    for (std::size_t i = 0; i < plan.cameras.size(); ++i) {
      EXPECT_TRUE(contains(listed, "counter " + camera_counter_name(i) + " {")) << plan.cameras[i].id << "\n" << listed;
      EXPECT_TRUE(contains(listed, "log prefix \"obr " + plan.cameras[i].id + ": \"")) << plan.cameras[i].id;
    }
    EXPECT_TRUE(contains(listed, "chain from_cameras")) << listed;
    EXPECT_TRUE(contains(listed, "chain to_cameras")) << listed;
    EXPECT_TRUE(contains(listed, "chain recorder_to_cameras")) << listed;
  }
  // A script nftables refuses is reported, not listed.
  EXPECT_THROW(list_as_applied("table inet onboard_recorder {\n\tchain c {\n\t\tthis is not nft\n\t}\n}\n"), recorder::Error);
}
