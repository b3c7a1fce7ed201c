#pragma once
// Follows the top-level boxes of an MP4 byte stream as it is written, to tell the durable sink when a
// fragment is complete on disk (the end of an `mdat`) and so when to flush.

#include <array>
#include <cstddef>
#include <cstdint>

namespace recorder::pipelines {

class Mp4BoxTracker {
 public:
  // Consumes the next bytes of the stream; returns how many top-level boxes that end a durable unit
  // (mdat, moov, mfra) were completed by them.
  int feed(const std::uint8_t* data, std::size_t size);

  // Top-level boxes seen complete so far, of any type (for tests and diagnostics).
  std::uint64_t boxes_completed() const { return boxes_completed_; }
  // Complete mdat boxes: fragments whose media is all in the file.
  std::uint64_t media_boxes_completed() const { return media_boxes_completed_; }

 private:
  void finish_box();

  std::array<std::uint8_t, 16> header_{};
  std::size_t header_filled_ = 0;   // bytes of the current box header gathered so far
  std::uint64_t remaining_ = 0;     // bytes of the current box body still to come
  bool in_body_ = false;
  bool to_end_of_file_ = false;     // size 0: the box runs to the end of the file
  std::uint32_t type_ = 0;
  std::uint64_t boxes_completed_ = 0;
  std::uint64_t media_boxes_completed_ = 0;
  int units_completed_ = 0;
};

}  // namespace recorder::pipelines
