#include "recorder/catalog/catalog_writer.h"

#include "recorder/catalog/segment_file.h"

namespace recorder::catalog {

CatalogWriter::CatalogWriter(std::unique_ptr<Catalog> catalog)
    : catalog_(std::move(catalog)),
      log_(component_logger("catalog")),
      last_progress_(std::chrono::steady_clock::now()),
      thread_([this] { run(); }) {}

CatalogWriter::~CatalogWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CatalogWriter::post(std::function<void(Catalog&)> task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

MonotonicTime CatalogWriter::last_progress() const {
  std::lock_guard lock(mutex_);
  return last_progress_;
}

void CatalogWriter::run() {
  for (;;) {
    std::function<void(Catalog&)> task;
    {
      std::unique_lock lock(mutex_);
      // Waking now and then while idle keeps last_progress fresh: idle is healthy, stuck is not.
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || !queue_.empty(); });
      last_progress_ = std::chrono::steady_clock::now();
      if (queue_.empty()) {
        if (stopping_) return;
        continue;
      }
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task(*catalog_);
    } catch (const std::exception& e) {
      // A failed write must not stop the recording: the files are on disk and recovery adopts them.
      log_->error("catalog update failed: {}", e.what());
    }
  }
}

void CatalogWriter::segment_opened(const std::string& camera_id, const std::filesystem::path& file, WallTime start) {
  post([this, camera_id, file, start](Catalog& catalog) {
    auto run = current_run_.find(camera_id);
    if (run == current_run_.end()) run = current_run_.emplace(camera_id, catalog.begin_run(camera_id, to_micros(start))).first;
    Segment segment;
    segment.camera_id = camera_id;
    segment.run_id = run->second;
    segment.path = catalog.relative(file);
    segment.start_us = to_micros(start);
    segment.state = SegmentState::Writing;
    open_segments_[segment.path] = {catalog.insert_segment(segment), camera_id};
  });
}

void CatalogWriter::segment_closed(const std::filesystem::path& file, Micros media_duration_us, std::int64_t key_frames) {
  post([this, file, media_duration_us, key_frames](Catalog& catalog) {
    const std::string relative = catalog.relative(file);
    const auto open = open_segments_.find(relative);
    if (open == open_segments_.end()) {
      log_->warn("closed segment {} has no open row; recovery will adopt it", relative);
      return;
    }
    if (!sync_file(file)) {
      log_->error("cannot sync {}: left in state writing for recovery", relative);
      open_segments_.erase(open);
      return;
    }
    std::error_code error;
    const auto bytes = static_cast<std::int64_t>(std::filesystem::file_size(file, error));
    catalog.close_segment(open->second.id, {media_duration_us, error ? 0 : bytes, key_frames}, SegmentState::Complete);
    open_segments_.erase(open);
  });
}

void CatalogWriter::segments_abandoned(const std::string& camera_id) {
  post([this, camera_id](Catalog& catalog) {
    for (auto open = open_segments_.begin(); open != open_segments_.end();) {
      if (open->second.camera_id != camera_id) {
        ++open;
        continue;
      }
      const auto file = catalog.absolute(open->first);
      std::string why;
      std::optional<SegmentMeasure> measure;
      if (const auto extent = file_extent(file)) {
        cut_to_complete_boxes(file, *extent);  // a fragment the muxer never finished
        measure = measure_segment_file(file, &why);
      }
      if (measure) {
        catalog.close_segment(open->second.id, *measure, SegmentState::Complete);
      } else {
        log_->info("dropping {}: {}", open->first, why.empty() ? "unreadable" : why);
        std::error_code ignored;
        std::filesystem::remove(file, ignored);
        catalog.remove_segment(open->second.id);
      }
      open = open_segments_.erase(open);
    }
  });
}

void CatalogWriter::run_ended(const std::string& camera_id, WallTime at, const std::string& reason) {
  post([this, camera_id, at, reason](Catalog& catalog) {
    const auto run = current_run_.find(camera_id);
    if (run == current_run_.end()) return;
    catalog.end_run(run->second, to_micros(at), reason);
    current_run_.erase(run);
  });
}

}  // namespace recorder::catalog
