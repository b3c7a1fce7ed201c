#include "recorder/core/clock.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
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

std::optional<WallTime> parse_rfc3339(const std::string& text) {
  std::tm f{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &f.tm_year, &f.tm_mon, &f.tm_mday, &f.tm_hour,
                  &f.tm_min, &f.tm_sec, &consumed) != 6 || consumed != 19)
    return std::nullopt;
  if (f.tm_mon < 1 || f.tm_mon > 12 || f.tm_mday < 1 || f.tm_mday > 31 || f.tm_hour > 23 || f.tm_min > 59 ||
      f.tm_sec > 60)
    return std::nullopt;
  std::size_t at = 19;
  std::int64_t micros = 0;
  if (at < text.size() && text[at] == '.') {
    std::int64_t scale = 100000;
    for (++at; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at) {
      micros += (text[at] - '0') * scale;
      scale /= 10;
    }
  }
  int offset_minutes = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
    const int hours = std::atoi(text.substr(at + 1, 2).c_str()), minutes = std::atoi(text.substr(at + 4, 2).c_str());
    if (!std::isdigit(static_cast<unsigned char>(text[at + 1])) || hours > 23 || minutes > 59) return std::nullopt;
    offset_minutes = (text[at] == '-' ? -1 : 1) * (hours * 60 + minutes);
    at += 6;
  } else {
    return std::nullopt;  // a time without its offset is ambiguous on a train that crosses borders
  }
  if (at != text.size()) return std::nullopt;
  const int day = f.tm_mday, month = f.tm_mon;
  f.tm_year -= 1900;
  f.tm_mon -= 1;
  const std::time_t seconds = timegm(&f);
  std::tm check{};
  gmtime_r(&seconds, &check);
  if (check.tm_mday != day || check.tm_mon + 1 != month) return std::nullopt;  // 31 February and the like
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::microseconds(micros) -
         std::chrono::minutes(offset_minutes);
}

std::string format_utc_date(WallTime time) {
  const std::tm f = utc_fields(time);
  return fmt::format("{:04}-{:02}-{:02}", f.tm_year + 1900, f.tm_mon + 1, f.tm_mday);
}

double to_unix_seconds(WallTime time) { return std::chrono::duration<double>(time.time_since_epoch()).count(); }

WallTime from_unix_seconds(double seconds) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::duration<double>(seconds)));
}

}  // namespace recorder
