// The maintenance API's server, for real: the recorder binary on an ephemeral port, a camsim camera,
// raw HTTP over loopback, including malformed and hostile requests.

#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {

int api_port_from_log(Process& recorder) {
  const std::regex listening("API listening on http://127\\.0\\.0\\.1:([0-9]+)");
  for (int i = 0; i < 100; ++i) {
    std::smatch match;
    const std::string log = recorder.stderr_text();
    if (std::regex_search(log, match, listening)) return std::stoi(match[1]);
    std::this_thread::sleep_for(100ms);
  }
  return 0;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Api, HealthAndMetricsServedAndBadRequestsAnsweredWithoutHarm) {
  ScratchDir dir;
  Camsim camera("cam", {}, dir.path());
  const auto config = write_recorder_config(dir.path(), {{.id = "door-1", .url = camera.urls()[0]},
                                                         {.id = "gone", .url = "rtsp://127.0.0.1:9/none"}},
                                            5);
  std::ofstream(config, std::ios::app) << "api:\n  listen: 127.0.0.1:0\n  insecure_http: true\n";
  std::string output;
  ASSERT_EQ(run_recorderctl(dir.path(), {"storage", "init", "--config", config.string()}, &output), 0) << output;
  Process recorder("recorder", {RECORDER_PATH, "--config", config.string()}, dir.path());
  const int port = api_port_from_log(recorder);
  ASSERT_GT(port, 0) << recorder.stderr_text();
  std::this_thread::sleep_for(4s);

  // /healthz: state only, no detail; DEGRADED because one camera is down.
  const auto health = http_exchange("127.0.0.1", port, get_request("/healthz"));
  EXPECT_EQ(status_of(health), 200) << health;
  EXPECT_TRUE(contains(health, "{\"state\":\"DEGRADED\"}")) << health;
  EXPECT_FALSE(contains(health, "door-1"));

  // /metrics: Prometheus text with the cameras and the disk.
  const auto metrics = http_exchange("127.0.0.1", port, get_request("/metrics"));
  EXPECT_EQ(status_of(metrics), 200);
  EXPECT_TRUE(contains(metrics, "Content-Type: text/plain; version=0.0.4")) << metrics;
  EXPECT_TRUE(contains(metrics, "recorder_camera_up{camera=\"door-1\"} 1\n")) << metrics;
  EXPECT_TRUE(contains(metrics, "recorder_camera_up{camera=\"gone\"} 0\n")) << metrics;
  EXPECT_TRUE(contains(metrics, "recorder_camera_state{camera=\"gone\",state=\"backoff\"} 1\n")) << metrics;
  EXPECT_TRUE(contains(metrics, "# TYPE recorder_storage_free_bytes gauge\nrecorder_storage_free_bytes ")) << metrics;
  EXPECT_TRUE(contains(metrics, "recorder_health{state=\"DEGRADED\"} 1\n")) << metrics;

  // Unknown endpoint, wrong method: JSON errors that say what was wrong.
  const auto missing = http_exchange("127.0.0.1", port, get_request("/api/v1/nope"));
  EXPECT_EQ(status_of(missing), 404);
  EXPECT_TRUE(contains(missing, "{\"error\":\"no such endpoint: /api/v1/nope\"}")) << missing;
  const auto wrong_method =
      http_exchange("127.0.0.1", port, "DELETE /metrics HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(wrong_method), 405) << wrong_method;

  // Malformed, junk headers, oversized: 4xx with a JSON error, never a crash.
  const auto garbage = http_exchange("127.0.0.1", port, "GARBAGE\r\n\r\n");
  EXPECT_EQ(status_of(garbage), 400) << garbage;
  EXPECT_TRUE(contains(garbage, "malformed HTTP request")) << garbage;
  const auto junk_header = http_exchange("127.0.0.1", port, "GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n");
  EXPECT_EQ(status_of(junk_header), 400) << junk_header;
  const auto huge = http_exchange("127.0.0.1", port,
                                  "POST /metrics HTTP/1.1\r\nHost: r\r\nContent-Length: 1000000\r\n\r\n" +
                                      std::string(70000, 'x'));
  EXPECT_EQ(status_of(huge), 413) << huge.substr(0, 200);

  // A request split at every byte is still one request.
  const auto split = http_exchange("127.0.0.1", port, get_request("/healthz"), 1);
  EXPECT_EQ(status_of(split), 200) << split;

  // Two requests on one kept-alive connection are both answered.
  const auto two = http_exchange("127.0.0.1", port,
                                 "GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n" + get_request("/metrics"));
  EXPECT_EQ(std::count(two.begin(), two.end(), '\n') > 10, true);
  EXPECT_TRUE(contains(two, "{\"state\":") && contains(two, "recorder_camera_up")) << two.substr(0, 300);

  ASSERT_TRUE(recorder.running()) << recorder.stderr_text();
  recorder.signal(SIGTERM);
  EXPECT_EQ(recorder.wait(5s), 0) << recorder.stderr_text();
  EXPECT_EQ(http_exchange("127.0.0.1", port, get_request("/healthz"), 0, 1s), "") << "still listening after stop";
}
