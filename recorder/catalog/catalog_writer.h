#pragma once
// The catalog's one writer: a thread that owns the read-write connection and applies, in order, what
// the cameras report. Callers never wait on SQLite or on a disk sync.

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "recorder/catalog/catalog.h"
#include "recorder/core/logging.h"

namespace recorder::catalog {

class CatalogWriter {
 public:
  explicit CatalogWriter(std::unique_ptr<Catalog> catalog);
  ~CatalogWriter();  // applies everything queued, then stops
  CatalogWriter(const CatalogWriter&) = delete;
  CatalogWriter& operator=(const CatalogWriter&) = delete;

  // A segment file was created (its directory entry is synced): row in state `writing`, in the camera's
  // current recording run (a new run if it has none).
  void segment_opened(const std::string& camera_id, const std::filesystem::path& file, WallTime start);
  // The segment was finalised: sync it, then mark the row `complete` with what the stream said.
  void segment_closed(const std::filesystem::path& file, Micros media_duration_us, std::int64_t key_frames);
  // The camera's pipeline is gone without closing its open segment (camera failure): measure what the
  // file holds and close the row, or drop both if it holds no complete frame.
  void segments_abandoned(const std::string& camera_id);
  // The camera's recording run ends (failure, stop, clock step); the next segment starts a new one.
  void run_ended(const std::string& camera_id, WallTime at, const std::string& reason);

  // Runs `task` on the writer thread, in order with everything else.
  void post(std::function<void(Catalog&)> task);
  template <typename Result>
  std::future<Result> ask(std::function<Result(Catalog&)> question) {
    auto promise = std::make_shared<std::promise<Result>>();
    auto answer = promise->get_future();
    post([promise, question = std::move(question)](Catalog& catalog) {
      try {
        promise->set_value(question(catalog));
      } catch (...) {
        promise->set_exception(std::current_exception());
      }
    });
    return answer;
  }

  // When the writer last finished a task (or was idle and waiting): for the service watchdog.
  MonotonicTime last_progress() const;

 private:
  void run();

  std::unique_ptr<Catalog> catalog_;
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void(Catalog&)>> queue_;
  bool stopping_ = false;
  MonotonicTime last_progress_;
  std::thread thread_;

  // Writer-thread state: the open run of each camera and the row of each open segment file.
  std::map<std::string, std::int64_t> current_run_;
  struct OpenSegment {
    std::int64_t id;
    std::string camera_id;
  };
  std::map<std::string, OpenSegment> open_segments_;
};

}  // namespace recorder::catalog
