// The API without a network: requests straight into api::Api with a real catalog in a temporary folder;
// the Prometheus exposition; and the api: configuration.

#include <gtest/gtest.h>

#include "recorder/api/api.h"
#include "recorder/api/metrics.h"
#include "recorder/config/config.h"
#include "tests/support/temp_dir.h"

using namespace recorder;
namespace http = boost::beast::http;

namespace {

api::StatusSnapshot sample_status() {
  api::StatusSnapshot s;
  s.health = "FAULT";
  // c1-door's bytes need more than 32 bits, as a day of footage does.
  s.cameras = {{"c1-door", "recording", 2.5, 0, 5'000'000'123, 90'000, 120, 4'500'000},
               {"c2-cab", "backoff", std::nullopt, 7, 0, 0}};
  s.storage_checked = true;
  s.storage_free_bytes = 1000;
  s.storage_capacity_bytes = 5000;
  s.deletions["space"] = {3, 300};
  s.firewall_applied = false;
  s.firewall_drift_repairs = 2;
  s.blocked_packets[{"c1-door", "udp", 53}] = 12;
  s.blocked_packets[{"c2-cab", "icmpv6", 134}] = 4;
  return s;
}

api::Request request(http::verb verb, const std::string& target) {
  api::Request r{verb, target, 11};
  r.set(http::field::host, "recorder");
  return r;
}

// The bytes a reply puts on the wire, parsed back.
api::Response wire(api::Reply reply) {
  std::string bytes;
  boost::system::error_code error;
  while (!reply.is_done()) {
    const auto buffers = reply.prepare(error);
    if (error) break;
    std::size_t n = 0;
    for (const auto& buffer : buffers) {
      bytes.append(static_cast<const char*>(buffer.data()), buffer.size());
      n += buffer.size();
    }
    reply.consume(n);
  }
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.put(boost::asio::buffer(bytes), error);
  return parser.release();
}

// An Api over an empty catalog in a fresh folder, without users.
struct ApiUnderTest {
  std::filesystem::path dir = test_support::fresh_temp_dir("api");
  std::shared_ptr<api::StatusBoard> board = std::make_shared<api::StatusBoard>();
  SystemClock clock;
  retention::FilesystemSpace disk;
  std::unique_ptr<api::Api> api;
  ApiUnderTest() {
    auto config = config::parse_config("storage:\n  path: " + (dir / "storage").string() +
                                           "\ncameras:\n  - {id: c1, url: \"rtsp://192.0.2.1/\"}\n"
                                           "api:\n  listen: 127.0.0.1:0\n  insecure_http: true\n  users_file: users.yaml\n",
                                       "t.yaml", dir);
    std::filesystem::create_directories(config.storage.path);
    auto catalog = std::make_shared<catalog::CatalogWriter>(
        std::make_unique<catalog::Catalog>(config.storage.path, catalog::Database::Mode::ReadWrite));
    api = std::make_unique<api::Api>(api::ApiContext{config, board, catalog, &clock, &disk,
                                                     exporting::load_or_create_signing_key(dir / "signing.key"), "test"});
  }
  api::Response handle(const api::Request& r) { return wire(api->handle(r, "127.0.0.1")); }
};

}  // namespace

