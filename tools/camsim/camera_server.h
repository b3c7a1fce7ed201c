#pragma once
// The simulated camera fleet: one RTSP server, N mount points /cam/<i>, each replaying the shared
// encoded loops in real time with advancing time stamps.

#include <atomic>
#include <cstdint>
#include <gst/rtsp-server/rtsp-server.h>
#include <string>

#include "encoded_loop.h"

namespace camsim {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 8554;  // 0: any free port
  int cameras = 1;
  std::string user;      // empty: no authentication
  std::string password;
  int session_timeout_seconds = 0;  // > 0: a connection without a request for this long is closed
};

// What the fleet has handed to its video payloaders since start-up, all cameras together: the
// benchmark's reference for what a recorder should have received (access units, without RTP headers).
struct SentCounters {
  std::atomic<std::uint64_t> video_frames{0};
  std::atomic<std::uint64_t> video_bytes{0};
};

class CameraServer {
 public:
  // The loops must outlive the server; `audio` may be null.
  CameraServer(const ServerOptions& options, const EncodedLoop& video, const EncodedLoop* audio);
  ~CameraServer();
  // Starts listening on the default main context; returns the bound port. Throws when it cannot bind.
  int start();
  std::string url(int camera_index) const;
  const SentCounters& sent() const { return sent_; }

 private:
  void close_clients_not_kept_alive();

  ServerOptions options_;
  const EncodedLoop& video_;
  const EncodedLoop* audio_;
  GstRTSPServer* server_ = nullptr;
  int port_ = 0;
  SentCounters sent_;
};

}  // namespace camsim
