#pragma once
// Time enters the recorder only through Clock, so that tests can step it (NTP jumps, long runs).

#include <chrono>
#include <optional>
#include <string>

namespace recorder {

using WallTime = std::chrono::system_clock::time_point;
using MonotonicTime = std::chrono::steady_clock::time_point;

// The source of wall-clock (UTC) and monotonic time. Logic never calls the std clocks directly.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime wall_now() const = 0;
  virtual MonotonicTime monotonic_now() const = 0;
};

// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
  MonotonicTime monotonic_now() const override { return std::chrono::steady_clock::now(); }
};

// "20261130T105444.123Z": UTC, millisecond precision, safe in file names.
std::string format_compact_utc(WallTime time);
// "2026-11-30T10:54:44.123Z": RFC 3339, UTC, millisecond precision, for people and the API.
std::string format_rfc3339(WallTime time);
// Parses RFC 3339 ("2026-11-30T10:54:44Z", "2026-11-30T11:54:44.5+01:00"); nullopt when it is not one.
std::optional<WallTime> parse_rfc3339(const std::string& text);
// Seconds since the Unix epoch as a number, and back: how the small JSON files that processes leave for
// each other (the status file, the firewall guard's result) carry a time exactly enough to compare.
double to_unix_seconds(WallTime time);
WallTime from_unix_seconds(double seconds);
// "2026-11-30": the UTC day, used as a directory name.
std::string format_utc_date(WallTime time);

}  // namespace recorder
