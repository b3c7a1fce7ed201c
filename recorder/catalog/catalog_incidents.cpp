// Catalog: protected incidents.

#include "recorder/catalog/catalog.h"

namespace recorder::catalog {

std::int64_t Catalog::add_incident(const Incident& incident) {
  Transaction transaction(db_);
  db_.prepare(
         "INSERT INTO incidents (start_us, end_us, reason, created_by, created_us, expires_us) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, incident.start_us)
      .bind(2, incident.end_us)
      .bind(3, incident.reason)
      .bind(4, incident.created_by)
      .bind(5, incident.created_us)
      .bind(6, incident.expires_us)
      .run();
  const std::int64_t id = db_.last_insert_id();
  Statement camera = db_.prepare("INSERT INTO incident_cameras (incident_id, camera_id) VALUES (?, ?)");
  for (const auto& camera_id : incident.cameras) {
    camera.reset();
    camera.bind(1, id).bind(2, camera_id).run();
  }
  transaction.commit();
  return id;
}

bool Catalog::remove_incident(std::int64_t id) {
  Transaction transaction(db_);
  db_.prepare("DELETE FROM incident_cameras WHERE incident_id = ?").bind(1, id).run();
  db_.prepare("DELETE FROM incidents WHERE id = ?").bind(1, id).run();
  const bool removed = db_.changes() > 0;
  transaction.commit();
  return removed;
}

std::vector<Incident> Catalog::incidents(Micros now) {
  std::vector<Incident> result;
  Statement query = db_.prepare(
      "SELECT id, start_us, end_us, reason, created_by, created_us, expires_us FROM incidents "
      "WHERE expires_us IS NULL OR expires_us > ? ORDER BY id");
  query.bind(1, now);
  while (query.step()) {
    Incident incident;
    incident.id = query.integer(0);
    incident.start_us = query.integer(1);
    incident.end_us = query.integer(2);
    incident.reason = query.text(3);
    incident.created_by = query.text(4);
    incident.created_us = query.integer(5);
    incident.expires_us = query.optional_integer(6);
    result.push_back(std::move(incident));
  }
  Statement cameras = db_.prepare("SELECT camera_id FROM incident_cameras WHERE incident_id = ? ORDER BY camera_id");
  for (auto& incident : result) {
    cameras.reset();
    cameras.bind(1, incident.id);
    while (cameras.step()) incident.cameras.push_back(cameras.text(0));
  }
  return result;
}

}  // namespace recorder::catalog
