#include "recorder/api/export_shelf.h"

namespace recorder::api {

ExportShelf::ExportShelf(std::filesystem::path folder, std::chrono::seconds keep)
    : folder_(std::move(folder)), keep_(keep) {
  std::filesystem::remove_all(folder_);
  std::filesystem::create_directories(folder_);
}

ExportShelf::~ExportShelf() {
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

void ExportShelf::remove_expired() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool done = it->second.ready.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    if (done && now - it->second.made_at > keep_) {
      // A download still reading the file keeps it open; unlinking does not disturb it.
      std::error_code ignored;
      std::filesystem::remove_all(it->second.dir, ignored);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<const PreparedExport> ExportShelf::get(
    const std::string& key, const std::function<PreparedExport(const std::filesystem::path& dir)>& make) {
  std::promise<std::shared_ptr<const PreparedExport>> promise;
  std::unique_lock lock(mutex_);
  remove_expired();
  if (auto found = entries_.find(key); found != entries_.end()) {
    const auto ready = found->second.ready;
    lock.unlock();  // another request is making it, or has made it: wait without holding the shelf
    return ready.get();
  }
  const std::filesystem::path dir = folder_ / std::to_string(++next_dir_);
  entries_[key] = Entry{promise.get_future().share(), dir, std::chrono::steady_clock::now()};
  lock.unlock();
  try {
    std::filesystem::create_directories(dir);
    auto prepared = std::make_shared<const PreparedExport>(make(dir));
    promise.set_value(prepared);
    lock.lock();
    entries_[key].made_at = std::chrono::steady_clock::now();  // kept from when it was ready
    return prepared;
  } catch (...) {
    promise.set_exception(std::current_exception());
    lock.lock();
    entries_.erase(key);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    throw;
  }
}

}  // namespace recorder::api
