#include "pipelines/rtcp_reception.h"

#include <gst/rtp/gstrtcpbuffer.h>

namespace recorder::pipelines {

void RtcpReception::on_rtp(std::uint16_t sequence, std::uint32_t ssrc) {
  if (!have_rtp_ || ssrc != sender_ssrc_) {
    have_rtp_ = true;
    sender_ssrc_ = ssrc;
    max_sequence_ = sequence;
    cycles_ = 0;
    return;
  }
  const auto step = static_cast<std::uint16_t>(sequence - max_sequence_);
  if (step == 0 || step >= 0x8000) return;  // a repeat or an old packet
  if (sequence < max_sequence_) cycles_ += 1u << 16;
  max_sequence_ = sequence;
}

bool RtcpReception::on_rtcp(const std::uint8_t* data, std::size_t size, gint64 now_us) {
  GstBuffer* buffer = gst_buffer_new_memdup(data, size);
  bool goodbye = false;
  if (gst_rtcp_buffer_validate_reduced(buffer)) {
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp);
    GstRTCPPacket packet;
    for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
         more = gst_rtcp_packet_move_to_next(&packet)) {
      const GstRTCPType type = gst_rtcp_packet_get_type(&packet);
      if (type == GST_RTCP_TYPE_SR) {
        guint32 ssrc = 0, rtp_time = 0, packets = 0, octets = 0;
        guint64 ntp = 0;
        gst_rtcp_packet_sr_get_sender_info(&packet, &ssrc, &ntp, &rtp_time, &packets, &octets);
        last_sender_report_ = static_cast<std::uint32_t>(ntp >> 16);
        last_sender_report_at_us_ = now_us;
      } else if (type == GST_RTCP_TYPE_BYE) {
        goodbye = true;
      }
    }
    gst_rtcp_buffer_unmap(&rtcp);
  }
  gst_buffer_unref(buffer);
  return goodbye;
}

std::vector<std::uint8_t> RtcpReception::receiver_report(std::uint32_t own_ssrc, const std::string& cname,
                                                          gint64 now_us) const {
  GstBuffer* buffer = gst_rtcp_buffer_new(1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  gst_rtcp_buffer_map(buffer, GST_MAP_READWRITE, &rtcp);
  GstRTCPPacket packet;
  gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RR, &packet);
  gst_rtcp_packet_rr_set_ssrc(&packet, own_ssrc);
  if (have_rtp_) {
    // Delay since the last SR in 1/65536 s, as the camera needs it to measure the round trip.
    const guint32 delay = last_sender_report_ == 0
                              ? 0
                              : static_cast<guint32>(((now_us - last_sender_report_at_us_) << 16) / G_USEC_PER_SEC);
    // Loss and jitter stay 0: over TCP nothing is lost or reordered on the way.
    gst_rtcp_packet_add_rb(&packet, sender_ssrc_, 0, 0, extended_highest_sequence(), 0, last_sender_report_, delay);
  }
  gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SDES, &packet);
  gst_rtcp_packet_sdes_add_item(&packet, own_ssrc);
  gst_rtcp_packet_sdes_add_entry(&packet, GST_RTCP_SDES_CNAME, static_cast<guint8>(cname.size()),
                                 reinterpret_cast<const guint8*>(cname.data()));
  gst_rtcp_buffer_unmap(&rtcp);
  std::vector<std::uint8_t> bytes(gst_buffer_get_size(buffer));
  gst_buffer_extract(buffer, 0, bytes.data(), bytes.size());
  gst_buffer_unref(buffer);
  return bytes;
}

}  // namespace recorder::pipelines
