#include "recorder/app/storage_watch.h"

#include <fmt/format.h>

#include "recorder/core/loop_timer.h"

namespace recorder::app {
namespace {

std::map<std::string, std::uint64_t> quotas_of(const config::Config& config) {
  std::map<std::string, std::uint64_t> quotas;
  for (const auto& camera : config.cameras)
    if (camera.max_bytes) quotas[camera.id] = *camera.max_bytes;
  return quotas;
}

}  // namespace

StorageWatch::StorageWatch(const config::Config& config, std::shared_ptr<catalog::CatalogWriter> writer,
                           const retention::DiskSpaceSource& disk, const Clock& clock)
    : retention_(std::make_shared<retention::Retention>(config.storage, quotas_of(config), disk)),
      writer_(std::move(writer)),
      clock_(clock),
      check_seconds_(config.storage.retention.check_seconds),
      log_(component_logger("storage")),
      state_(std::make_shared<State>()) {}

StorageWatch::~StorageWatch() {
  if (timer_ != 0) g_source_remove(timer_);
}

void StorageWatch::start() {
  schedule_pass();
  timer_ = run_after(std::chrono::seconds(check_seconds_), [this] {
    schedule_pass();
    return true;
  });
}

void StorageWatch::update_quotas(const config::Config& config) {
  // Queued behind any pass in progress: a pass never sees half the quotas.
  writer_->post([retention = retention_, quotas = quotas_of(config)](catalog::Catalog&) mutable {
    retention->set_camera_quotas(std::move(quotas));
  });
}

StorageHealth StorageWatch::health() const {
  std::lock_guard lock(state_->mutex);
  return state_->health;
}

void StorageWatch::schedule_pass() {
  const catalog::Micros now = catalog::to_micros(clock_.wall_now());
  writer_->post([retention = retention_, state = state_, log = log_, now](catalog::Catalog& catalog) {
    retention::RetentionOutcome outcome;
    try {
      outcome = retention->run(catalog, now);
    } catch (const std::exception& e) {
      log->error("retention pass failed: {}", e.what());
      return;
    }
    int deleted = 0;
    for (const auto& [cause, count] : outcome.deleted) deleted += count;
    if (deleted > 0) {
      log->info("retention deleted {} segment(s) (age {}, quota {}, space {}); {} MiB free", deleted,
                outcome.deleted["age"], outcome.deleted["quota"], outcome.deleted["space"], outcome.disk.available >> 20);
    }
    StorageHealth health;
    health.last_pass = outcome;
    health.oldest_footage_us = catalog.oldest_start();
    health.deletions = catalog.deletions();
    health.checked = true;
    std::lock_guard lock(state->mutex);
    // The alarm is said once when it is raised and once when it clears, not at every pass.
    if (outcome.alarm && !state->health.last_pass.alarm) log->error("storage alarm: {}", *outcome.alarm);
    if (!outcome.alarm && state->health.last_pass.alarm) log->info("storage alarm cleared: {} MiB free", outcome.disk.available >> 20);
    state->health = std::move(health);
  });
}

}  // namespace recorder::app
