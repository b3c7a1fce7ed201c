#include "pipelines/frame_backlog.h"

namespace recorder::pipelines {

void FrameBacklog::push_frame(GstBuffer* buffer) {
  const std::uint64_t size = gst_buffer_get_size(buffer);
  const bool key = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  if (!key && skip_deltas_) {
    count_drop(size);
    gst_buffer_unref(buffer);
    discont_next_ = true;
    return;
  }
  if (key) skip_deltas_ = false;
  items_.push_back({GST_MINI_OBJECT_CAST(buffer), size, true, key, discont_next_});
  discont_next_ = false;
  bytes_ += size;
  if (!key) ++queued_deltas_;
  make_room();
}

void FrameBacklog::push_event(GstEvent* event) { items_.push_back({GST_MINI_OBJECT_CAST(event), 0, false, false, false}); }

GstMiniObject* FrameBacklog::pop() {
  if (items_.empty()) return nullptr;
  const Item item = items_.front();
  items_.pop_front();
  if (!item.frame) return item.object;
  bytes_ -= item.bytes;
  if (!item.key) --queued_deltas_;
  if (!item.discont) return item.object;
  // Only after a drop: usually the sole reference, so no copy.
  GstBuffer* buffer = gst_buffer_make_writable(GST_BUFFER_CAST(item.object));
  GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
  return GST_MINI_OBJECT_CAST(buffer);
}

void FrameBacklog::clear() {
  for (const Item& item : items_) gst_mini_object_unref(item.object);
  items_.clear();
  bytes_ = 0;
  queued_deltas_ = 0;
  skip_deltas_ = false;
  discont_next_ = false;
}

void FrameBacklog::set_max_bytes(std::uint64_t max_bytes) {
  max_bytes_ = max_bytes;
  make_room();
}

void FrameBacklog::make_room() {
  while (bytes_ > max_bytes_) drop(choose_victim());
}

// Called only over the bound, so there is at least one frame.
std::size_t FrameBacklog::choose_victim() const {
  if (queued_deltas_ == 0) {
    std::size_t oldest = 0;
    while (!items_[oldest].frame) ++oldest;
    return oldest;
  }
  std::size_t first_delta = 0;
  while (!(items_[first_delta].frame && !items_[first_delta].key)) ++first_delta;
  // The last frame of that GOP: the one before the next key frame, or the newest.
  std::size_t last = first_delta;
  for (std::size_t i = first_delta + 1; i < items_.size(); ++i) {
    if (!items_[i].frame) continue;
    if (items_[i].key) break;
    last = i;
  }
  return last;
}

void FrameBacklog::drop(std::size_t index) {
  const Item victim = items_[index];
  bool later_frame = false;
  bool later_key_frame = false;
  for (std::size_t i = index + 1; i < items_.size() && !later_key_frame; ++i) {
    if (!items_[i].frame) continue;
    if (!later_frame) items_[i].discont = true;  // the first frame after the cut
    later_frame = true;
    later_key_frame = items_[i].key;
  }
  if (!later_frame) discont_next_ = true;
  // The GOP still arriving lost a frame that its next delta frames may refer to.
  if (!later_key_frame) skip_deltas_ = true;
  bytes_ -= victim.bytes;
  if (!victim.key) --queued_deltas_;
  count_drop(victim.bytes);
  gst_mini_object_unref(victim.object);
  items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(index));
}

void FrameBacklog::count_drop(std::uint64_t bytes) {
  ++dropped_frames_;
  dropped_bytes_ += bytes;
}

}  // namespace recorder::pipelines
