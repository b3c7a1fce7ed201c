#include "pipelines/rtsp_tcp_streaming.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

namespace recorder::pipelines {
namespace {

using Kind = RtspClientSession::FailureKind;

// A read wakes the thread once this much has arrived or the poll interval passed: for a 4 Mbit/s camera
// about 50 wake-ups a second, ~7 packets each, instead of several system calls per packet (measured: the
// same CPU as with 50 ms). The interval bounds what a power cut can take beyond the open fragment.
constexpr int wake_after_bytes = 16 * 1024;
constexpr int poll_interval_ms = 20;
constexpr std::size_t read_buffer_bytes = 256 * 1024;  // several reads' worth; an interleaved frame is < 64 KiB
constexpr gint64 report_interval_us = 5 * G_USEC_PER_SEC;
constexpr guint expected_packets_per_read = 64;

std::uint16_t read16(const std::uint8_t* p) { return std::uint16_t((p[0] << 8) | p[1]); }
std::uint32_t read32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

}  // namespace

RtspTcpStreaming::RtspTcpStreaming(GstElement* element, GstPadTemplate* pad_template, StreamSelector select)
    : element_(element), pad_template_(pad_template), select_(select), own_ssrc_(g_random_int()) {}

RtspTcpStreaming::~RtspTcpStreaming() {
  begin_stop();
  if (thread_.joinable()) thread_.join();
  gst_object_unref(pad_template_);
}

void RtspTcpStreaming::start() {
  stopping_ = false;
  end_of_stream_requested_ = false;
  camera_said_goodbye_ = false;
  thread_ = std::thread([this] { run(); });
}

void RtspTcpStreaming::set_playing(bool playing) {
  std::lock_guard lock(mutex_);
  playing_ = playing;
  playing_changed_.notify_all();
}

void RtspTcpStreaming::begin_stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  if (session_) session_->cancel();
  playing_changed_.notify_all();
}

void RtspTcpStreaming::finish_stop() {
  if (thread_.joinable()) thread_.join();
  for (auto& stream : streams_) {
    if (stream->pending != nullptr) gst_buffer_list_unref(stream->pending);
    if (stream->pad != nullptr) gst_element_remove_pad(element_, stream->pad);
  }
  streams_.clear();
  std::lock_guard lock(mutex_);
  session_.reset();
  playing_ = false;
}

void RtspTcpStreaming::run() {
  try {
    auto session = std::make_shared<RtspClientSession>(settings_.location, settings_.user, settings_.password,
                                                       settings_.timeout);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      session_ = session;
    }
    session->connect();
    const RtspClientSession::Sdp sdp = session->describe();
    set_up_streams(*session, *sdp);
    gst_element_no_more_pads(element_);
    if (streams_.empty()) return;  // the pipeline's no-more-pads handler says what the camera lacks
    if (!wait_until_playing()) return;
    session->play(session->control_url(gst_sdp_message_get_attribute_val(sdp.get(), "control")));
    read_media(*session);
  } catch (const RtspClientSession::Failure& failure) {
    if (failure.kind != Kind::Cancelled && !stopping_) post_failure(failure);
  } catch (const InterleavedFrames::Malformed& malformed) {
    GST_ELEMENT_ERROR(element_, STREAM, DEMUX, ("The camera sent data that is not RTSP."), ("%s", malformed.what()));
  }
}

