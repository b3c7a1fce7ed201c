#pragma once
// Writes one MP4 of an export plan by remuxing the segment files with libavformat: never re-encoded.
// It starts at the key frame at or before `from`, with an edit list so that playback starts at `from`;
// time stamps follow wall-clock time from `from`, so gaps stay gaps and are not hidden.

#include <filesystem>
#include <functional>

#include "recorder/export/export_plan.h"

namespace recorder::exporting {

struct ExportResult {
  catalog::Micros first_frame_us = 0;  // wall-clock time of the first frame shown
  catalog::Micros end_us = 0;          // wall-clock end of the last frame
  std::int64_t video_frames = 0;
  std::uint64_t bytes = 0;
};

// `progress` (may be empty) is called with the fraction done, 0..1, after each segment.
ExportResult export_mp4(const ExportPlan& plan, const std::filesystem::path& storage, const std::filesystem::path& out,
                        const std::function<void(double)>& progress = {});

}  // namespace recorder::exporting
