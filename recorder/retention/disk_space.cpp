#include "recorder/retention/disk_space.h"

#include <sys/statvfs.h>

#include "recorder/core/error.h"

namespace recorder::retention {

DiskSpace FilesystemSpace::space(const std::filesystem::path& path) const {
  struct statvfs stats {};
  if (statvfs(path.c_str(), &stats) != 0)
    throw Error(ErrorKind::Unavailable, "cannot read the free space of " + path.string());
  return {static_cast<std::uint64_t>(stats.f_blocks) * stats.f_frsize,
          static_cast<std::uint64_t>(stats.f_bavail) * stats.f_frsize};
}

}  // namespace recorder::retention
