// Catalog: blocked network attempts of cameras (the firewall monitor's findings).

#include "recorder/catalog/catalog.h"

namespace recorder::catalog {

void Catalog::record_network_attempts(const std::vector<NetworkAttempt>& attempts) {
  Transaction transaction(db_);
  Statement upsert = db_.prepare(
      "INSERT INTO network_events (camera_id, protocol, destination, destination_port, first_seen_us, last_seen_us, "
      "packets) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (camera_id, protocol, destination, destination_port) DO UPDATE "
      "SET first_seen_us = min(first_seen_us, excluded.first_seen_us), "
      "last_seen_us = max(last_seen_us, excluded.last_seen_us), packets = packets + excluded.packets");
  for (const auto& a : attempts) {
    upsert.reset();
    upsert.bind(1, a.camera_id)
        .bind(2, a.protocol)
        .bind(3, a.destination)
        .bind(4, a.destination_port)
        .bind(5, a.first_seen_us)
        .bind(6, a.last_seen_us)
        .bind(7, a.packets)
        .run();
  }
  transaction.commit();
}

std::vector<NetworkAttempt> Catalog::network_attempts() {
  std::vector<NetworkAttempt> attempts;
  Statement query = db_.prepare(
      "SELECT camera_id, protocol, destination, destination_port, first_seen_us, last_seen_us, packets "
      "FROM network_events ORDER BY camera_id, protocol, destination, destination_port");
  while (query.step())
    attempts.push_back({query.text(0), query.text(1), query.text(2), query.optional_integer(3), query.integer(4),
                        query.integer(5), query.integer(6)});
  return attempts;
}

}  // namespace recorder::catalog