TEST(Metrics, ExposesCamerasStorageAndFirewallInPrometheusText) {
  const std::string text = api::render_metrics(sample_status());
  for (const char* line : {"recorder_health{state=\"FAULT\"} 1\n", "recorder_health{state=\"OK\"} 0\n",
                           "recorder_camera_up{camera=\"c1-door\"} 1\n", "recorder_camera_up{camera=\"c2-cab\"} 0\n",
                           "recorder_camera_reconnects_total{camera=\"c2-cab\"} 7\n",
                           "recorder_camera_recorded_bytes_total{camera=\"c1-door\"} 5000000123\n",
                           "recorder_camera_recorded_bytes_total{camera=\"c2-cab\"} 0\n",
                           "# TYPE recorder_camera_recorded_bytes_total counter\n",
                           "recorder_camera_recorded_frames_total{camera=\"c1-door\"} 90000\n",
                           "recorder_camera_recorded_frames_total{camera=\"c2-cab\"} 0\n",
                           "# TYPE recorder_camera_recorded_frames_total counter\n",
                           "recorder_camera_dropped_frames_total{camera=\"c1-door\"} 120\n",
                           "recorder_camera_dropped_frames_total{camera=\"c2-cab\"} 0\n",
                           "# TYPE recorder_camera_dropped_frames_total counter\n",
                           "recorder_camera_dropped_bytes_total{camera=\"c1-door\"} 4500000\n",
                           "# TYPE recorder_camera_dropped_bytes_total counter\n",
                           "recorder_camera_seconds_since_last_segment{camera=\"c1-door\"} 2.5\n",
                           "recorder_storage_free_bytes 1000\n", "recorder_deleted_segments_total{cause=\"space\"} 3\n",
                           "recorder_deleted_bytes_total{cause=\"space\"} 300\n", "recorder_firewall_applied 0\n",
                           "recorder_firewall_drift_repairs_total 2\n",
                           "recorder_camera_blocked_packets_total{camera=\"c1-door\",proto=\"udp\",dport=\"53\"} 12\n",
                           "recorder_camera_blocked_packets_total{camera=\"c2-cab\",proto=\"icmpv6\",dport=\"134\"} 4\n",
                           "# TYPE recorder_camera_blocked_packets_total counter\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in\n" << text;
  }
  // A camera that never recorded has no "seconds since" sample rather than a made-up one.
  EXPECT_EQ(text.find("recorder_camera_seconds_since_last_segment{camera=\"c2-cab\"}"), std::string::npos);
}

TEST(Metrics, WithoutFirewallOrStoragePassNoSuchFamilies) {
  api::StatusSnapshot empty;
  const std::string text = api::render_metrics(empty);
  EXPECT_EQ(text.find("recorder_firewall_applied"), std::string::npos);
  EXPECT_EQ(text.find("recorder_storage_free_bytes"), std::string::npos);
  EXPECT_NE(text.find("recorder_health{state=\"OK\"} 1"), std::string::npos);
}

TEST(Api, HealthzSaysOnlyTheStateWithoutCredentialsAndIs503OnFault) {
  ApiUnderTest t;
  t.board->publish(sample_status());
  const auto response = t.handle(request(http::verb::get, "/healthz"));
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(response.body(), "{\"state\":\"FAULT\"}\n");
  auto ok = sample_status();
  ok.health = "OK";
  t.board->publish(ok);
  EXPECT_EQ(t.handle(request(http::verb::get, "/healthz?x=1")).result(), http::status::ok);
}

TEST(Api, UnknownPathsMethodsAndMissingCredentialsGetJsonErrors) {
  ApiUnderTest t;
  const auto missing = t.handle(request(http::verb::get, "/../etc/passwd"));
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(missing[http::field::content_type], "application/json");
  const auto post = t.handle(request(http::verb::post, "/metrics"));
  EXPECT_EQ(post.result(), http::status::method_not_allowed);
  EXPECT_NE(post.body().find("POST is not allowed on /metrics"), std::string::npos) << post.body();
  const auto anonymous = t.handle(request(http::verb::get, "/metrics"));
  EXPECT_EQ(anonymous.result(), http::status::unauthorized);
  EXPECT_EQ(anonymous[http::field::www_authenticate], "Basic realm=\"onboard-recorder\"");
  const auto bad_target = t.handle(request(http::verb::get, "/api/v1/cameras?from=%zz"));
  EXPECT_EQ(bad_target.result(), http::status::bad_request);
  EXPECT_NE(bad_target.body().find("malformed request target"), std::string::npos);
}

TEST(ApiConfig, ListenIsParsedAndPlainHttpMustBeAskedFor) {
  const std::string base = "storage:\n  path: /srv\ncameras:\n  - {id: c1, url: \"rtsp://192.0.2.1/\"}\n";
  const auto config = config::parse_config(base + "api:\n  listen: \"[::1]:9443\"\n  insecure_http: true\n", "t.yaml");
  ASSERT_TRUE(config.api.has_value());
  EXPECT_EQ(config.api->listen_address, "::1");
  EXPECT_EQ(config.api->listen_port, 9443);
  EXPECT_FALSE(config.api->tls.has_value());
  const auto tls = config::parse_config(
      base + "api:\n  listen: 127.0.0.1:8443\n  tls: {cert: tls/cert.pem, key: /k.pem}\n  users_file: users.yaml\n",
      "t.yaml", "/etc/rec");
  ASSERT_TRUE(tls.api->tls.has_value());
  EXPECT_EQ(tls.api->tls->cert, "/etc/rec/tls/cert.pem");
  EXPECT_EQ(tls.api->tls->key, "/k.pem");
  EXPECT_EQ(tls.api->users_file, "/etc/rec/users.yaml");
  EXPECT_EQ(tls.api->max_export_minutes, 240);
  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {"api:\n  listen: 127.0.0.1:8443\n", "insecure_http"},
           {"api:\n  listen: localhost:8443\n  insecure_http: true\n", "'localhost' is not an IP address"},
           {"api:\n  listen: 127.0.0.1:99999\n  insecure_http: true\n", "'99999' is not a port number"},
           {"api:\n  listen: 127.0.0.1\n  insecure_http: true\n", "ADDRESS:PORT"},
           {"api:\n  listen: 127.0.0.1:8443\n  insecure_http: true\n  tls: {cert: a, key: b}\n", "not both"},
           {"api:\n  listen: 127.0.0.1:8443\n  tls: {cert: a}\n", "api.tls: missing required key 'key'"},
           {"api:\n  listen: 127.0.0.1:8443\n  token_seconds: 0\n  insecure_http: true\n", "token_seconds"},
           {"api:\n  listen: 127.0.0.1:8443\n  insecure_http: true\n  users: x\n", "unknown key"}}) {
    try {
      config::parse_config(base + yaml, "t.yaml");
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const config::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("t.yaml:"), std::string::npos) << e.what();
    }
  }
}
