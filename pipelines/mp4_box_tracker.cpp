#include "pipelines/mp4_box_tracker.h"

#include <algorithm>

namespace recorder::pipelines {
namespace {

constexpr std::uint32_t fourcc(const char (&c)[5]) {
  return (std::uint32_t(std::uint8_t(c[0])) << 24) | (std::uint32_t(std::uint8_t(c[1])) << 16) |
         (std::uint32_t(std::uint8_t(c[2])) << 8) | std::uint32_t(std::uint8_t(c[3]));
}

std::uint64_t read_be(const std::uint8_t* p, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
  return value;
}

}  // namespace

void Mp4BoxTracker::finish_box() {
  ++boxes_completed_;
  if (type_ == fourcc("mdat")) ++media_boxes_completed_;
  // The media of a fragment ends with its mdat; moov and mfra are the file's head and tail.
  if (type_ == fourcc("mdat") || type_ == fourcc("moov") || type_ == fourcc("mfra")) ++units_completed_;
  in_body_ = false;
  header_filled_ = 0;
}

int Mp4BoxTracker::feed(const std::uint8_t* data, std::size_t size) {
  units_completed_ = 0;
  while (size > 0) {
    if (to_end_of_file_) return units_completed_;  // nothing after a size-0 box is a box of ours
    if (in_body_) {
      const std::uint64_t take = std::min<std::uint64_t>(remaining_, size);
      remaining_ -= take;
      data += take;
      size -= take;
      if (remaining_ == 0) finish_box();
      continue;
    }
    // Gather the 8-byte header, or 16 bytes when the size field says "64-bit size follows".
    const std::size_t wanted =
        (header_filled_ >= 4 && read_be(header_.data(), 4) == 1) ? 16 : 8;
    const std::size_t take = std::min(wanted - header_filled_, size);
    std::copy_n(data, take, header_.begin() + header_filled_);
    header_filled_ += take;
    data += take;
    size -= take;
    if (header_filled_ < 8) continue;
    const std::uint64_t size32 = read_be(header_.data(), 4);
    if (size32 == 1 && header_filled_ < 16) continue;
    type_ = static_cast<std::uint32_t>(read_be(header_.data() + 4, 4));
    if (size32 == 0) {
      to_end_of_file_ = true;
      continue;
    }
    const std::uint64_t box_size = size32 == 1 ? read_be(header_.data() + 8, 8) : size32;
    const std::uint64_t header_size = size32 == 1 ? 16 : 8;
    in_body_ = true;
    remaining_ = box_size > header_size ? box_size - header_size : 0;
    if (remaining_ == 0) finish_box();
  }
  return units_completed_;
}

}  // namespace recorder::pipelines
