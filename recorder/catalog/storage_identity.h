#pragma once
// The recording disk's identity (docs/durability.md, S1): footage is written only into a storage
// directory that carries `onboard-recorder.id`, so a disk that failed to mount is never replaced by
// the root filesystem without anyone noticing. And only one recorder writes to a storage at a time.

#include <filesystem>
#include <string>

namespace recorder::catalog {

inline constexpr const char* storage_id_file_name = "onboard-recorder.id";

// Writes a new identity into `storage` (created if missing). Throws if it already has one.
std::string initialise_storage(const std::filesystem::path& storage);

// The identity of `storage`; throws recorder::Error saying what is wrong and what to do.
std::string read_storage_id(const std::filesystem::path& storage);

// An exclusive lock on the storage directory for the life of this object (flock, released by the
// kernel if the process dies). Throws when another process holds it.
class StorageLock {
 public:
  explicit StorageLock(const std::filesystem::path& storage);
  ~StorageLock();
  StorageLock(const StorageLock&) = delete;
  StorageLock& operator=(const StorageLock&) = delete;

  // True when some process holds the lock on `storage` (a recorder is running there).
  static bool held_by_another(const std::filesystem::path& storage);

 private:
  int fd_ = -1;
};

}  // namespace recorder::catalog
