#include "recorder/catalog/segment_layout.h"

#include <cstdio>
#include <ctime>

namespace recorder::catalog {

std::filesystem::path segment_path(const std::filesystem::path& storage, const std::string& camera_id,
                                   WallTime start) {
  return storage / camera_id / format_utc_date(start) / (camera_id + "-" + format_compact_utc(start) + ".mp4");
}

std::optional<SegmentName> parse_segment_file_name(const std::string& file_name) {
  // <id>-YYYYMMDDTHHMMSS.mmmZ.mp4: the time stamp is the last 24 characters before ".mp4".
  constexpr std::size_t stamp_length = 20;  // YYYYMMDDTHHMMSS.mmmZ
  const std::string suffix = ".mp4";
  if (file_name.size() < stamp_length + suffix.size() + 2) return std::nullopt;
  if (file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0) return std::nullopt;
  const std::size_t stamp_at = file_name.size() - suffix.size() - stamp_length;
  if (file_name[stamp_at - 1] != '-') return std::nullopt;
  std::tm fields{};
  int millis = 0;
  char t = 0, z = 0;
  int consumed = 0;
  const std::string stamp = file_name.substr(stamp_at, stamp_length);
  if (std::sscanf(stamp.c_str(), "%4d%2d%2d%c%2d%2d%2d.%3d%c%n", &fields.tm_year, &fields.tm_mon, &fields.tm_mday,
                  &t, &fields.tm_hour, &fields.tm_min, &fields.tm_sec, &millis, &z, &consumed) != 9 ||
      t != 'T' || z != 'Z' || consumed != static_cast<int>(stamp_length))
    return std::nullopt;
  fields.tm_year -= 1900;
  fields.tm_mon -= 1;
  const std::time_t seconds = timegm(&fields);
  SegmentName name;
  name.camera_id = file_name.substr(0, stamp_at - 1);
  name.start = std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
  return name;
}

}  // namespace recorder::catalog
