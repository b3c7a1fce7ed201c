// The RTSP session with a camera (pipelines/rtsp_tcp_source.h): kept alive for as long as we record,
// and a camera that answers nonsense, or nothing, is a clear failure of that camera alone.

#include <arpa/inet.h>
#include <atomic>
#include <csignal>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "tests/support/media_probe.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;

namespace {

// A "camera" on a free loopback port that accepts connections and answers every request with `answer`
// (empty: never answers). Stops when destroyed.
class BrokenCamera {
 public:
  explicit BrokenCamera(std::string answer) : answer_(std::move(answer)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 8);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~BrokenCamera() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
  }
  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/cam/1"; }

 private:
  void serve() {
    while (!stopping_) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      timeval wait{.tv_sec = 0, .tv_usec = 200'000};
      setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
      char request[4096];
      for (int quiet_reads = 0; !stopping_ && quiet_reads < 50;) {  // up to 10 s per connection
        const ssize_t got = recv(client, request, sizeof request, 0);
        if (got == 0) break;
        if (got < 0) {
          ++quiet_reads;
          continue;
        }
        if (!answer_.empty()) send(client, answer_.data(), answer_.size(), MSG_NOSIGNAL);
      }
      close(client);
    }
  }

  std::string answer_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

// The camera ends sessions that hear nothing for 3 s; we record through four times that in one piece.
TEST(CameraSession, KeptAliveBeyondTheCamerasSessionTimeout) {
  ScratchDir dir;
  Camsim camera("cam-strict", {.session_timeout_seconds = 3}, dir.path());
  RecorderRun recorder(dir.path(), {{.id = "strict", .url = camera.urls()[0]}}, 4);
  std::this_thread::sleep_for(13s);
  const auto stopped_at = std::chrono::system_clock::now();
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();

  EXPECT_EQ(recorder.log().find("[camera strict] recording ->"), std::string::npos)
      << "the camera dropped the session:\n" << recorder.log();
  const auto segments = segments_of(recorder.storage(), "strict");
  ASSERT_GE(segments.size(), 3u) << recorder.log();
  expect_contiguous(segments, stopped_at);
}

// Cameras that answer with bytes that are not RTSP, with an error page, or not at all: each is named in
// the log with what went wrong and retried, while a good camera records and the recorder stops cleanly.
TEST(CameraSession, CamerasThatAnswerNonsenseOrNothingFailAloneWithAReason) {
  ScratchDir dir;
  Camsim good("cam-good", {}, dir.path());
  BrokenCamera binary(std::string("\x00\xff\x13\x37garbage", 11));
  BrokenCamera web_page("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  BrokenCamera mute("");
  RecorderRun recorder(dir.path(),
                       {{.id = "good", .url = good.urls()[0]},
                        {.id = "binary", .url = binary.url()},
                        {.id = "web", .url = web_page.url()},
                        {.id = "mute", .url = mute.url()}},
                       4);
  std::this_thread::sleep_for(14s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(10s), 0) << recorder.log();

  const std::string log = recorder.log();
  for (const std::string camera : {"binary", "web", "mute"}) {
    EXPECT_NE(log.find("[camera " + camera + "] connecting -> backoff: camera unreachable"), std::string::npos)
        << camera << ":\n" << log;
    EXPECT_EQ(log.find("[camera " + camera + "] recording\n"), std::string::npos) << camera;
    EXPECT_TRUE(segments_of(recorder.storage(), camera).empty()) << camera;
  }
  // What went wrong, in the camera's own words where it had any.
  EXPECT_NE(log.find("receive the answer to OPTIONS"), std::string::npos) << log;
  const auto segments = segments_of(recorder.storage(), "good");
  ASSERT_FALSE(segments.empty()) << log;
  EXPECT_GT(probe_media(segments.front().path).video_seconds, 3.0);
  EXPECT_EQ(log.find("[camera good] recording ->"), std::string::npos) << "the good camera paused:\n" << log;
}
