// Catalog: deleting footage and reading it back as continuous spans.

#include <fcntl.h>
#include <unistd.h>

#include "recorder/catalog/catalog.h"

namespace recorder::catalog {

std::int64_t Catalog::delete_segment(const Segment& segment, const std::string& cause) {
  // C3: the row says `deleting` (committed) before the file goes, and goes only after the file is gone.
  set_segment_state(segment.id, SegmentState::Deleting);
  const auto file = absolute(segment.path);
  std::error_code error;
  std::filesystem::remove(file, error);
  if (error) throw Error(ErrorKind::Unavailable, "cannot delete " + file.string() + ": " + error.message());
  const int dir = open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  const std::int64_t bytes = segment.state == SegmentState::Lost ? 0 : segment.bytes.value_or(0);
  Transaction transaction(db_);
  remove_segment(segment.id);
  count_deletion(cause, bytes);
  transaction.commit();
  return bytes;
}

std::int64_t Catalog::bytes_written_since(Micros since_us) {
  Statement query = db_.prepare(
      "SELECT coalesce(sum(bytes), 0) FROM segments WHERE end_us > ? AND state IN ('complete', 'recovered')");
  query.bind(1, since_us).step();
  return query.integer(0);
}

std::vector<Catalog::Span> Catalog::spans(const std::string& camera_id, Micros from_us, Micros to_us,
                                          Micros tolerance_us) {
  std::vector<Span> result;
  for (const auto& segment : segments(camera_id, from_us, to_us)) {
    if (segment.state == SegmentState::Lost || segment.state == SegmentState::Deleting) continue;
    const Micros end = segment.end_us.value_or(segment.start_us);
    const bool continues = !result.empty() && result.back().run_id && result.back().run_id == segment.run_id &&
                           segment.start_us <= result.back().end_us + tolerance_us &&
                           segment.start_us >= result.back().end_us - tolerance_us;
    if (continues) {
      result.back().end_us = std::max(result.back().end_us, end);
      ++result.back().segments;
    } else {
      result.push_back({segment.start_us, end, segment.run_id, 1});
    }
  }
  return result;
}

}  // namespace recorder::catalog
