#include "recorder/core/clock.h"

#include <ctime>
#include <fmt/format.h>

namespace recorder {
namespace {

std::tm utc_fields(WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::floor<std::chrono::seconds>(time));
  std::tm fields{};
  gmtime_r(&seconds, &fields);
  return fields;
}

}  // namespace

std::string format_compact_utc(WallTime time) {
  const std::tm f = utc_fields(time);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                          time - std::chrono::floor<std::chrono::seconds>(time))
                          .count();
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z", f.tm_year + 1900, f.tm_mon + 1,
                     f.tm_mday, f.tm_hour, f.tm_min, f.tm_sec, millis);
}

std::string format_rfc3339(WallTime time) {
  const std::tm f = utc_fields(time);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                          time - std::chrono::floor<std::chrono::seconds>(time))
                          .count();
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", f.tm_year + 1900, f.tm_mon + 1, f.tm_mday, f.tm_hour,
                     f.tm_min, f.tm_sec, millis);
}

std::string format_utc_date(WallTime time) {
  const std::tm f = utc_fields(time);
  return fmt::format("{:04}-{:02}-{:02}", f.tm_year + 1900, f.tm_mon + 1, f.tm_mday);
}

}  // namespace recorder
