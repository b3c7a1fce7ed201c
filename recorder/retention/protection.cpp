#include "recorder/retention/protection.h"

#include <fmt/format.h>

#include "recorder/config/camera_config.h"

namespace recorder::retention {

std::int64_t protect(catalog::Catalog& catalog, const catalog::Incident& incident, const config::StorageConfig& storage,
                     const DiskSpaceSource& disk, catalog::Micros now) {
  if (incident.cameras.empty()) throw Error(ErrorKind::InvalidArgument, "an incident needs at least one camera");
  for (const auto& camera : incident.cameras)
    if (!config::is_valid_camera_id(camera))
      throw Error(ErrorKind::InvalidArgument, fmt::format("'{}' is not a valid camera id", camera));
  if (incident.end_us <= incident.start_us)
    throw Error(ErrorKind::InvalidArgument, "an incident's end must be after its start");

  const std::uint64_t capacity = disk.space(storage.path).capacity;
  const std::uint64_t limit = capacity / 100 * static_cast<std::uint64_t>(storage.retention.max_protected_percent);
  const auto would_protect = static_cast<std::uint64_t>(catalog.protected_bytes(now, &incident));
  if (would_protect > limit) {
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("refused: protecting this would put {} MiB of footage under protection, over the limit of "
                            "{} MiB ({} % of the recording disk, storage.retention.max_protected_percent); remove "
                            "or let expire other protections first",
                            would_protect >> 20, limit >> 20, storage.retention.max_protected_percent));
  }
  return catalog.add_incident(incident);
}

}  // namespace recorder::retention
