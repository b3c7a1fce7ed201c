#include "recorder/catalog/schema.h"

#include <fmt/format.h>
#include <vector>

namespace recorder::catalog {
namespace {

// All times are UTC microseconds since the Unix epoch; durations are microseconds.
const std::vector<const char*> upgrade_steps = {
    // 1: what the recording core needs: cameras, runs, segments, and the storage identity.
    R"sql(
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE cameras (
      id TEXT PRIMARY KEY,
      first_seen_us INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE recording_runs (
      id INTEGER PRIMARY KEY,
      camera_id TEXT NOT NULL REFERENCES cameras(id),
      started_us INTEGER NOT NULL,
      ended_us INTEGER,                 -- NULL while the run goes on
      end_reason TEXT                   -- stopped, camera failure, clock step, crash
    ) STRICT;
    CREATE INDEX recording_runs_by_camera ON recording_runs(camera_id, started_us);
    CREATE TABLE segments (
      id INTEGER PRIMARY KEY,
      camera_id TEXT NOT NULL REFERENCES cameras(id),
      run_id INTEGER REFERENCES recording_runs(id),
      path TEXT NOT NULL UNIQUE,        -- relative to the storage directory
      start_us INTEGER NOT NULL,        -- wall clock at the first frame's arrival
      end_us INTEGER,                   -- start_us + media_duration_us
      media_duration_us INTEGER,        -- from the stream's time stamps
      bytes INTEGER,
      key_frames INTEGER,
      state TEXT NOT NULL CHECK (state IN ('writing', 'complete', 'recovered', 'lost', 'deleting'))
    ) STRICT;
    CREATE INDEX segments_by_camera_time ON segments(camera_id, start_us);
    CREATE INDEX segments_by_time ON segments(start_us);
    )sql",
    // 2: camera descriptions, protected incidents, and room for audit and network events.
    R"sql(
    ALTER TABLE cameras ADD COLUMN car INTEGER;
    ALTER TABLE cameras ADD COLUMN position TEXT;
    CREATE TABLE incidents (
      id INTEGER PRIMARY KEY,
      start_us INTEGER NOT NULL,
      end_us INTEGER NOT NULL,
      reason TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_us INTEGER NOT NULL,
      expires_us INTEGER                -- NULL: protected until removed
    ) STRICT;
    CREATE TABLE incident_cameras (
      incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
      camera_id TEXT NOT NULL REFERENCES cameras(id),
      PRIMARY KEY (incident_id, camera_id)
    ) STRICT;
    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY,
      at_us INTEGER NOT NULL,
      user TEXT NOT NULL,
      remote TEXT NOT NULL,
      action TEXT NOT NULL,
      detail TEXT NOT NULL,
      previous_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    ) STRICT;
    CREATE TABLE network_events (
      id INTEGER PRIMARY KEY,
      camera_id TEXT NOT NULL,
      protocol TEXT NOT NULL,
      destination TEXT NOT NULL,
      destination_port INTEGER,
      first_seen_us INTEGER NOT NULL,
      last_seen_us INTEGER NOT NULL,
      packets INTEGER NOT NULL,
      UNIQUE (camera_id, protocol, destination, destination_port)
    ) STRICT;
    CREATE TABLE deletions (
      cause TEXT PRIMARY KEY,           -- age, space, quota
      segments INTEGER NOT NULL,
      bytes INTEGER NOT NULL
    ) STRICT;
    )sql",
    // 3: incident cameras by camera, for the protection check retention makes on every segment it passes
    // (incident_cameras' primary key starts with the incident, which left only a scan of the whole table).
    R"sql(
    CREATE INDEX incident_cameras_by_camera ON incident_cameras(camera_id, incident_id);
    )sql",
    // 4: the audit log by time, for `recorderctl audit` and GET /api/v1/audit over a range: without it
    // every such read scanned the whole log, which only grows (years of exports and logins).
    R"sql(
    CREATE INDEX audit_log_by_time ON audit_log(at_us, id);
    )sql",
};

}  // namespace

int latest_schema_version() { return static_cast<int>(upgrade_steps.size()); }

int schema_version(Database& db) {
  Statement version = db.prepare("PRAGMA user_version");
  version.step();
  return static_cast<int>(version.integer(0));
}

void upgrade_schema(Database& db, int target) {
  if (target < 0) target = latest_schema_version();
  const int current = schema_version(db);
  if (current > latest_schema_version())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("catalog schema version {} is newer than this recorder knows ({}): refusing to touch it",
                            current, latest_schema_version()));
  for (int version = current + 1; version <= target; ++version) {
    Transaction step(db);
    db.execute(upgrade_steps[static_cast<std::size_t>(version - 1)]);
    db.execute(fmt::format("PRAGMA user_version = {}", version));
    step.commit();
  }
}

}  // namespace recorder::catalog
