#pragma once
// The frames, and the events between them, that wait in a `framequeue` (frame_queue.h) for a slow
// muxer: first in, first out, bounded in bytes. No threads, no locks: the element guards it.
//
// Over the bound it gives frames up in an order that keeps what remains decodable:
//   1. the delta frames of the oldest group of pictures that still has any, from its end (a delta frame
//      refers only to frames before it, so cutting a GOP short never breaks the frames left in it);
//   2. once only key frames are left, the oldest key frame (an audio stream has nothing else).
// Dropping from the newest GOP means its later delta frames are undecodable too: they are dropped as
// they arrive, until the next key frame. The first frame after each cut is marked DISCONT.
// Events are never dropped and never reordered with the frames around them.

#include <cstdint>
#include <deque>
#include <gst/gst.h>

namespace recorder::pipelines {

class FrameBacklog {
 public:
  explicit FrameBacklog(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}
  ~FrameBacklog() { clear(); }
  FrameBacklog(const FrameBacklog&) = delete;
  FrameBacklog& operator=(const FrameBacklog&) = delete;

  // Takes ownership of `buffer` (one frame) and drops frames as needed to stay within the bound,
  // possibly this one.
  void push_frame(GstBuffer* buffer);
  // Takes ownership of a serialized event; never dropped, never counted against the bound.
  void push_event(GstEvent* event);
  // The oldest item (a buffer or an event), now owned by the caller; nullptr when empty.
  GstMiniObject* pop();
  // Unrefs everything queued and forgets the GOP in progress (a flush); the drop counts stay.
  void clear();

  bool empty() const { return items_.empty(); }
  std::uint64_t bytes() const { return bytes_; }  // of the frames queued
  std::uint64_t max_bytes() const { return max_bytes_; }
  void set_max_bytes(std::uint64_t max_bytes);
  std::uint64_t dropped_frames() const { return dropped_frames_; }  // since construction
  std::uint64_t dropped_bytes() const { return dropped_bytes_; }

 private:
  struct Item {
    GstMiniObject* object;
    std::uint64_t bytes;  // 0 for events
    bool frame;
    bool key;
    bool discont;  // a frame was dropped just before this one
  };

  void make_room();
  std::size_t choose_victim() const;
  void drop(std::size_t index);
  void count_drop(std::uint64_t bytes);

  std::deque<Item> items_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  std::size_t queued_deltas_ = 0;   // delta frames in items_: none means only key frames are left
  bool skip_deltas_ = false;        // the GOP in progress lost a frame: drop its delta frames on arrival
  bool discont_next_ = false;       // the next frame to arrive follows a dropped one
  std::uint64_t dropped_frames_ = 0;
  std::uint64_t dropped_bytes_ = 0;
};

}  // namespace recorder::pipelines
