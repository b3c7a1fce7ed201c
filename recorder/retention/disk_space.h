#pragma once
// How full the recording disk is. An interface, so that retention logic can be tested against a fake
// disk as well as a real, small filesystem.

#include <cstdint>
#include <filesystem>

namespace recorder::retention {

struct DiskSpace {
  std::uint64_t capacity = 0;   // bytes the filesystem holds in all
  std::uint64_t available = 0;  // bytes an unprivileged writer can still use
};

class DiskSpaceSource {
 public:
  virtual ~DiskSpaceSource() = default;
  virtual DiskSpace space(const std::filesystem::path& path) const = 0;
};

// statvfs of the filesystem holding `path`.
class FilesystemSpace final : public DiskSpaceSource {
 public:
  DiskSpace space(const std::filesystem::path& path) const override;
};

}  // namespace recorder::retention
