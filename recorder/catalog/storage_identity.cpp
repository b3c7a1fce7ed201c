#include "recorder/catalog/storage_identity.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <random>
#include <sys/file.h>
#include <unistd.h>

#include "recorder/core/error.h"

namespace recorder::catalog {
namespace {

constexpr const char* lock_file_name = "recorder.lock";

void sync_path(const std::filesystem::path& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

}  // namespace

std::string initialise_storage(const std::filesystem::path& storage) {
  std::filesystem::create_directories(storage);
  const auto id_file = storage / storage_id_file_name;
  if (std::filesystem::exists(id_file))
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{} is already initialised (id {})", storage.string(), read_storage_id(storage)));
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", random());
  // Write beside, sync, rename: the id file is either absent or whole.
  const auto temporary = storage / (std::string(storage_id_file_name) + ".new");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << id << "\n";
    if (!out.flush()) throw Error(ErrorKind::Unavailable, "cannot write " + temporary.string());
  }
  sync_path(temporary, O_RDONLY);
  std::filesystem::rename(temporary, id_file);
  sync_path(storage, O_RDONLY | O_DIRECTORY);
  return id;
}

std::string read_storage_id(const std::filesystem::path& storage) {
  if (!std::filesystem::is_directory(storage))
    throw Error(ErrorKind::NotFound,
                fmt::format("storage directory {} does not exist: is the recording disk mounted?", storage.string()));
  std::ifstream in(storage / storage_id_file_name);
  std::string id;
  if (!in || !std::getline(in, id) || id.empty())
    throw Error(ErrorKind::NotFound,
                fmt::format("storage directory {} has no {}: refusing to record there. If the recording disk is "
                            "not mounted, mount it; if this is a new disk, run 'recorderctl storage init'",
                            storage.string(), storage_id_file_name));
  return id;
}

StorageLock::StorageLock(const std::filesystem::path& storage) {
  fd_ = open((storage / lock_file_name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) throw Error(ErrorKind::PermissionDenied, "cannot open the lock file in " + storage.string());
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    close(fd_);
    fd_ = -1;
    throw Error(ErrorKind::Unavailable, fmt::format("another recorder is using {}", storage.string()));
  }
}

StorageLock::~StorageLock() {
  if (fd_ >= 0) close(fd_);
}

bool StorageLock::held_by_another(const std::filesystem::path& storage) {
  const int fd = open((storage / lock_file_name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = flock(fd, LOCK_SH | LOCK_NB) != 0;
  close(fd);
  return held;
}

}  // namespace recorder::catalog
