#pragma once
// The C++ half of `rtsptcpsrc` (rtsp_tcp_source.h): its streaming thread, which connects, sets up the
// selected streams, then reads the connection and pushes the packets; and the controls the element's
// state changes use. One per element.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <gst/gst.h>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pipelines/interleaved_framing.h"
#include "pipelines/rtcp_reception.h"
#include "pipelines/rtp_timeline.h"
#include "pipelines/rtsp_client_session.h"

namespace recorder::pipelines {

class RtspTcpStreaming : private InterleavedFrames::Receiver {
 public:
  struct Settings {
    std::string location;
    std::string user;
    std::string password;
    std::chrono::microseconds timeout{5'000'000};
  };
  using StreamSelector = bool (*)(GstElement* element, guint number, GstCaps* caps);

  // `element` is not owned (it owns this); `pad_template` is.
  RtspTcpStreaming(GstElement* element, GstPadTemplate* pad_template, StreamSelector select);
  ~RtspTcpStreaming();

  Settings& settings() { return settings_; }  // set while the element is stopped
  void start();
  void set_playing(bool playing);
  void request_end_of_stream() { end_of_stream_requested_ = true; }
  void begin_stop();   // asks the thread to stop and cancels what it waits for
  void finish_stop();  // waits for the thread and removes the pads

 private:
  struct Stream {
    guint number = 0;
    GstPad* pad = nullptr;  // owned by the element once added
    int rtp_channel = -1;
    int rtcp_channel = -1;
    RtpTimeline timeline;
    RtcpReception rtcp;
    GstBufferList* pending = nullptr;  // packets of the current read, pushed together
    bool discont = true;
    explicit Stream(int clock_rate) : timeline(clock_rate) {}
  };

  void run();
  void set_up_streams(RtspClientSession& session, const GstSDPMessage& sdp);
  void add_pad(Stream& stream, GstCaps* caps, guint payload_type);
  bool wait_until_playing();
  void read_media(RtspClientSession& session);
  void send_receiver_reports(RtspClientSession& session, gint64 now_us);
  GstFlowReturn push_pending();
  void push_end_of_stream();
  GstClockTime running_time_now() const;
  void post_failure(const RtspClientSession::Failure& failure);

  void on_packet(std::uint8_t channel, const std::uint8_t* data, std::size_t size) override;
  void on_message(std::string_view) override {}  // answers to keep-alives: nothing to act on

  GstElement* element_;
  GstPadTemplate* pad_template_;
  StreamSelector select_;
  Settings settings_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> end_of_stream_requested_{false};

  std::mutex mutex_;  // guards playing_ and session_ (cancel() comes from another thread)
  std::condition_variable playing_changed_;
  bool playing_ = false;
  std::shared_ptr<RtspClientSession> session_;

  // Owned by the streaming thread while it runs.
  std::vector<std::unique_ptr<Stream>> streams_;
  GstClockTime chunk_arrival_ = 0;  // running time at which the current read arrived
  bool camera_said_goodbye_ = false;
  std::uint32_t own_ssrc_ = 0;
};

}  // namespace recorder::pipelines
