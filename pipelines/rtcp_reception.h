#pragma once
// RTCP for the lean source: what it learns of one camera stream from the RTP and RTCP it receives, and
// the receiver report (RFC 3550 section 6.4.2) it sends back every few seconds, as rtpbin would. Some
// cameras end a session that hears no RTCP, and a report tells the camera its stream is being received.

#include <cstdint>
#include <gst/gst.h>
#include <string>
#include <vector>

namespace recorder::pipelines {

class RtcpReception {
 public:
  void on_rtp(std::uint16_t sequence, std::uint32_t ssrc);
  // Reads a compound RTCP packet from the camera; returns true when it says goodbye (BYE).
  bool on_rtcp(const std::uint8_t* data, std::size_t size, gint64 now_us);
  bool has_sender() const { return have_rtp_; }
  // A compound receiver report + SDES CNAME for the camera's stream, ready to send.
  std::vector<std::uint8_t> receiver_report(std::uint32_t own_ssrc, const std::string& cname, gint64 now_us) const;

  std::uint32_t extended_highest_sequence() const { return cycles_ + max_sequence_; }

 private:
  bool have_rtp_ = false;
  std::uint32_t sender_ssrc_ = 0;
  std::uint16_t max_sequence_ = 0;
  std::uint32_t cycles_ = 0;            // sequence wraps, in units of 2^16
  std::uint32_t last_sender_report_ = 0;  // middle 32 bits of the NTP time of the last SR; 0: none yet
  gint64 last_sender_report_at_us_ = 0;
};

}  // namespace recorder::pipelines
