#pragma once
// Runs retention on the catalog writer's thread every storage.retention.check_seconds, reports what it
// deleted, raises and clears the storage alarm, and keeps the latest storage health for queries.

#include <glib.h>
#include <memory>
#include <mutex>
#include <optional>

#include "recorder/catalog/catalog_writer.h"
#include "recorder/retention/retention.h"

namespace recorder::app {

// The storage part of the recorder's health.
struct StorageHealth {
  retention::RetentionOutcome last_pass;
  std::optional<catalog::Micros> oldest_footage_us;
  std::map<std::string, catalog::DeletionTotals> deletions;  // since the catalog was created, by cause
  bool checked = false;  // false until the first pass ran
};

class StorageWatch {
 public:
  StorageWatch(const config::Config& config, std::shared_ptr<catalog::CatalogWriter> writer,
               const retention::DiskSpaceSource& disk, const Clock& clock);
  ~StorageWatch();
  // Runs one pass now and then every check_seconds on the default main context.
  void start();
  StorageHealth health() const;
  // Takes the cameras' quotas (max_bytes) from a reloaded configuration, from the next pass on.
  void update_quotas(const config::Config& config);

 private:
  void schedule_pass();

  std::shared_ptr<retention::Retention> retention_;
  std::shared_ptr<catalog::CatalogWriter> writer_;
  const Clock& clock_;
  int check_seconds_;
  std::shared_ptr<spdlog::logger> log_;
  guint timer_ = 0;
  struct State {
    std::mutex mutex;
    StorageHealth health;
  };
  std::shared_ptr<State> state_;  // shared with passes still queued on the writer
};

}  // namespace recorder::app
