#pragma once
// Where a segment file lives: <storage>/<camera-id>/<YYYY-MM-DD>/<camera-id>-<YYYYMMDDTHHMMSS.mmmZ>.mp4

#include <filesystem>
#include <optional>
#include <string>

#include "recorder/core/clock.h"

namespace recorder::catalog {

std::filesystem::path segment_path(const std::filesystem::path& storage, const std::string& camera_id,
                                   WallTime start);

// The parts of a segment file name, as segment_path writes them; nullopt for any other name.
struct SegmentName {
  std::string camera_id;
  WallTime start;
};
std::optional<SegmentName> parse_segment_file_name(const std::string& file_name);

}  // namespace recorder::catalog
