#pragma once
// The catalog: what the recorder holds, in SQLite on the recording disk (<storage>/catalog.sqlite3).
// Not thread-safe: one owner per connection (the daemon's catalog writer, or a command-line tool).
// The order of file and row operations is in docs/durability.md.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "recorder/catalog/sqlite_database.h"
#include "recorder/core/clock.h"

namespace recorder::catalog {

using Micros = std::int64_t;  // UTC microseconds since the Unix epoch, or a duration
Micros to_micros(WallTime time);
WallTime from_micros(Micros micros);

enum class SegmentState { Writing, Complete, Recovered, Lost, Deleting };
const char* to_string(SegmentState state);
SegmentState segment_state_from(const std::string& text);

struct Segment {
  std::int64_t id = 0;
  std::string camera_id;
  std::optional<std::int64_t> run_id;
  std::string path;  // relative to the storage directory
  Micros start_us = 0;
  std::optional<Micros> end_us;
  std::optional<Micros> media_duration_us;
  std::optional<std::int64_t> bytes;
  std::optional<std::int64_t> key_frames;
  SegmentState state = SegmentState::Writing;
};

// What is known of a segment once it is closed (or measured after a crash).
struct SegmentMeasure {
  Micros media_duration_us = 0;
  std::int64_t bytes = 0;
  std::int64_t key_frames = 0;
};

struct RecordingRun {
  std::int64_t id = 0;
  std::string camera_id;
  Micros started_us = 0;
  std::optional<Micros> ended_us;
  std::string end_reason;
};

struct Incident {
  std::int64_t id = 0;
  std::vector<std::string> cameras;
  Micros start_us = 0;
  Micros end_us = 0;
  std::string reason;
  std::string created_by;
  Micros created_us = 0;
  std::optional<Micros> expires_us;
};

// Packets a camera sent that the firewall dropped, per destination (docs/firewall.md).
struct NetworkAttempt {
  std::string camera_id;                        // or "unknown" for an address no camera has
  std::string protocol;                         // tcp, udp, icmp, icmpv6, or the IP protocol number
  std::string destination;                      // address
  std::optional<std::int64_t> destination_port; // port, or the ICMP type
  Micros first_seen_us = 0;
  Micros last_seen_us = 0;
  std::int64_t packets = 0;
};

// One row of the hash-chained audit log: who did what to footage, when, from where (docs/durability.md,
// "Audit log").
struct AuditEntry {
  std::int64_t id = 0;
  Micros at_us = 0;
  std::string user;      // "-" when unknown (e.g. no credentials)
  std::string remote;    // client address, or "local" for recorderctl
  std::string action;    // "login", "login-failed", "list-cameras", "list-recordings", "export", "protect",
                         // "unprotect", "refused", "audit-read", ...
  std::string detail;    // free text / compact JSON: what exactly (camera, range, reason, HTTP status)
  std::string previous_hash;
  std::string hash;      // lower-case hex SHA-256
};

// What verify_audit_chain found. `problems` are tampering or loss, each naming the row id; `notes` are
// states a crash explains (rows newer than the head anchor) and do not make the check fail.
struct AuditCheck {
  bool ok = false;
  std::int64_t rows = 0;
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  std::string head_hash;  // the newest row's hash, empty when there are no rows
};

// The previous_hash of the first audit row.
inline const std::string audit_genesis_hash(64, '0');
// SHA-256 (lower-case hex) over a length-prefixed encoding of id, at_us, user, remote, action, detail and
// previous_hash, so that moving text from one field to the next changes it. Ignores entry.hash.
std::string audit_hash(const AuditEntry& entry);

struct DeletionTotals {
  std::int64_t segments = 0;
  std::int64_t bytes = 0;
};

class Catalog {
 public:
  static std::filesystem::path file_in(const std::filesystem::path& storage);

  // Opens the storage directory's catalog, creating and upgrading it in ReadWrite mode.
  Catalog(const std::filesystem::path& storage, Database::Mode mode);
  const std::filesystem::path& storage() const { return storage_; }
  std::filesystem::path absolute(const std::string& relative_path) const { return storage_ / relative_path; }
  std::string relative(const std::filesystem::path& file) const;
  Database& database() { return db_; }

