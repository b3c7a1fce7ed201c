#pragma once
// The control side of one camera connection for the lean RTSP/TCP source (rtsp_tcp_source.h): connect,
// DESCRIBE, SETUP with interleaved transport, PLAY, keep-alives, interleaved writes (RTCP) and TEARDOWN,
// through GStreamer's own RTSP library, which writes and parses the messages and keeps CSeq, the session
// id and Basic or Digest authentication. After play() the media arrives on the socket behind fd(); the
// source reads it itself, in large chunks, instead of one message at a time.

#include <chrono>
#include <cstdint>
#include <gst/rtsp/rtsp.h>
#include <gst/sdp/sdp.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace recorder::pipelines {

class RtspClientSession {
 public:
  enum class FailureKind { Unauthorized, Unreachable, NotFound, Protocol, Cancelled };
  struct Failure : std::runtime_error {
    Failure(FailureKind kind, const std::string& message) : std::runtime_error(message), kind(kind) {}
    FailureKind kind;
  };

  struct SdpDeleter {
    void operator()(GstSDPMessage* sdp) const { gst_sdp_message_free(sdp); }
  };
  using Sdp = std::unique_ptr<GstSDPMessage, SdpDeleter>;

  // `user`/`password` empty: taken from the URL if it has them. Every request waits at most `timeout`.
  RtspClientSession(const std::string& url, std::string user, std::string password, std::chrono::microseconds timeout);
  ~RtspClientSession();
  RtspClientSession(const RtspClientSession&) = delete;
  RtspClientSession& operator=(const RtspClientSession&) = delete;

  // All of these throw Failure.
  void connect();
  Sdp describe();
  // Sets up the stream at `control` (from its SDP media) on interleaved channels (rtp, rtp + 1) and
  // returns the channels the camera chose.
  std::pair<int, int> setup(const std::string& control, int rtp_channel);
  void play(const std::string& aggregate_control);
  // A request that keeps the session alive (GET_PARAMETER when the camera offers it, else OPTIONS),
  // sent when due; its answer arrives among the media and is for the reader to skip.
  void keep_alive_if_due();
  // Writes one interleaved frame (`$`, channel, length, data) on the connection.
  void send_interleaved(std::uint8_t channel, const std::uint8_t* data, std::size_t size);
  // Ends the session politely; failures are ignored (the connection closes anyway).
  void teardown() noexcept;
  // From another thread: a blocking call returns at once with FailureKind::Cancelled, as do later ones.
  void cancel();

  int socket_fd() const;
  // The stream's or session's URL for a control attribute, resolved against the description's base.
  std::string control_url(const char* control) const;

 private:
  struct MessageDeleter {
    void operator()(GstRTSPMessage* message) const { gst_rtsp_message_free(message); }
  };
  using Message = std::unique_ptr<GstRTSPMessage, MessageDeleter>;

  Message request(GstRTSPMethod method, const std::string& uri, const char* header_value = nullptr,
                  GstRTSPHeaderField header = GST_RTSP_HDR_INVALID);
  Message receive_response(GstRTSPMethod method);
  bool use_challenge(GstRTSPMessage* response);
  void check(GstRTSPResult result, const std::string& doing) const;

  GstRTSPUrl* url_ = nullptr;
  GstRTSPConnection* connection_ = nullptr;
  std::string user_;
  std::string password_;
  gint64 timeout_us_;
  std::string request_uri_;  // the URL without credentials
  std::string base_url_;     // Content-Base of the description
  GstRTSPMethod keep_alive_method_ = GST_RTSP_OPTIONS;
};

}  // namespace recorder::pipelines
