#include "recorder/catalog/catalog.h"

#include <fmt/format.h>

#include "recorder/catalog/schema.h"

namespace recorder::catalog {

Micros to_micros(WallTime time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

WallTime from_micros(Micros micros) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::microseconds(micros)));
}

const char* to_string(SegmentState state) {
  switch (state) {
    case SegmentState::Writing: return "writing";
    case SegmentState::Complete: return "complete";
    case SegmentState::Recovered: return "recovered";
    case SegmentState::Lost: return "lost";
    case SegmentState::Deleting: return "deleting";
  }
  return "unknown";
}

SegmentState segment_state_from(const std::string& text) {
  for (auto state : {SegmentState::Writing, SegmentState::Complete, SegmentState::Recovered, SegmentState::Lost,
                     SegmentState::Deleting})
    if (text == to_string(state)) return state;
  throw Error(ErrorKind::DataLoss, "catalog holds an unknown segment state '" + text + "'");
}

std::filesystem::path Catalog::file_in(const std::filesystem::path& storage) { return storage / "catalog.sqlite3"; }

Catalog::Catalog(const std::filesystem::path& storage, Database::Mode mode)
    : storage_(storage), db_(file_in(storage), mode) {
  if (mode == Database::Mode::ReadWrite) {
    // WAL: readers (API, recorderctl) never block the writer. synchronous=FULL: a commit survives a power cut.
    db_.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
    upgrade_schema(db_);
  } else if (schema_version(db_) != latest_schema_version()) {
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("catalog {} has schema version {}, this tool reads {}: run the recorder once to upgrade",
                            file_in(storage).string(), schema_version(db_), latest_schema_version()));
  }
}

std::string Catalog::relative(const std::filesystem::path& file) const {
  return file.lexically_relative(storage_).string();
}

std::optional<std::string> Catalog::meta(const std::string& key) {
  Statement query = db_.prepare("SELECT value FROM meta WHERE key = ?");
  query.bind(1, key);
  if (!query.step()) return std::nullopt;
  return query.text(0);
}

void Catalog::set_meta(const std::string& key, const std::string& value) {
  db_.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .bind(1, key)
      .bind(2, value)
      .run();
}

void Catalog::upsert_camera(const std::string& id, std::optional<int> car, const std::string& position, Micros now) {
  std::optional<std::int64_t> car_value;
  if (car) car_value = *car;
  db_.prepare(
         "INSERT INTO cameras (id, first_seen_us, car, position) VALUES (?, ?, ?, ?) "
         "ON CONFLICT (id) DO UPDATE SET car = excluded.car, position = excluded.position")
      .bind(1, id)
      .bind(2, now)
      .bind(3, car_value)
      .bind(4, position)
      .run();
}

std::int64_t Catalog::begin_run(const std::string& camera_id, Micros started_us) {
  db_.prepare("INSERT INTO recording_runs (camera_id, started_us) VALUES (?, ?)")
      .bind(1, camera_id)
      .bind(2, started_us)
      .run();
  return db_.last_insert_id();
}

void Catalog::end_run(std::int64_t run_id, Micros ended_us, const std::string& reason) {
  db_.prepare("UPDATE recording_runs SET ended_us = ?, end_reason = ? WHERE id = ? AND ended_us IS NULL")
      .bind(1, ended_us)
      .bind(2, reason)
      .bind(3, run_id)
      .run();
}

namespace {

std::vector<RecordingRun> read_runs(Statement& query) {
  std::vector<RecordingRun> runs;
  while (query.step())
    runs.push_back({query.integer(0), query.text(1), query.integer(2), query.optional_integer(3), query.text(4)});
  return runs;
}

}  // namespace

std::vector<RecordingRun> Catalog::open_runs() {
  Statement query = db_.prepare(
      "SELECT id, camera_id, started_us, ended_us, coalesce(end_reason, '') FROM recording_runs "
      "WHERE ended_us IS NULL ORDER BY id");
  return read_runs(query);
}

std::vector<RecordingRun> Catalog::runs(const std::string& camera_id, Micros from_us, Micros to_us) {
  Statement query = db_.prepare(
      "SELECT id, camera_id, started_us, ended_us, coalesce(end_reason, '') FROM recording_runs "
      "WHERE camera_id = ? AND started_us < ? AND (ended_us IS NULL OR ended_us > ?) ORDER BY started_us, id");
  query.bind(1, camera_id).bind(2, to_us).bind(3, from_us);
  return read_runs(query);
}

void Catalog::count_deletion(const std::string& cause, std::int64_t bytes) {
  db_.prepare(
         "INSERT INTO deletions (cause, segments, bytes) VALUES (?, 1, ?) "
         "ON CONFLICT (cause) DO UPDATE SET segments = segments + 1, bytes = bytes + excluded.bytes")
      .bind(1, cause)
      .bind(2, bytes)
      .run();
}

std::map<std::string, DeletionTotals> Catalog::deletions() {
  std::map<std::string, DeletionTotals> totals;
  Statement query = db_.prepare("SELECT cause, segments, bytes FROM deletions");
  while (query.step()) totals[query.text(0)] = {query.integer(1), query.integer(2)};
  return totals;
}

}  // namespace recorder::catalog
