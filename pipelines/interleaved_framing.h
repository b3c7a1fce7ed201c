#pragma once
// Splits the byte stream of an RTSP connection that carries interleaved RTP (RFC 2326 section 10.12)
// into its frames: `$`, channel, 16-bit length, packet; and, between them, whole RTSP messages (the
// camera's answers to keep-alives, or its own requests). Pure: it sees bytes, never the socket, so that
// the source can read the connection in large chunks and tests can cut the stream anywhere.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace recorder::pipelines {

class InterleavedFrames {
 public:
  class Receiver {
   public:
    virtual ~Receiver() = default;
    virtual void on_packet(std::uint8_t channel, const std::uint8_t* data, std::size_t size) = 0;
    // A complete RTSP message: start line and headers (without the blank line), body skipped.
    virtual void on_message(std::string_view head) = 0;
  };

  // Bytes that are neither a frame nor an RTSP message, or a message head beyond any sensible size.
  struct Malformed : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  // Hands every complete frame and message at the front of `data` to `receiver` and returns how many
  // bytes they took; the rest is an incomplete frame to be offered again with more bytes behind it.
  static std::size_t split(const std::uint8_t* data, std::size_t size, Receiver& receiver);

  static constexpr std::size_t max_message_head = 16 * 1024;
};

}  // namespace recorder::pipelines
