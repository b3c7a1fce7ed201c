#include "recorder/catalog/recovery.h"

#include <fmt/format.h>
#include <set>
#include <unordered_set>

#include "recorder/catalog/segment_file.h"
#include "recorder/catalog/segment_layout.h"

namespace recorder::catalog {
namespace {

// Files this young may still be waiting for their row while the recorder runs.
constexpr Micros young_file_us = 30'000'000;

struct Reconciler {
  Catalog& catalog;
  RecoveryMode mode;
  Micros now;
  bool in_progress_ok;
  RecoveryReport report;

  bool repairing() const { return mode == RecoveryMode::Repair; }

  void found(const std::string& what) {
    report.findings.push_back(what);
    if (!repairing()) ++report.unrepaired;
  }

  // Cuts a torn tail and measures the file; nullopt when it holds no frame.
  std::optional<SegmentMeasure> salvage(const std::filesystem::path& file, std::string* why) {
    const auto extent = file_extent(file);
    if (!extent) {
      *why = "unreadable";
      return std::nullopt;
    }
    if (extent->complete_size < extent->size) {
      found(fmt::format("{}: torn tail of {} bytes after the last complete fragment", catalog.relative(file),
                        extent->size - extent->complete_size));
      if (repairing()) {
        cut_to_complete_boxes(file, *extent);
        ++report.tails_cut;
      }
    }
    return measure_segment_file(file, why);
  }

  void finish_deletions() {
    for (const auto& segment : catalog.segments_in_state(SegmentState::Deleting)) {
      found(fmt::format("{}: deletion interrupted", segment.path));
      if (!repairing()) continue;
      std::error_code ignored;
      std::filesystem::remove(catalog.absolute(segment.path), ignored);
      catalog.remove_segment(segment.id);
      ++report.deletions_finished;
    }
  }

  void check_rows() {
    for (const auto& segment : catalog.segments_with_files()) {
      ++report.segments_checked;
      const auto file = catalog.absolute(segment.path);
      const bool exists = std::filesystem::exists(file);
      if (segment.state == SegmentState::Writing && in_progress_ok) continue;
      if (!exists) {
        found(fmt::format("{}: file missing ({} row)", segment.path, to_string(segment.state)));
        if (repairing()) {
          catalog.set_segment_state(segment.id, SegmentState::Lost);
          ++report.marked_lost;
        }
        continue;
      }
      if (segment.state != SegmentState::Writing) continue;
      std::string why;
      const auto measure = salvage(file, &why);
      found(fmt::format("{}: left in state writing", segment.path));
      if (!repairing()) continue;
      if (measure) {
        catalog.close_segment(segment.id, *measure, SegmentState::Recovered);
        ++report.writing_closed;
      } else {
        // Killed before its first fragment was complete: nothing to keep.
        std::filesystem::remove(file);
        catalog.remove_segment(segment.id);
        ++report.empty_files_removed;
      }
    }
  }

  // Every path the catalog holds, whatever the row's state, read in one scan (of the UNIQUE index on `path`)
  // instead of one look-up per file on disk.
  std::unordered_set<std::string> known_paths() {
    std::unordered_set<std::string> paths;
    Statement count = catalog.database().prepare("SELECT count(*) FROM segments");
    count.step();
    paths.reserve(static_cast<std::size_t>(count.integer(0)));  // no rehashing as it fills
    Statement query = catalog.database().prepare("SELECT path FROM segments");
    while (query.step()) paths.insert(query.text(0));
    return paths;
  }

  void adopt_unknown_files() {
    if (!std::filesystem::exists(catalog.storage())) return;
    const auto known = known_paths();
    for (const auto& camera_dir : std::filesystem::directory_iterator(catalog.storage())) {
      if (!camera_dir.is_directory()) continue;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(camera_dir.path())) {
        if (!entry.is_regular_file()) continue;
        const auto name = parse_segment_file_name(entry.path().filename().string());
        if (!name || name->camera_id != camera_dir.path().filename().string()) continue;
        const std::string relative = catalog.relative(entry.path());
        // A path missing from the snapshot is asked for again: with `in_progress_ok` the running recorder may
        // have added its row since. Only files without a row pay for this.
        if (known.contains(relative) || catalog.segment_by_path(relative)) continue;
        const auto modified = std::chrono::file_clock::to_sys(entry.last_write_time());
        if (in_progress_ok && now - to_micros(std::chrono::time_point_cast<WallTime::duration>(modified)) < young_file_us)
          continue;
        adopt(entry.path(), relative, *name);
      }
    }
  }

  void adopt(const std::filesystem::path& file, const std::string& relative, const SegmentName& name) {
    std::string why;
    const auto measure = salvage(file, &why);
    found(fmt::format("{}: file not in the catalog ({})", relative, measure ? "playable" : why));
    if (!repairing()) return;
    if (!measure) {
      std::filesystem::remove(file);
      ++report.empty_files_removed;
      return;
    }
    catalog.upsert_camera(name.camera_id, std::nullopt, "", now);
    Segment segment;
    segment.camera_id = name.camera_id;
    segment.path = relative;
    segment.start_us = to_micros(name.start);
    segment.end_us = segment.start_us + measure->media_duration_us;
    segment.media_duration_us = measure->media_duration_us;
    segment.bytes = measure->bytes;
    segment.key_frames = measure->key_frames;
    segment.state = SegmentState::Recovered;
    catalog.insert_segment(segment);
    ++report.files_adopted;
  }

  void close_open_runs() {
    if (in_progress_ok) return;
    for (const auto& run : catalog.open_runs()) {
      found(fmt::format("recording run {} of camera {} was never closed", run.id, run.camera_id));
      if (!repairing()) continue;
      Statement last = catalog.database().prepare(
          "SELECT max(coalesce(end_us, start_us)) FROM segments WHERE run_id = ?");
      last.bind(1, run.id).step();
      catalog.end_run(run.id, last.optional_integer(0).value_or(run.started_us), "crash");
      ++report.runs_closed;
    }
  }
};

}  // namespace

std::string RecoveryReport::summary() const {
  return fmt::format(
      "{} segment(s) checked; {} left writing closed, {} unknown file(s) adopted, {} empty file(s) removed, "
      "{} torn tail(s) cut, {} marked lost, {} interrupted deletion(s) finished, {} open run(s) closed",
      segments_checked, writing_closed, files_adopted, empty_files_removed, tails_cut, marked_lost,
      deletions_finished, runs_closed);
}

RecoveryReport reconcile(Catalog& catalog, RecoveryMode mode, Micros now, bool in_progress_ok) {
  Reconciler reconciler{catalog, mode, now, in_progress_ok, {}};
  reconciler.finish_deletions();
  reconciler.check_rows();
  reconciler.adopt_unknown_files();
  reconciler.close_open_runs();
  return reconciler.report;
}

}  // namespace recorder::catalog
