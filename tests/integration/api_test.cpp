// The maintenance API's server, for real: the recorder binary on an ephemeral port, a camsim camera,
// raw HTTP and HTTPS over loopback, including malformed and hostile requests; and the server itself with
// small limits, a slow handler and a file download.

#include <boost/beast/http/file_body.hpp>
#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <thread>

#include "recorder/api/http_server.h"

#include "tests/support/api_rig.h"
#include "tests/support/http_client.h"
#include "tests/support/recording_run.h"
#include "tests/support/tls_files.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Api, HealthAndMetricsServedAndBadRequestsAnsweredWithoutHarm) {
  ScratchDir dir;
  Camsim camera("cam", {}, dir.path());
  const auto config = write_recorder_config(dir.path(), {{.id = "door-1", .url = camera.urls()[0]},
                                                         {.id = "gone", .url = "rtsp://127.0.0.1:9/none"}},
                                            5);
  std::ofstream(config, std::ios::app) << "api:\n  listen: 127.0.0.1:0\n  insecure_http: true\n" << api_accounts(dir.path());
  const std::string viewer = basic_auth(viewer_user, password_of(viewer_user));
  std::string output;
  ASSERT_EQ(run_recorderctl(dir.path(), {"storage", "init", "--config", config.string()}, &output), 0) << output;
  Process recorder("recorder", {RECORDER_PATH, "--config", config.string()}, dir.path());
  const int port = api_port_from_log(recorder, "http");
  ASSERT_GT(port, 0) << recorder.stderr_text();
  EXPECT_TRUE(contains(recorder.stderr_text(), "serving plain HTTP: passwords and footage cross the network unencrypted"))
      << recorder.stderr_text();
  std::this_thread::sleep_for(4s);

  // /healthz: state only, no detail; DEGRADED because one camera is down.
  const auto health = http_exchange("127.0.0.1", port, get_request("/healthz"));
  EXPECT_EQ(status_of(health), 200) << health;
  EXPECT_TRUE(contains(health, "{\"state\":\"DEGRADED\"}")) << health;
  EXPECT_FALSE(contains(health, "door-1"));

  // /metrics: Prometheus text with the cameras and the disk.
  EXPECT_EQ(status_of(http_exchange("127.0.0.1", port, get_request("/metrics"))), 401) << "metrics need a user";
  const auto metrics = http_exchange("127.0.0.1", port, get_request("/metrics", viewer));
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
                                 "GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n" + get_request("/metrics", viewer));
  EXPECT_EQ(std::count(two.begin(), two.end(), '\n') > 10, true);
  EXPECT_TRUE(contains(two, "{\"state\":") && contains(two, "recorder_camera_up")) << two.substr(0, 300);

  ASSERT_TRUE(recorder.running()) << recorder.stderr_text();
  recorder.signal(SIGTERM);
  EXPECT_EQ(recorder.wait(5s), 0) << recorder.stderr_text();
  EXPECT_EQ(http_exchange("127.0.0.1", port, get_request("/healthz"), 0, 1s), "") << "still listening after stop";
}

