#include "recorder/retention/retention.h"

#include <algorithm>
#include <fmt/format.h>

namespace recorder::retention {
namespace {

constexpr int batch = 64;  // rows fetched per query while deleting

// How far back the write rate is observed.
constexpr catalog::Micros rate_window_us = 5 * 60 * 1'000'000LL;

}  // namespace

Retention::Retention(const config::StorageConfig& storage, std::map<std::string, std::uint64_t> camera_quotas,
                     const DiskSpaceSource& disk)
    : storage_(storage), quotas_(std::move(camera_quotas)), disk_(disk) {}

int Retention::delete_by_age(catalog::Catalog& catalog, catalog::Micros now) {
  // A segment goes when all of it is older than the limit; one camera's segment that straddles the
  // limit must not hold back another camera's older footage, so the filter is on the end, in SQL.
  const catalog::Micros cutoff = now - std::int64_t{storage_.retention.max_age_days} * 86'400'000'000LL;
  int deleted = 0;
  for (;;) {
    const auto candidates = catalog.deletable_segments(now, batch, "", cutoff);
    for (const auto& segment : candidates) {
      catalog.delete_segment(segment, "age");
      ++deleted;
    }
    if (static_cast<int>(candidates.size()) < batch) return deleted;
  }
}

int Retention::delete_over_quota(catalog::Catalog& catalog, catalog::Micros now) {
  int deleted = 0;
  for (const auto& [camera, quota] : quotas_) {
    std::int64_t used = catalog.camera_bytes(camera);
    while (used > static_cast<std::int64_t>(quota)) {
      const auto candidates = catalog.deletable_segments(now, batch, camera);
      if (candidates.empty()) break;  // all that is left is protected or being written
      for (const auto& segment : candidates) {
        if (used <= static_cast<std::int64_t>(quota)) break;
        used -= catalog.delete_segment(segment, "quota");
        ++deleted;
      }
    }
  }
  return deleted;
}

int Retention::delete_for_space(catalog::Catalog& catalog, catalog::Micros now, std::uint64_t wanted_free,
                                bool* exhausted) {
  int deleted = 0;
  *exhausted = false;
  while (disk_.space(storage_.path).available < wanted_free) {
    const auto candidates = catalog.deletable_segments(now, batch);
    if (candidates.empty()) {
      *exhausted = true;
      break;
    }
    // Delete the oldest until the shortfall is covered by their sizes, then measure the disk again.
    const std::uint64_t available = disk_.space(storage_.path).available;
    std::uint64_t freed = 0;
    for (const auto& segment : candidates) {
      if (available + freed >= wanted_free) break;
      const auto bytes = catalog.delete_segment(segment, "space");
      ++deleted;
      if (bytes <= 0) continue;
      freed += static_cast<std::uint64_t>(bytes);
      // If deleting does not show on the disk (the space is held by an open file or another writer),
      // deleting more would only lose footage: stop, and let the next pass look again.
      if (disk_.space(storage_.path).available <= available) return deleted;
    }
  }
  return deleted;
}

RetentionOutcome Retention::run(catalog::Catalog& catalog, catalog::Micros now) {
  RetentionOutcome outcome;
  const auto& policy = storage_.retention;
  outcome.deleted["age"] = delete_by_age(catalog, now);
  outcome.deleted["quota"] = delete_over_quota(catalog, now);

  const DiskSpace disk = disk_.space(storage_.path);
  outcome.floor_bytes = config::free_space_floor(policy, disk.capacity);
  // Stay ahead of need: keep room for what the cameras write until the next pass and one more segment.
  const double rate = static_cast<double>(catalog.bytes_written_since(now - rate_window_us)) / (rate_window_us / 1e6);
  outcome.headroom_bytes = static_cast<std::uint64_t>(rate * (policy.check_seconds + storage_.segment_seconds));

  bool exhausted = false;
  outcome.deleted["space"] = delete_for_space(catalog, now, outcome.floor_bytes + outcome.headroom_bytes, &exhausted);
  outcome.disk = disk_.space(storage_.path);
  if (exhausted && outcome.disk.available < outcome.floor_bytes) {
    outcome.alarm = fmt::format(
        "recording disk nearly full ({} MiB free, floor {} MiB) and nothing more may be deleted: all remaining "
        "footage is protected or being written",
        outcome.disk.available >> 20, outcome.floor_bytes >> 20);
  }
  return outcome;
}

}  // namespace recorder::retention
