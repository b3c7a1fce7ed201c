// Catalog: segment rows.

#include "recorder/catalog/catalog.h"

namespace recorder::catalog {
namespace {

constexpr const char* segment_columns =
    "s.id, s.camera_id, s.run_id, s.path, s.start_us, s.end_us, s.media_duration_us, s.bytes, s.key_frames, s.state";

Segment read_segment(Statement& row) {
  Segment s;
  s.id = row.integer(0);
  s.camera_id = row.text(1);
  s.run_id = row.optional_integer(2);
  s.path = row.text(3);
  s.start_us = row.integer(4);
  s.end_us = row.optional_integer(5);
  s.media_duration_us = row.optional_integer(6);
  s.bytes = row.optional_integer(7);
  s.key_frames = row.optional_integer(8);
  s.state = segment_state_from(row.text(9));
  return s;
}

std::vector<Segment> read_segments(Statement& query) {
  std::vector<Segment> segments;
  while (query.step()) segments.push_back(read_segment(query));
  return segments;
}

std::string select_segments(const std::string& where) {
  return std::string("SELECT ") + segment_columns + " FROM segments s " + where;
}

// A segment is protected while an incident in force covers its camera and overlaps its time. Per segment, this
// looks the camera's incidents up in incident_cameras_by_camera (schema step 3).
constexpr const char* is_protected =
    "EXISTS (SELECT 1 FROM incidents i JOIN incident_cameras ic ON ic.incident_id = i.id "
    "WHERE ic.camera_id = s.camera_id AND i.start_us < coalesce(s.end_us, s.start_us + 1) "
    "AND i.end_us > s.start_us AND (i.expires_us IS NULL OR i.expires_us > :now))";

}  // namespace

std::int64_t Catalog::insert_segment(const Segment& s) {
  db_.prepare(
         "INSERT INTO segments (camera_id, run_id, path, start_us, end_us, media_duration_us, bytes, key_frames, state) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, s.camera_id)
      .bind(2, s.run_id)
      .bind(3, s.path)
      .bind(4, s.start_us)
      .bind(5, s.end_us)
      .bind(6, s.media_duration_us)
      .bind(7, s.bytes)
      .bind(8, s.key_frames)
      .bind(9, std::string(to_string(s.state)))
      .run();
  return db_.last_insert_id();
}

void Catalog::close_segment(std::int64_t id, const SegmentMeasure& m, SegmentState state) {
  db_.prepare(
         "UPDATE segments SET end_us = start_us + ?, media_duration_us = ?, bytes = ?, key_frames = ?, state = ? "
         "WHERE id = ?")
      .bind(1, m.media_duration_us)
      .bind(2, m.media_duration_us)
      .bind(3, m.bytes)
      .bind(4, m.key_frames)
      .bind(5, std::string(to_string(state)))
      .bind(6, id)
      .run();
}

void Catalog::set_segment_state(std::int64_t id, SegmentState state) {
  db_.prepare("UPDATE segments SET state = ? WHERE id = ?").bind(1, std::string(to_string(state))).bind(2, id).run();
}

void Catalog::remove_segment(std::int64_t id) { db_.prepare("DELETE FROM segments WHERE id = ?").bind(1, id).run(); }

std::optional<Segment> Catalog::segment_by_path(const std::string& relative_path) {
  Statement query = db_.prepare(select_segments("WHERE s.path = ?"));
  query.bind(1, relative_path);
  if (!query.step()) return std::nullopt;
  return read_segment(query);
}

std::vector<Segment> Catalog::segments_in_state(SegmentState state) {
  Statement query = db_.prepare(select_segments("WHERE s.state = ? ORDER BY s.id"));
  query.bind(1, std::string(to_string(state)));
  return read_segments(query);
}

std::vector<Segment> Catalog::segments(const std::string& camera_id, Micros from_us, Micros to_us) {
  // A segment overlaps the range when it starts before its end and ends after its start. Segments are
  // at most an hour long, which bounds the index scan to the range plus an hour.
  Statement query = db_.prepare(select_segments(
      "WHERE s.camera_id = ? AND s.start_us < ? AND s.start_us > ? - 3600000000 "
      "AND coalesce(s.end_us, s.start_us + 1) > ? ORDER BY s.start_us, s.id"));
  query.bind(1, camera_id).bind(2, to_us).bind(3, from_us).bind(4, from_us);
  return read_segments(query);
}

std::vector<Segment> Catalog::segments_with_files() {
  Statement query = db_.prepare(select_segments("WHERE s.state IN ('writing', 'complete', 'recovered') ORDER BY s.id"));
  return read_segments(query);
}

std::vector<Segment> Catalog::deletable_segments(Micros now, int limit, const std::string& camera_id,
                                                 std::optional<Micros> ended_before_us) {
  const std::string camera_filter = camera_id.empty() ? "" : "AND s.camera_id = :camera ";
  const std::string age_filter = ended_before_us ? "AND coalesce(s.end_us, s.start_us) < :ended_before " : "";
  Statement query = db_.prepare(select_segments(
      std::string("WHERE s.state IN ('complete', 'recovered', 'lost') ") + camera_filter + age_filter + "AND NOT " +
      is_protected + " ORDER BY s.start_us, s.id LIMIT :limit"));
  query.bind(query.parameter(":now"), now).bind(query.parameter(":limit"), std::int64_t{limit});
  if (!camera_id.empty()) query.bind(query.parameter(":camera"), camera_id);
  if (ended_before_us) query.bind(query.parameter(":ended_before"), *ended_before_us);
  return read_segments(query);
}

std::int64_t Catalog::camera_bytes(const std::string& camera_id) {
  Statement query = db_.prepare("SELECT coalesce(sum(bytes), 0) FROM segments WHERE camera_id = ? AND state != 'lost'");
  query.bind(1, camera_id).step();
  return query.integer(0);
}

std::optional<Micros> Catalog::oldest_start() {
  Statement query = db_.prepare("SELECT min(start_us) FROM segments WHERE state IN ('complete', 'recovered', 'writing')");
  query.step();
  return query.optional_integer(0);
}

std::optional<Micros> Catalog::last_segment_end(const std::string& camera_id) {
  Statement query = db_.prepare(
      "SELECT max(coalesce(end_us, start_us)) FROM segments WHERE camera_id = ? AND state != 'lost'");
  query.bind(1, camera_id).step();
  return query.optional_integer(0);
}

std::int64_t Catalog::protected_bytes(Micros now, const Incident* extra) {
  // Footage protected now, or by `extra`, counted once even when several incidents cover it. The query starts
  // from the incidents and reaches their segments through segments_by_camera_time: segments are at most an hour
  // long (as in segments()), so only those starting in (incident start - 1 h, incident end) can overlap. The
  // overlap test itself is is_protected's. `IN` counts a segment covered by several incidents once.
  std::string sql =
      "SELECT coalesce(sum(s.bytes), 0) FROM segments s WHERE s.state != 'lost' AND s.id IN ("
      "SELECT p.id FROM incidents i JOIN incident_cameras ic ON ic.incident_id = i.id "
      "JOIN segments p ON p.camera_id = ic.camera_id AND p.start_us < i.end_us "
      "AND p.start_us > i.start_us - 3600000000 AND coalesce(p.end_us, p.start_us + 1) > i.start_us "
      "WHERE i.expires_us IS NULL OR i.expires_us > :now";
  if (extra != nullptr) {
    sql += " UNION ALL SELECT p.id FROM json_each(:extra_cameras) e JOIN segments p ON p.camera_id = e.value "
           "AND p.start_us < :extra_end AND p.start_us > :extra_start - 3600000000 "
           "AND coalesce(p.end_us, p.start_us + 1) > :extra_start";
  }
  sql += ")";
  Statement query = db_.prepare(sql);
  query.bind(query.parameter(":now"), now);
  if (extra != nullptr) {
    std::string cameras = "[";
    for (const auto& camera : extra->cameras) {
      if (cameras.size() > 1) cameras += ",";
      cameras += "\"" + camera + "\"";  // camera ids are letters, digits, '-' and '_': no escaping needed
    }
    cameras += "]";
    query.bind(query.parameter(":extra_start"), extra->start_us)
        .bind(query.parameter(":extra_end"), extra->end_us)
        .bind(query.parameter(":extra_cameras"), cameras);
  }
  query.step();
  return query.integer(0);
}

}  // namespace recorder::catalog