TEST(Api, ServesHttpsWithTheCertificateRecorderctlMadeAndShrugsOffPlainHttp) {
  ScratchDir dir;
  const auto config = write_recorder_config(dir.path(), {{.id = "gone", .url = "rtsp://127.0.0.1:9/none"}}, 5);
  const auto tls = add_tls_api(config);
  std::string output;
  ASSERT_EQ(run_recorderctl(dir.path(), {"storage", "init", "--config", config.string()}, &output), 0) << output;
  Process recorder("recorder", {RECORDER_PATH, "--config", config.string()}, dir.path());
  const int port = api_port_from_log(recorder, "https");
  ASSERT_GT(port, 0) << recorder.stderr_text();
  EXPECT_FALSE(contains(recorder.stderr_text(), "serving plain HTTP")) << recorder.stderr_text();

  // The certificate verifies against itself and names 127.0.0.1: a pinning laptop accepts it.
  const auto health = https_exchange("127.0.0.1", port, get_request("/healthz"), tls.cert.string());
  EXPECT_EQ(status_of(health), 200) << health;
  EXPECT_TRUE(contains(health, "Content-Type: application/json")) << health;
  EXPECT_TRUE(contains(health, "{\"state\":\"DEGRADED\"}")) << health;

  // A client pinning some other certificate refuses this server (so the check above means something).
  ScratchDir other;
  const auto other_tls = add_tls_api(write_recorder_config(other.path(), {{.id = "x", .url = "rtsp://127.0.0.1:9/x"}}, 5));
  EXPECT_EQ(https_exchange("127.0.0.1", port, get_request("/healthz"), other_tls.cert.string()), "");

  // Plain HTTP to the TLS port: no HTTP answer (the handshake fails), and the server carries on.
  const auto plain = http_exchange("127.0.0.1", port, get_request("/healthz"), 0, 3s);
  EXPECT_EQ(status_of(plain), 0) << plain;
  EXPECT_FALSE(contains(plain, "state")) << plain;
  const auto garbage = http_exchange("127.0.0.1", port, std::string(3000, '\x16'), 0, 3s);
  EXPECT_FALSE(contains(garbage, "HTTP/1.1")) << garbage;
  EXPECT_EQ(status_of(https_exchange("127.0.0.1", port, get_request("/healthz"), tls.cert.string())), 200);

  // A request split at every byte over TLS is still one request; a kept-alive connection answers twice.
  const auto split = https_exchange("127.0.0.1", port, get_request("/healthz"), tls.cert.string(), 1);
  EXPECT_EQ(status_of(split), 200) << split;
  const auto two = https_exchange("127.0.0.1", port,
                                  "GET /healthz HTTP/1.1\r\nHost: r\r\n\r\n" +
                                      get_request("/metrics", basic_auth(viewer_user, password_of(viewer_user))),
                                  tls.cert.string());
  EXPECT_TRUE(contains(two, "{\"state\":") && contains(two, "recorder_camera_up")) << two.substr(0, 300);

  ASSERT_TRUE(recorder.running()) << recorder.stderr_text();
  recorder.signal(SIGTERM);
  EXPECT_EQ(recorder.wait(5s), 0) << recorder.stderr_text();
}

