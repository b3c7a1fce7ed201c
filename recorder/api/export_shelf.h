#pragma once
// Exports the API hands out are made once into a folder on the recording disk and kept for a while, so
// that a download resumed with Range requests, or the manifest fetched after the clip, gets exactly the
// same bytes. Old ones are removed; the folder is emptied at start (a crash leaves nothing behind).

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "recorder/export/export_plan.h"

namespace recorder::api {

struct PreparedExport {
  std::filesystem::path file;       // the MP4, or the tar of an incident
  std::filesystem::path manifest;   // its signed manifest
  std::vector<std::pair<std::string, exporting::Gap>> gaps;  // camera, gap
};

class ExportShelf {
 public:
  ExportShelf(std::filesystem::path folder, std::chrono::seconds keep);
  ~ExportShelf();  // empties the folder: exports are copies, never kept beyond the recorder's run
  // The export known as `key`, made by `make` into a fresh folder when it is not on the shelf. Requests
  // for the same key while it is being made wait for that one. Errors from `make` reach every waiter and
  // are not kept.
  std::shared_ptr<const PreparedExport> get(const std::string& key,
                                            const std::function<PreparedExport(const std::filesystem::path& dir)>& make);

 private:
  void remove_expired();

  struct Entry {
    std::shared_future<std::shared_ptr<const PreparedExport>> ready;
    std::filesystem::path dir;
    std::chrono::steady_clock::time_point made_at;
  };
  std::filesystem::path folder_;
  std::chrono::seconds keep_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::uint64_t next_dir_ = 0;
};

}  // namespace recorder::api