  std::optional<std::string> meta(const std::string& key);
  void set_meta(const std::string& key, const std::string& value);

  void upsert_camera(const std::string& id, std::optional<int> car, const std::string& position, Micros now);

  std::int64_t begin_run(const std::string& camera_id, Micros started_us);
  void end_run(std::int64_t run_id, Micros ended_us, const std::string& reason);
  std::vector<RecordingRun> open_runs();
  std::vector<RecordingRun> runs(const std::string& camera_id, Micros from_us, Micros to_us);

  std::int64_t insert_segment(const Segment& segment);
  void close_segment(std::int64_t id, const SegmentMeasure& measure, SegmentState state);
  void set_segment_state(std::int64_t id, SegmentState state);
  void remove_segment(std::int64_t id);
  std::optional<Segment> segment_by_path(const std::string& relative_path);
  std::vector<Segment> segments_in_state(SegmentState state);
  // Segments of one camera overlapping [from_us, to_us), by start time.
  std::vector<Segment> segments(const std::string& camera_id, Micros from_us, Micros to_us);
  // Every segment row that should have a file (writing, complete, recovered).
  std::vector<Segment> segments_with_files();
  // The oldest segments that retention may delete at `now`: not protected, not being written; with
  // `ended_before_us`, only those that ended before it.
  std::vector<Segment> deletable_segments(Micros now, int limit, const std::string& camera_id = "",
                                          std::optional<Micros> ended_before_us = std::nullopt);
  // Deletes a segment's file and row in the crash-safe order of docs/durability.md (C3) and counts it
  // under `cause`. Returns the bytes freed.
  std::int64_t delete_segment(const Segment& segment, const std::string& cause);
  // Bytes of segments that ended in (since_us, now]: the observed write rate's numerator.
  std::int64_t bytes_written_since(Micros since_us);
  // Continuous footage of one camera in [from_us, to_us): segments of one run that follow each other
  // (within `tolerance_us`) merge; different runs never merge, so a clock step shows as two spans.
  struct Span {
    Micros start_us = 0;
    Micros end_us = 0;
    std::optional<std::int64_t> run_id;
    int segments = 0;
  };
  std::vector<Span> spans(const std::string& camera_id, Micros from_us, Micros to_us, Micros tolerance_us = 1'000'000);
  std::int64_t camera_bytes(const std::string& camera_id);
  std::optional<Micros> oldest_start();
  std::optional<Micros> last_segment_end(const std::string& camera_id);

  std::int64_t add_incident(const Incident& incident);
  bool remove_incident(std::int64_t id);
  std::vector<Incident> incidents(Micros now);  // those in force at `now`
  // Bytes of footage protected at `now` by any incident, plus what `extra` would add.
  std::int64_t protected_bytes(Micros now, const Incident* extra = nullptr);

  // Adds attempts (counts, first/last seen) to the network events, merging with what is known.
  void record_network_attempts(const std::vector<NetworkAttempt>& attempts);
  std::vector<NetworkAttempt> network_attempts();

  void count_deletion(const std::string& cause, std::int64_t bytes);
  std::map<std::string, DeletionTotals> deletions();

  // The audit log's head anchor: the newest row's id and hash, beside the catalog.
  static std::filesystem::path audit_head_in(const std::filesystem::path& storage);
  // Appends a row chained to the newest one (one transaction), then rewrites the head anchor (synced).
  // Throws recorder::Error; if it throws after the commit, the row is in and the anchor lags behind it,
  // which verify_audit_chain reports as a note. Callers that must not serve footage unaudited refuse then.
  AuditEntry append_audit(Micros at_us, const std::string& user, const std::string& remote, const std::string& action,
                          const std::string& detail);
  // Rows with from_us <= at_us < to_us, by time (oldest first), at most `limit`.
  std::vector<AuditEntry> audit_entries(Micros from_us, Micros to_us, std::size_t limit = 10000) const;
  // Checks every row's hash, the chain of previous hashes, gaps in the ids, and the head anchor.
  AuditCheck verify_audit_chain() const;

 private:
  std::filesystem::path storage_;
  // mutable: the const queries (audit_entries, verify_audit_chain) prepare statements, which reads the
  // database without changing what the catalog holds.
  mutable Database db_;
};

}  // namespace recorder::catalog