TEST(Api, RecorderRefusesToStartWithATlsKeyOthersCanRead) {
  ScratchDir dir;
  const auto config = write_recorder_config(dir.path(), {{.id = "gone", .url = "rtsp://127.0.0.1:9/none"}}, 5);
  const auto tls = add_tls_api(config);
  std::string output;
  ASSERT_EQ(run_recorderctl(dir.path(), {"storage", "init", "--config", config.string()}, &output), 0) << output;
  std::filesystem::permissions(tls.key, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  Process recorder("recorder", {RECORDER_PATH, "--config", config.string()}, dir.path());
  EXPECT_EQ(recorder.wait(10s), 1) << recorder.stderr_text();
  EXPECT_TRUE(contains(recorder.stderr_text(), "api.tls.key " + tls.key.string() +
                                                   " is readable by group or others: refusing to use it (chmod 600)"))
      << recorder.stderr_text();
}

namespace {

namespace http = boost::beast::http;

// The server on its own, over TLS with files recorderctl made, with `handler` and `limits`.
struct TlsServer {
  TlsServer(const ScratchDir& dir, recorder::api::Handler handler, recorder::api::ServerLimits limits)
      : files(add_tls_api(write_recorder_config(dir.path(), {{.id = "x", .url = "rtsp://127.0.0.1:9/x"}}, 5))),
        server({.listen_address = "127.0.0.1", .listen_port = 0, .tls = files}, std::move(handler), limits) {
    server.start();
  }
  recorder::config::TlsConfig files;
  recorder::api::HttpServer server;
};

recorder::api::Reply text_reply(const recorder::api::Request& request, const std::string& body) {
  recorder::api::Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, "text/plain");
  response.body() = body;
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return recorder::api::Reply(std::move(response));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST(ApiServer, ClientsThatSayNothingAreDisconnectedAfterTheReadTimeout) {
  ScratchDir dir;
  TlsServer tls(dir, [](const recorder::api::Request& request, const std::string&) { return text_reply(request, "hi"); },
                {.read_timeout = std::chrono::seconds(1)});
  const int port = tls.server.port();

  // Connected, TLS handshake done, no request: closed after about a second, long before the client gives up.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(https_exchange("127.0.0.1", port, "", tls.files.cert.string(), 0, 8s), "");
  EXPECT_LT(seconds_since(start), 4.0);
  EXPECT_GT(seconds_since(start), 0.5);

  // Connected, no handshake at all: the handshake has the same deadline.
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(http_exchange("127.0.0.1", port, "", 0, 8s), "");
  EXPECT_LT(seconds_since(start), 4.0);

  // And the server still answers.
  EXPECT_EQ(status_of(https_exchange("127.0.0.1", port, get_request("/"), tls.files.cert.string())), 200);
}

TEST(ApiServer, ASlowHandlerHoldsUpOnlyItsOwnConnectionAndFilesAreServed) {
  ScratchDir dir;
  const auto clip = dir.path() / "clip.mp4";
  std::string clip_bytes;
  for (int i = 0; i < 300000; ++i) clip_bytes += static_cast<char>(i * 7 % 251);
  std::ofstream(clip, std::ios::binary) << clip_bytes;

  TlsServer tls(dir, [&clip](const recorder::api::Request& request, const std::string&) -> recorder::api::Reply {
    if (request.target() == "/slow") {
      std::this_thread::sleep_for(3s);  // an export remux
      return text_reply(request, "slow");
    }
    if (request.target() == "/clip") {
      http::file_body::value_type body;
      boost::beast::error_code error;
      body.open(clip.c_str(), boost::beast::file_mode::scan, error);
      if (error) throw std::runtime_error(error.message());
      http::response<http::file_body> response{http::status::ok, request.version(), std::move(body)};
      response.set(http::field::content_type, "video/mp4");
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      return recorder::api::Reply(std::move(response));
    }
    if (request.target() == "/throw") throw std::runtime_error("boom");
    return text_reply(request, "fast");
  }, {});
  const int port = tls.server.port();
  const auto cert = tls.files.cert.string();

  std::string slow;
  std::thread slow_client([&] { slow = https_exchange("127.0.0.1", port, get_request("/slow"), cert, 0, 10s); });
  std::this_thread::sleep_for(300ms);
  const auto start = std::chrono::steady_clock::now();
  const auto fast = https_exchange("127.0.0.1", port, get_request("/fast"), cert);
  EXPECT_LT(seconds_since(start), 1.5) << "a slow handler held up another connection";
  EXPECT_TRUE(contains(fast, "\r\n\r\nfast")) << fast;
  slow_client.join();
  EXPECT_TRUE(contains(slow, "\r\n\r\nslow")) << slow;

  // A file_body reply arrives whole, byte for byte.
  const auto download = https_exchange("127.0.0.1", port, get_request("/clip"), cert);
  EXPECT_EQ(status_of(download), 200);
  EXPECT_TRUE(contains(download, "Content-Length: 300000\r\n")) << download.substr(0, 200);
  const auto body_at = download.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_TRUE(download.substr(body_at + 4) == clip_bytes) << "body of " << download.size() - body_at - 4 << " bytes";

  // A handler that throws gets a JSON 500, not a dropped connection.
  const auto failed = https_exchange("127.0.0.1", port, get_request("/throw"), cert);
  EXPECT_EQ(status_of(failed), 500) << failed;
  EXPECT_TRUE(contains(failed, "{\"error\":\"internal error\"}")) << failed;
}

TEST(ApiServer, TlsFilesThatCannotServeAreRefusedNamingTheFile) {
  ScratchDir one, two;
  const auto a = add_tls_api(write_recorder_config(one.path(), {{.id = "x", .url = "rtsp://127.0.0.1:9/x"}}, 5));
  const auto b = add_tls_api(write_recorder_config(two.path(), {{.id = "x", .url = "rtsp://127.0.0.1:9/x"}}, 5));
  const auto handler = [](const recorder::api::Request& request, const std::string&) { return text_reply(request, ""); };
  auto refusal = [&](const recorder::config::TlsConfig& files) -> std::string {
    try {
      recorder::api::HttpServer server({.listen_address = "127.0.0.1", .listen_port = 0, .tls = files}, handler);
    } catch (const recorder::Error& e) {
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_TRUE(contains(refusal({a.cert, b.key}), "api.tls.key " + b.key.string() + " does not belong to the certificate " +
                                                   a.cert.string()))
      << refusal({a.cert, b.key});
  EXPECT_TRUE(contains(refusal({one.path() / "nope.cert", a.key}), "api.tls.cert " + (one.path() / "nope.cert").string() +
                                                                      ": cannot read it: No such file or directory"))
      << refusal({one.path() / "nope.cert", a.key});
  EXPECT_TRUE(contains(refusal({a.key, a.key}), "api.tls.cert " + a.key.string() + ": not a usable PEM certificate"))
      << refusal({a.key, a.key});
  const auto garbage = one.path() / "garbage.key";
  std::ofstream(garbage) << "not a key\n";
  std::filesystem::permissions(garbage, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(contains(refusal({a.cert, garbage}), "api.tls.key " + garbage.string() + ": not a usable PEM private key"))
      << refusal({a.cert, garbage});
  EXPECT_EQ(refusal(a), "(accepted)");
}
