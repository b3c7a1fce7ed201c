#include "pipelines/interleaved_framing.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <string>

namespace recorder::pipelines {
namespace {

// The value of a Content-Length header in a message head, 0 when absent. Header names are case-insensitive.
std::size_t content_length(std::string_view head) {
  constexpr std::string_view name = "content-length:";
  std::size_t line_start = 0;
  while (line_start < head.size()) {
    std::size_t line_end = head.find("\r\n", line_start);
    if (line_end == std::string_view::npos) line_end = head.size();
    const std::string_view line = head.substr(line_start, line_end - line_start);
    if (line.size() > name.size() &&
        std::equal(name.begin(), name.end(), line.begin(),
                   [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
      std::string_view value = line.substr(name.size());
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      std::size_t length = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (error != std::errc() || length > InterleavedFrames::max_message_head)
        throw InterleavedFrames::Malformed(fmt::format("bad Content-Length in an RTSP message: '{}'", value));
      return length;
    }
    line_start = line_end + 2;
  }
  return 0;
}

}  // namespace

std::size_t InterleavedFrames::split(const std::uint8_t* data, std::size_t size, Receiver& receiver) {
  std::size_t at = 0;
  while (at < size) {
    const std::uint8_t first = data[at];
    if (first == '$') {
      if (size - at < 4) break;
      const std::size_t length = (std::size_t(data[at + 2]) << 8) | data[at + 3];
      if (size - at < 4 + length) break;
      receiver.on_packet(data[at + 1], data + at + 4, length);
      at += 4 + length;
    } else if (first == '\r' || first == '\n') {
      ++at;  // line ends between messages are allowed
    } else if (std::isupper(first)) {  // "RTSP/1.0 200 OK" or a request such as "GET_PARAMETER ..."
      const std::string_view rest(reinterpret_cast<const char*>(data + at), size - at);
      const std::size_t head_end = rest.find("\r\n\r\n");
      if (head_end == std::string_view::npos) {
        if (rest.size() > max_message_head) throw Malformed("an RTSP message head longer than 16 KiB");
        break;
      }
      const std::string_view head = rest.substr(0, head_end);
      const std::size_t total = head_end + 4 + content_length(head);
      if (rest.size() < total) break;
      receiver.on_message(head);
      at += total;
    } else {
      throw Malformed(fmt::format("byte 0x{:02x} where an interleaved frame or RTSP message should start", first));
    }
  }
  return at;
}

}  // namespace recorder::pipelines