// Offers each stream of the description to the pipeline and sets up those it takes, each on its own
// pair of interleaved channels.
void RtspTcpStreaming::set_up_streams(RtspClientSession& session, const GstSDPMessage& sdp) {
  for (guint number = 0; number < gst_sdp_message_medias_len(&sdp); ++number) {
    const GstSDPMedia* media = gst_sdp_message_get_media(&sdp, number);
    const gchar* format = gst_sdp_media_get_format(media, 0);
    if (format == nullptr) continue;
    const guint payload_type = static_cast<guint>(std::atoi(format));
    // Owned so that a SETUP the camera refuses (it throws) does not leak the caps on every retry.
    const std::unique_ptr<GstCaps, decltype(&gst_caps_unref)> owned_caps(
        gst_sdp_media_get_caps_from_media(media, static_cast<gint>(payload_type)), &gst_caps_unref);
    GstCaps* caps = owned_caps.get();
    if (caps == nullptr) continue;
    gst_sdp_media_attributes_to_caps(media, caps);
    GstStructure* structure = gst_caps_get_structure(caps, 0);
    gst_structure_set_name(structure, "application/x-rtp");
    gint clock_rate = 0;
    gst_structure_get_int(structure, "clock-rate", &clock_rate);
    if (clock_rate > 0 && select_(element_, number, caps)) {
      auto stream = std::make_unique<Stream>(clock_rate);
      stream->number = number;
      const auto [rtp, rtcp] =
          session.setup(session.control_url(gst_sdp_media_get_attribute_val(media, "control")),
                        static_cast<int>(2 * streams_.size()));
      stream->rtp_channel = rtp;
      stream->rtcp_channel = rtcp;
      add_pad(*stream, caps, payload_type);
      streams_.push_back(std::move(stream));
    }
  }
}

void RtspTcpStreaming::add_pad(Stream& stream, GstCaps* caps, guint payload_type) {
  const std::string name = fmt::format("recv_rtp_src_{}_0_{}", stream.number, payload_type);
  stream.pad = gst_pad_new_from_template(pad_template_, name.c_str());
  gst_pad_use_fixed_caps(stream.pad);
  gst_pad_set_active(stream.pad, TRUE);
  gchar* stream_id = gst_pad_create_stream_id_printf(stream.pad, element_, "%u", stream.number);
  gst_pad_push_event(stream.pad, gst_event_new_stream_start(stream_id));
  g_free(stream_id);
  gst_pad_set_caps(stream.pad, caps);
  gst_element_add_pad(element_, stream.pad);  // the pipeline links it in pad-added
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(stream.pad, gst_event_new_segment(&segment));
}

// PLAY only once the pipeline runs, so that the first packet's arrival has a running time.
bool RtspTcpStreaming::wait_until_playing() {
  std::unique_lock lock(mutex_);
  playing_changed_.wait(lock, [this] { return playing_ || stopping_; });
  return !stopping_;
}

void RtspTcpStreaming::read_media(RtspClientSession& session) {
  const int fd = session.socket_fd();
  setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &wake_after_bytes, sizeof wake_after_bytes);
  std::vector<std::uint8_t> buffer(read_buffer_bytes);
  std::size_t held = 0;
  const gint64 silence_limit_us = 2 * settings_.timeout.count();
  gint64 last_data_us = g_get_monotonic_time();
  gint64 next_report_us = last_data_us + report_interval_us;
  while (!stopping_) {
    if (end_of_stream_requested_) {
      push_end_of_stream();
      session.teardown();
      return;
    }
    pollfd readable{fd, POLLIN, 0};
    poll(&readable, 1, poll_interval_ms);
    const ssize_t got = recv(fd, buffer.data() + held, buffer.size() - held, MSG_DONTWAIT);
    const gint64 now_us = g_get_monotonic_time();
    if (got == 0) {
      GST_ELEMENT_WARNING(element_, RESOURCE, READ, ("The camera closed the connection."), (nullptr));
      push_end_of_stream();  // finalises the open segment; the supervisor reconnects
      return;
    }
    if (got < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        throw RtspClientSession::Failure(Kind::Unreachable, fmt::format("reading from the camera: {}", std::strerror(errno)));
      // A backstop: the recorder's stall watchdog (camera_supervisor.h) acts first, on video alone.
      if (now_us - last_data_us > silence_limit_us)
        throw RtspClientSession::Failure(Kind::Unreachable,
                                         fmt::format("the camera sent nothing for {} ms", silence_limit_us / 1000));
    } else {
      last_data_us = now_us;
      held += static_cast<std::size_t>(got);
      chunk_arrival_ = running_time_now();
      const std::size_t used = InterleavedFrames::split(buffer.data(), held, *this);
      std::memmove(buffer.data(), buffer.data() + used, held - used);
      held -= used;
      const GstFlowReturn flow = push_pending();
      if (flow == GST_FLOW_FLUSHING || flow == GST_FLOW_EOS) return;  // stopping, or downstream is done
      if (flow != GST_FLOW_OK) {
        GST_ELEMENT_FLOW_ERROR(element_, flow);
        push_end_of_stream();
        return;
      }
      if (camera_said_goodbye_) {
        GST_ELEMENT_WARNING(element_, RESOURCE, READ, ("The camera ended the stream (RTCP BYE)."), (nullptr));
        push_end_of_stream();
        return;
      }
    }
    session.keep_alive_if_due();
    if (now_us >= next_report_us) {
      send_receiver_reports(session, now_us);
      next_report_us = now_us + report_interval_us;
    }
  }
}

