#pragma once
// Makes room for new footage, in this order: footage past its maximum age, footage of cameras over
// their quota, then the oldest footage of all cameras while free space is under the floor plus what
// will be written before the next look. Protected footage and segments being written are never
// touched. When nothing may be deleted and space is still short, it raises an alarm and keeps trying.

#include <map>
#include <optional>
#include <string>

#include "recorder/catalog/catalog.h"
#include "recorder/config/config.h"
#include "recorder/retention/disk_space.h"

namespace recorder::retention {

// What one pass found and did; also the storage part of the recorder's health.
struct RetentionOutcome {
  DiskSpace disk;                    // after the pass
  std::uint64_t floor_bytes = 0;     // free space retention keeps, before headroom
  std::uint64_t headroom_bytes = 0;  // expected writing until the next pass
  std::map<std::string, int> deleted;  // segments deleted in this pass, by cause (age, quota, space)
  std::optional<std::string> alarm;  // set while space is short and nothing may be deleted
};

class Retention {
 public:
  Retention(const config::StorageConfig& storage, std::map<std::string, std::uint64_t> camera_quotas,
            const DiskSpaceSource& disk);
  RetentionOutcome run(catalog::Catalog& catalog, catalog::Micros now);
  // Cameras' quotas after a reload; call it on the thread that runs passes (the catalog writer's).
  void set_camera_quotas(std::map<std::string, std::uint64_t> camera_quotas) { quotas_ = std::move(camera_quotas); }

 private:
  int delete_by_age(catalog::Catalog& catalog, catalog::Micros now);
  int delete_over_quota(catalog::Catalog& catalog, catalog::Micros now);
  int delete_for_space(catalog::Catalog& catalog, catalog::Micros now, std::uint64_t wanted_free, bool* exhausted);

  config::StorageConfig storage_;
  std::map<std::string, std::uint64_t> quotas_;
  const DiskSpaceSource& disk_;
};

}  // namespace recorder::retention