void RtspTcpStreaming::on_packet(std::uint8_t channel, const std::uint8_t* data, std::size_t size) {
  for (auto& stream : streams_) {
    if (channel == stream->rtcp_channel) {
      if (stream->rtcp.on_rtcp(data, size, g_get_monotonic_time())) camera_said_goodbye_ = true;
      return;
    }
    if (channel != stream->rtp_channel) continue;
    if (size < 12 || (data[0] >> 6) != 2) return;  // not RTP: dropped, as rtpbin would
    stream->rtcp.on_rtp(read16(data + 2), read32(data + 8));
    GstBuffer* packet = gst_buffer_new_memdup(data, size);
    GST_BUFFER_PTS(packet) = stream->timeline.stamp(read32(data + 4), chunk_arrival_);
    if (stream->discont) {
      GST_BUFFER_FLAG_SET(packet, GST_BUFFER_FLAG_DISCONT);
      stream->discont = false;
    }
    if (stream->pending == nullptr) stream->pending = gst_buffer_list_new_sized(expected_packets_per_read);
    gst_buffer_list_add(stream->pending, packet);
    return;
  }
}

GstFlowReturn RtspTcpStreaming::push_pending() {
  GstFlowReturn result = GST_FLOW_OK;
  for (auto& stream : streams_) {
    if (stream->pending == nullptr) continue;
    GstBufferList* list = stream->pending;
    stream->pending = nullptr;
    const GstFlowReturn flow = gst_pad_push_list(stream->pad, list);
    if (flow != GST_FLOW_OK && result == GST_FLOW_OK) result = flow;
  }
  return result;
}

void RtspTcpStreaming::push_end_of_stream() {
  for (auto& stream : streams_) gst_pad_push_event(stream->pad, gst_event_new_eos());
}

void RtspTcpStreaming::send_receiver_reports(RtspClientSession& session, gint64 now_us) {
  for (auto& stream : streams_) {
    if (!stream->rtcp.has_sender()) continue;
    const std::vector<std::uint8_t> report = stream->rtcp.receiver_report(own_ssrc_, "onboard-recorder", now_us);
    session.send_interleaved(static_cast<std::uint8_t>(stream->rtcp_channel), report.data(), report.size());
  }
}

GstClockTime RtspTcpStreaming::running_time_now() const {
  GstClock* clock = gst_element_get_clock(element_);
  if (clock == nullptr) return 0;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(element_);
  return now > base ? now - base : 0;
}

// A short sentence for the kind of failure, and the particulars as the debug text (the recorder's log
// shows both), as GStreamer's own elements do.
void RtspTcpStreaming::post_failure(const RtspClientSession::Failure& failure) {
  const char* detail = failure.what();
  switch (failure.kind) {
    case Kind::Unauthorized:
      GST_ELEMENT_ERROR(element_, RESOURCE, NOT_AUTHORIZED, ("The camera refused the credentials."), ("%s", detail));
      break;
    case Kind::NotFound:
      GST_ELEMENT_ERROR(element_, RESOURCE, NOT_FOUND, ("The camera has no such stream."), ("%s", detail));
      break;
    case Kind::Protocol:
      GST_ELEMENT_ERROR(element_, RESOURCE, READ, ("The camera's RTSP answer cannot be used."), ("%s", detail));
      break;
    default:
      GST_ELEMENT_ERROR(element_, RESOURCE, OPEN_READ, ("Could not receive from the camera."), ("%s", detail));
      break;
  }
}

}  // namespace recorder::pipelines
